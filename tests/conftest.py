"""Shared fixtures: a migrated database on each backend, settings, a frozen clock.

Every test that asks for `db_engine` runs twice in one pytest run: `[sqlite]` and
`[postgresql]`. PostgreSQL gets a throwaway database per test session (created, migrated with
Alembic, dropped at the end); between tests the tables are emptied, never re-migrated. If the
server is unreachable the PostgreSQL half is skipped with the reason, except under CI=true,
where it fails.
"""

from __future__ import annotations

import base64
import logging
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings, get_settings

# aiosmtpd's test servers log each connection (their own start-up probe included) at INFO:
# noise in the test output, not a result.
logging.getLogger("mail.log").setLevel(logging.WARNING)

BACKENDS = ("sqlite", "postgresql")
POSTGRES_URL = os.environ.get(
    "DSNLINK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# 2026-11-02 10:00 UTC: before the October 2026 cut-off of every due day.
DEFAULT_NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
TEST_ENCRYPTION_KEY = Fernet.generate_key().decode()
TEST_SIGNING_KEY = base64.b64encode(
    Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
).decode()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        engine.dispose()
        reason = f"PostgreSQL unreachable at {make_url(POSTGRES_URL).render_as_string()}: {exc}"
        if _in_ci():
            pytest.fail(f"{reason} (CI=true: PostgreSQL is required)")
        pytest.skip(reason)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'dsnlink.sqlite3'}"
        db.upgrade(url)
        engine = db.create_db_engine(url)
        yield engine
        engine.dispose()
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = f"dsnlink_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        db.upgrade(url)
        engine = db.create_db_engine(url)
        yield engine
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _empty_tables(engine: Engine) -> None:
    tables = [t for t in sa.inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            quoted = ", ".join(f'"{t}"' for t in tables)
            connection.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
            return
        connection.execute(sa.text("PRAGMA foreign_keys=OFF"))
        for table in tables:
            connection.execute(sa.text(f'DELETE FROM "{table}"'))
        connection.execute(sa.text("PRAGMA foreign_keys=ON"))


@pytest.fixture
def db_engine(migrated_engine: Engine) -> Iterator[Engine]:
    """A migrated, empty database (run once per backend)."""
    yield migrated_engine
    _empty_tables(migrated_engine)


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    """A session for service-level tests; the test commits when it needs to."""
    with Session(db_engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(DEFAULT_NOW)


@pytest.fixture
def settings(tmp_path: Path, db_engine: Engine) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=db_engine.url.render_as_string(hide_password=False),
        secret_key="test-secret-key-not-a-placeholder",
        encryption_keys=TEST_ENCRYPTION_KEY,
        receipt_signing_key=TEST_SIGNING_KEY,
        max_upload_bytes=5 * 1024 * 1024,
    )


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The test's settings as DSNLINK_* variables: the CLI reads them, as in production."""
    for name, value in settings.to_env().items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def production_settings(settings: Settings) -> Settings:
    """The test's settings as a production deployment must have them: strong secrets, the real
    deposit point, the concentrator's own password (`check_secrets` accepts them)."""
    return settings.model_copy(
        update={
            "environment": "production",
            "secret_key": "prod-" + base64.b64encode(os.urandom(30)).decode(),
            "deposit_point_url": "net-entreprises",
            "concentrator_password": SecretStr("Concentrateur-" + uuid.uuid4().hex),
        }
    )
