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
        # Identical content (line endings and compression aside) is the same file.
        sa.Index("uq_declaration_content", "tenant_id", "content_sha256", unique=True),
        # At most one live normal monthly declaration per establishment, month and nature.
        sa.Index("uq_declaration_business_key", "tenant_id", "business_key", unique=True),
        sa.Index("ix_declaration_tenant_changed", "tenant_id", "status_changed_at", "id"),
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
    content_sha256: str | None = Field(
        default=None, max_length=64, description="SHA-256 of the content, line endings normalised"
    )
    order_number: str | None = Field(
        default=None, max_length=32, description="S20.G00.05.004: what an A&R's .006 refers to"
    )
    business_key: str | None = Field(
        default=None,
        max_length=80,
        description="establishment|month|nature of a live normal declaration (types 01/02)",
    )
    status_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    receipt_version: int = Field(default=2, description="what the receipt signs (tracking.py)")


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


class IdempotencyKey(SQLModel, table=True):
    """A client's `Idempotency-Key` for one route: the request's fingerprint and the answer given,
    so a retry gets the original answer for `expires_at` (24 h)."""

    __tablename__ = "idempotency_key"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "scope", "key", name="uq_idempotency_key"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    scope: str = Field(max_length=120, description="the route: method and path")
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64, description="SHA-256 of the request's body and query")
    status_code: int | None = None
    response_sealed: bytes | None = Field(
        default=None, sa_type=sa.LargeBinary, description="the answer's JSON body, sealed"
    )
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class DeclarationAccess(SQLModel, table=True):
    """Who downloaded or deleted a declaration's file, and when (kept after a deletion)."""

    __tablename__ = "declaration_access"

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    declaration_id: uuid.UUID = Field(index=True, description="no foreign key: outlives it")
    action: str = Field(max_length=16, description="download or delete")
    at: datetime = Field(sa_type=UTCDateTime)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")
    api_key_id: uuid.UUID | None = Field(default=None, foreign_key="api_key.id")
