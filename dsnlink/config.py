"""Settings: one pydantic-settings class, prefix DSNLINK_, built once and passed in."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
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
