"""Tables of the alerts: a tenant's choices, every alert sent (or tried), the events' cursor."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsnlink.db import UTCDateTime


class AlertKind(StrEnum):
    """Why an alert is sent."""

    CUTOFF = "cutoff"  # establishments still to file before the cut-off
    ARE = "are"  # avis de rejet d'envoi: the deposit point refused the file
    BAN = "ban"  # bilan d'anomalies: rejected, to send again as a new normal declaration
    CRM_KO = "crm_ko"  # an organism's compte rendu métier says KO
    TRANSMISSION_FAILED = "transmission_failed"


class Delivery(StrEnum):
    """Where the sending of an alert stands."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class AlertSettings(SQLModel, table=True):
    """What a tenant wants: to whom alerts go, and how long before the cut-off they warn."""

    __tablename__ = "alert_settings"

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", primary_key=True)
    recipients: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    cutoff_hours: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    on_events: bool = True
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by_user_id: uuid.UUID | None = Field(default=None, foreign_key="app_user.id")


class Alert(SQLModel, table=True):
    """One alert: what it says, to whom, and how its delivery went. `dedupe_key` makes the same
    alert (one event, one cut-off warning) exist once per tenant, whatever the workers do."""

    __tablename__ = "alert"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "dedupe_key"),
        sa.Index("ix_alert_tenant_created", "tenant_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    kind: str = Field(max_length=32)
    dedupe_key: str = Field(max_length=200)
    declaration_id: uuid.UUID | None = Field(default=None, foreign_key="declaration.id")
    company_id: uuid.UUID | None = Field(
        default=None, foreign_key="company.id", description="None: about several companies"
    )
    month: str | None = Field(default=None, max_length=7)
    recipients: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(sa_type=UTCDateTime)
    delivery: str = Field(default=Delivery.PENDING, max_length=16, index=True)
    attempts: int = 0
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=500)


class AlertCursor(SQLModel, table=True):
    """How far the timeline events were read for alerts (one row, name 'events')."""

    __tablename__ = "alert_cursor"

    name: str = Field(primary_key=True, max_length=32)
    last_event_id: int = 0
