"""Tables of received declarations and their timeline; `DeclarationStatus` is documented in
docs/statuses.md.

Columns named `*_sealed` hold personal data (anomalies quote the rubric's value: a NIR, a name,
a birth date...) as Fernet tokens of JSON under the master keys (security/keys.py); the services
seal and open them explicitly with the keyring they are given.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsnlink.db import UTCDateTime


class DeclarationStatus(StrEnum):
    """Where a declaration stands, from intake to the deposit point's returns."""

    RECEIVED = "received"
    VALIDATED = "validated"
    REJECTED = "rejected"
    ORDERED = "ordered"
    TRANSMITTING = "transmitting"
    WAITING_FOR_DEPOSIT_POINT = "waiting_for_deposit_point"
    RECONCILING = "reconciling"
    DEPOSITED = "deposited"
    REFUSED_BY_DEPOSIT_POINT = "refused_by_deposit_point"
    CONFORM = "conform"
    ANOMALIES = "anomalies"
    REJECTED_BY_DEPOSIT_POINT = "rejected_by_deposit_point"
    TRANSMISSION_FAILED = "transmission_failed"

    @property
    def transmittable(self) -> bool:
        """Whether a transmission may be ordered (again, after a failed transmission)."""
        return self in {DeclarationStatus.VALIDATED, DeclarationStatus.TRANSMISSION_FAILED}

    @property
    def filed(self) -> bool:
        """Whether the declaration counts as filed: deposited and not refused nor rejected (the
        bilan, when it comes, is conform or lists only non-blocking anomalies)."""
        return self in {
            DeclarationStatus.DEPOSITED,
            DeclarationStatus.CONFORM,
            DeclarationStatus.ANOMALIES,
        }


class Declaration(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "sha256"),
        sa.Index("ix_declaration_tenant_month", "tenant_id", "month"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    company_id: uuid.UUID = Field(foreign_key="company.id", index=True)
    establishment_id: uuid.UUID = Field(foreign_key="establishment.id")
    status: str = Field(max_length=32, index=True)
    nature: str = Field(max_length=2)
    type: str = Field(max_length=2)
    month: str = Field(max_length=7, description="YYYY-MM, the main month declared")
    norm_version: str | None = Field(default=None, max_length=8)
    individuals: int = 0
    filename: str | None = Field(default=None, max_length=255)
    sha256: str = Field(max_length=64)
    size: int = Field(sa_type=sa.BigInteger)
    blob_path: str = Field(max_length=500)
    blob_wrapped_key: str = Field(sa_type=sa.Text)
    anomalies_sealed: bytes | None = Field(
        default=None, sa_type=sa.LargeBinary, description="the stored anomalies' JSON list, sealed"
    )
    anomaly_count: int = 0
    received_at: datetime = Field(sa_type=UTCDateTime)
    deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cutoff: datetime | None = Field(default=None, sa_type=UTCDateTime)
    guaranteed: bool
    late: bool
    received_by_user_id: uuid.UUID = Field(foreign_key="app_user.id")
    received_by_api_key_id: uuid.UUID | None = Field(default=None, foreign_key="api_key.id")
    ordered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ordered_by_user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    ordered_by_api_key_id: uuid.UUID | None = Field(default=None, foreign_key="api_key.id")
    organisms: dict[str, Any] = Field(
        default_factory=dict,
        sa_type=sa.JSON,
        description="the organisms' verdicts (CRMs), by organism: status, CRM code, nature, at",
    )
    receipt_signature: str = Field(max_length=128)
    receipt_key_id: str = Field(max_length=32)


class DeclarationEvent(SQLModel, table=True):
    """One step of a declaration's timeline: the status it entered, when, by whom, why."""

    __tablename__ = "declaration_event"

    # An increasing integer keeps the timeline's order when two events share an instant.
    id: int | None = Field(default=None, primary_key=True)
    declaration_id: uuid.UUID = Field(foreign_key="declaration.id", index=True)
    status: str = Field(max_length=32)
    at: datetime = Field(sa_type=UTCDateTime)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    api_key_id: uuid.UUID | None = Field(default=None, foreign_key="api_key.id")
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    detail_sealed: bytes | None = Field(
        default=None,
        sa_type=sa.LargeBinary,
        description="the detail's personal part (a return's anomalies), a sealed JSON object",
    )
