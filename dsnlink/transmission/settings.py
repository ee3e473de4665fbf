"""Settings of the transmission worker, mixed into dsnlink.config.Settings (prefix DSNLINK_).

Demo defaults are the mock deposit point's concentrator (`python -m mock_netentreprises`);
outside development and test `check_transmission_secrets` refuses them.
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

DEMO_CONCENTRATOR_PASSWORD = "azerty"


class TransmissionSettings(BaseSettings):
    """Where the deposit point is, who the concentrator is, and the worker's timings."""

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
    returns_poll_seconds: float = Field(default=60.0, ge=0)
    returns_lag_seconds: float = Field(
        default=120.0, ge=0, description="listings are read this far behind now"
    )
    returns_follow_days: float = Field(
        default=7.0, gt=0, description="a flow is settled this long after its deposit"
    )
    client_retry_backoff_seconds: float = Field(default=1.0, ge=0)
