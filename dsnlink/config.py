"""Settings: one pydantic-settings class, prefix DSNLINK_, built once and passed in.

`environment` is one of four words; `Settings.is_development` is the one helper every rule asks
("may a key be generated here, may a placeholder stand in for a secret?"), and `check_secrets` is
the one validator of the secrets, run by every process that serves or transmits.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_CONCENTRATOR_PASSWORD = "azerty"


class TransmissionSettings(BaseSettings):
    """Where the deposit point is, who the concentrator is, and the worker's timings (mixed into
    Settings below; demo defaults are the mock deposit point's concentrator)."""

    deposit_point_url: str = Field(
        default="http://127.0.0.1:8081",
        description="base URL of the deposit point (one host; 'net-entreprises' for production)",
    )
    concentrator_siret: str = Field(default="18751249600022")
    concentrator_nom: str = Field(default="CTR2000")
    concentrator_prenom: str = Field(default="concentrateur")
    concentrator_password: SecretStr = Field(default=SecretStr(DEMO_CONCENTRATOR_PASSWORD))
    worker_poll_seconds: float = Field(
        default=1.0, gt=0, description="idle sleep of the SQLite polling loop"
    )
    worker_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="a claimed job whose worker stopped renewing its lease (renewed every third "
        "of it while a step runs) is taken over after this",
    )
    transmission_retry_base_seconds: float = Field(default=30.0, ge=0)
    transmission_retry_max_seconds: float = Field(default=3600.0, ge=0)
    transmission_max_age_hours: float = Field(
        default=72.0, gt=0, description="after this, a transmission still not done is failed"
    )
    transmission_declarant_wait_seconds: float = Field(
        default=5.0, ge=0, description="retry delay when the declarant has a deposit in flight"
    )
    deposit_read_timeout_seconds: float = Field(default=300.0, gt=0)
    reconcile_grace_seconds: float = Field(
        default=180.0, ge=0, description="after sent_at + read timeout + this, an unseen deposit "
        "is deemed lost and sent again"
    )
    reconcile_recheck_seconds: float = Field(default=30.0, ge=0)
    reconcile_proof_seconds: float = Field(
        default=7200.0,
        ge=0,
        description="a flow listed after an ambiguous deposit is adopted only once its bilan "
        "proves it ours; one still without a bilan this long after sending was not: sent again",
    )
    deposit_point_token_max_age_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="the concentrator's token is kept until a 401 or this age (the login's Expires "
        "is the answer's freshness, not the token's life)",
    )
    deposit_point_cache_max_seconds: float = Field(
        default=300.0,
        ge=0,
        description="an answer is reused until its Expires (the platform's rule), at most this",
    )
    returns_max_bytes: int = Field(
        default=50 * 1024 * 1024,
        gt=0,
        description="largest answer read from the deposit point, once decompressed (a bigger one, "
        "a decompression bomb, is not read: the return is quarantined)",
    )
    returns_poll_seconds: float = Field(default=60.0, ge=0)
    returns_lag_seconds: float = Field(
        default=120.0, ge=0, description="listings are read this far behind now"
    )
    returns_follow_days: float = Field(
        default=7.0, gt=0, description="a flow is settled this long after its deposit"
    )
    client_retry_backoff_seconds: float = Field(default=1.0, ge=0)


class AlertSettings(BaseSettings):
    """The SMTP server alerts go through and when they are computed (mixed into Settings)."""

    smtp_host: str | None = Field(
        default=None, description="SMTP server of the alert e-mails; unset: alerts are recorded, "
        "not sent"
    )
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="starttls, ssl (implicit TLS) or none (a local catcher)"
    )
    smtp_username: str | None = Field(default=None)
    smtp_password: SecretStr | None = Field(default=None)
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    alert_sender: str = Field(
        default="DSN Link <alertes@dsnlink.invalid>", description="From: of the alert e-mails"
    )
    alert_cutoff_hours: str = Field(
        default="48,12",
        description="hours before the cut-off at which a tenant is warned of what is still to "
        "file, until it chooses its own",
    )
    alerts_every_seconds: float = Field(
        default=60.0, gt=0, description="how often the worker looks for alerts to send"
    )
    alert_max_attempts: int = Field(default=5, gt=0)
    dashboard_url: str = Field(
        default="http://localhost:8000", description="public address of the gateway, for links"
    )


PLACEHOLDER_SECRET = "change-me-development-only"

Environment = Literal["development", "demo", "test", "production"]
# Below these, a secret is guessable: refused outside development.
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT_CHARACTERS = 10
MIN_PASSWORD_LENGTH = 8
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class Settings(TransmissionSettings, AlertSettings, BaseSettings):
    """Everything configurable about a dsnlink process."""

    model_config = SettingsConfigDict(env_prefix="DSNLINK_", env_file=".env", extra="ignore")

    environment: Environment = Field(
        default="development",
        description="development, demo or test (placeholder secrets allowed, missing keys generated"
        " into data_dir/keys) or production (every secret required and checked)",
    )
    data_dir: Path = Field(
        default=Path("./data"), description="where the SQLite file and blobs live"
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in data_dir"
    )
    secret_key: str = Field(default=PLACEHOLDER_SECRET, description="HMAC key for API-key hashes")
    max_upload_bytes: int = Field(default=200 * 1024 * 1024)
    encryption_keys: str | None = Field(
        default=None,
        description="comma-separated Fernet master keys, newest first (passwords and stored files);"
        " development: generated once into data_dir/keys",
    )
    operator_token: str | None = Field(
        default=None,
        description="bearer token of the operator's endpoints (/v1/operator/...); unset outside"
        " development: those endpoints are refused",
    )
    backup_dirs: str | None = Field(
        default=None,
        description="comma-separated backup destinations (two places); default data_dir/backups",
    )
    receipt_signing_key: str | None = Field(
        default=None,
        description="Ed25519 private key signing receipts, PEM or base64 of the 32 raw bytes;"
        " development: generated once into data_dir/keys",
    )
    log_format: Literal["json", "console"] = Field(
        default="json", description="log lines: one JSON object each, or human-readable"
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    metrics_enabled: bool = Field(default=True, description="serve Prometheus metrics at /metrics")
    metrics_token: SecretStr | None = Field(
        default=None, description="when set, /metrics requires Authorization: Bearer <token>"
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=0, description="requests per API key (or client address) and minute; 0: off"
    )
    max_json_body_bytes: int = Field(
        default=1024 * 1024, gt=0, description="body size limit of every route but the upload"
    )
    health_timeout_seconds: float = Field(
        default=2.0, gt=0, description="timeout of each readiness check"
    )
    health_cache_seconds: float = Field(
        default=10.0, ge=0, description="how long a deposit-point probe result is reused"
    )
    ready_requires_deposit_point: bool = Field(
        default=True, description="/health/ready answers 503 when the deposit point is unreachable"
    )
    # --- slow clients and proxies (docs/security.md) ---
    header_read_timeout_seconds: float = Field(
        default=10.0, gt=0, description="`dsnlink serve` closes a connection whose request "
        "headers are not complete this long after it opened (or after its previous answer)"
    )
    body_read_timeout_seconds: float = Field(
        default=30.0, ge=0, description="408 and close when a request body stalls this long; "
        "0: off"
    )
    body_min_bytes_per_second: float = Field(
        default=1024.0, ge=0, description="after body_read_timeout_seconds, a body must have "
        "come at least this fast on average; 0: no minimum rate"
    )
    keep_alive_seconds: int = Field(
        default=5, gt=0, description="idle keep-alive connections are closed after this"
    )
    max_connections: int = Field(
        default=200, gt=0, description="`dsnlink serve`: connections or requests in progress "
        "beyond this are answered 503 at once"
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1", description="comma-separated addresses of the reverse proxies "
        "whose X-Forwarded-For/-Proto are believed (the rightmost address not among them is "
        "the client); never '*'"
    )
    storage_quota_bytes: int = Field(
        default=20 * 1024**3, gt=0, description="stored DSN files per tenant (decompressed "
        "sizes, rejected ones included) unless the operator sets the tenant's storage_bytes"
    )
    rejected_retention_days: int = Field(
        default=30, gt=0, description="`dsnlink retention` deletes declarations rejected by "
        "the norm controls (and their files) this many days after receipt"
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dsnlink.sqlite3').resolve()}"

    @property
    def is_development(self) -> bool:
        """Whether placeholder secrets and generated keys are acceptable (not production)."""
        return self.environment != "production"

    @property
    def secret_key_is_weak(self) -> bool:
        """Whether DSNLINK_SECRET_KEY is a placeholder or guessable (refused in production)."""
        return _weakness(self.secret_key) is not None

    @property
    def environment_is_explicit(self) -> bool:
        """Whether DSNLINK_ENVIRONMENT (or the caller) chose the environment; unset means the
        development default, which only a developer's own machine should run."""
        return "environment" in self.model_fields_set

    def secret_problems(self, *, serving_on: str | None = None) -> list[str]:
        """What is wrong with the secrets for this environment.

        Nothing in a development environment, except when the environment was left unset and
        the gateway is to serve on `serving_on`, an address other than the loopback: there the
        public placeholders would guard a reachable gateway, so DSNLINK_SECRET_KEY and
        DSNLINK_OPERATOR_TOKEN must be real secrets (or DSNLINK_ENVIRONMENT set).
        """
        if self.is_development:
            if (
                serving_on is None
                or serving_on in LOOPBACK_HOSTS
                or serving_on.startswith("127.")
                or self.environment_is_explicit
            ):
                return []
            exposed = []
            for name, value in (
                ("DSNLINK_SECRET_KEY", self.secret_key),
                ("DSNLINK_OPERATOR_TOKEN", self.operator_token or PLACEHOLDER_SECRET),
            ):
                weak = _weakness(value)
                if weak:
                    exposed.append(
                        f"{name} {weak} and DSNLINK_ENVIRONMENT is unset while serving on "
                        f"{serving_on}: set real secrets or DSNLINK_ENVIRONMENT"
                    )
            return exposed
        problems = []
        weak = _weakness(self.secret_key)
        if weak:
            problems.append(f"DSNLINK_SECRET_KEY {weak}")
        for name, secret in (
            ("DSNLINK_OPERATOR_TOKEN", self.operator_token),
            ("DSNLINK_METRICS_TOKEN", self.metrics_token and self.metrics_token.get_secret_value()),
        ):
            weak = _weakness(secret) if secret else None
            if weak:
                problems.append(f"{name} {weak}")
        password = self.concentrator_password.get_secret_value()
        if password in {"", DEMO_CONCENTRATOR_PASSWORD} or PLACEHOLDER_SECRET in password:
            problems.append(
                "DSNLINK_CONCENTRATOR_PASSWORD is the demo's or a placeholder: set the "
                "concentrator's net-entreprises password"
            )
        elif len(password) < MIN_PASSWORD_LENGTH:
            problems.append(
                f"DSNLINK_CONCENTRATOR_PASSWORD is shorter than {MIN_PASSWORD_LENGTH} characters"
            )
        if self.deposit_point_url != "net-entreprises" and (
            urlsplit(self.deposit_point_url).hostname or ""
        ) in LOOPBACK_HOSTS:
            problems.append(
                "DSNLINK_DEPOSIT_POINT_URL points at a deposit point on this machine (the mock): "
                "set 'net-entreprises' or the real deposit point's URL"
            )
        return problems

    def check_secrets(self, *, serving_on: str | None = None) -> None:
        """Refuse placeholder or weak secrets outside development, or in an unset environment
        serving on a non-loopback address (every problem at once)."""
        from dsnlink.errors import InputError

        problems = self.secret_problems(serving_on=serving_on)
        if problems:
            raise InputError(
                f"refusing to start in the {self.environment} environment: "
                + "; ".join(problems),
                problems=problems,
            )

    def to_env(self) -> dict[str, str]:
        """These settings as DSNLINK_* variables (for a child process); unset ones are left out."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, bool):
                value = "true" if value else "false"
            env[f"DSNLINK_{name.upper()}"] = str(value)
        return env


def _weakness(secret: str) -> str | None:
    """Why a secret is guessable, or None."""
    if PLACEHOLDER_SECRET in secret or "change-me" in secret:
        return "is a placeholder"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(secret)) < MIN_SECRET_DISTINCT_CHARACTERS:
        return f"has fewer than {MIN_SECRET_DISTINCT_CHARACTERS} distinct characters"
    return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
