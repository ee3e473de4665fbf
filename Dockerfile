# The dsnlink application image: API (`dsnlink serve` / uvicorn), workers (`dsnlink worker`),
# one-shot commands (`dsnlink db upgrade`, `dsnlink backup`, `dsnlink tenant create`) and the mock
# deposit point (`python -m mock_netentreprises`). Everything is installed at build time: the
# running container fetches nothing.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump/pg_restore for `dsnlink backup` and `dsnlink restore` (same major version as the
# PostgreSQL service of docker-compose.yml: 15).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 dsnlink \
    && useradd --system --uid 10001 --gid dsnlink --home-dir /home/dsnlink --create-home \
       --shell /usr/sbin/nologin dsnlink

WORKDIR /src
COPY pyproject.toml README.md ./
COPY dsnlink ./dsnlink
COPY api ./api
COPY mock_netentreprises ./mock_netentreprises
COPY schemas ./schemas

# The wheel carries the data of schemas/ (norm catalogues, offerings, XSDs) beside the package.
# (Python runs from / here, so that it imports the installed package, not the sources in /src.)
RUN pip install . \
    && cd / && rm -rf /src \
    && python -c "from dsnlink.resources import schema_path; assert schema_path('norm').is_dir()" \
    && dsnlink --version

# /data: SQLite (unused with PostgreSQL), the encrypted files (blobs) — shared by every API
# replica and every worker; /backups: `dsnlink backup` destinations.
RUN mkdir -p /data /backups && chown dsnlink:dsnlink /data /backups
ENV DSNLINK_DATA_DIR=/data \
    DSNLINK_BACKUP_DIRS=/backups
VOLUME ["/data", "/backups"]

USER dsnlink
WORKDIR /home/dsnlink
EXPOSE 8000
# `dsnlink serve` bounds slow clients (DSNLINK_HEADER_READ_TIMEOUT_SECONDS,
# DSNLINK_BODY_READ_TIMEOUT_SECONDS, DSNLINK_KEEP_ALIVE_SECONDS, DSNLINK_MAX_CONNECTIONS) and
# believes X-Forwarded-For only from DSNLINK_FORWARDED_ALLOW_IPS (docs/security.md). It refuses
# to serve on 0.0.0.0 without DSNLINK_ENVIRONMENT or real secrets.
CMD ["dsnlink", "serve", "--host", "0.0.0.0", "--port", "8000", "--worker", "no"]
