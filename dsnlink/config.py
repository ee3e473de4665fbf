"""Settings: one pydantic-settings class, prefix DSNLINK_, built once and passed in."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from dsnlink.transmission.settings import TransmissionSettings

PLACEHOLDER_SECRET = "change-me-development-only"


class Settings(TransmissionSettings, BaseSettings):
    """Everything configurable about a dsnlink process."""

    model_config = SettingsConfigDict(env_prefix="DSNLINK_", env_file=".env", extra="ignore")

    environment: str = Field(
        default="development", description="development, test or production"
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

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dsnlink.sqlite3').resolve()}"

    def check_secrets(self) -> None:
        """Refuse placeholder secrets outside development and test."""
        from dsnlink.errors import InputError

        relaxed = self.environment in {"development", "test"}
        if not relaxed and self.secret_key == PLACEHOLDER_SECRET:
            raise InputError("DSNLINK_SECRET_KEY must be set outside development")


@lru_cache
def get_settings() -> Settings:
    return Settings()
