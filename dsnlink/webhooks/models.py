"""Tables of webhooks: endpoints, the durable delivery queue, one row per attempt, the cursor
over the declarations' timeline that the dispatcher has fanned out."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsnlink.db import UTCDateTime


class DeliveryStatus(StrEnum):
    """Where a delivery stands: waiting for its (next) attempt, delivered, or given up."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookEndpoint(SQLModel, table=True):
    """A URL of the tenant that receives the events it subscribed to, signed with its secret."""

    __tablename__ = "webhook_endpoint"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    url: str = Field(max_length=2000)
    events: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    description: str | None = Field(default=None, max_length=200)
    secret_sealed: bytes = Field(sa_type=sa.LargeBinary, description="the signing secret, sealed")
    created_at: datetime = Field(sa_type=UTCDateTime)
    created_by_user_id: uuid.UUID = Field(foreign_key="app_user.id")
    consecutive_failures: int = 0
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    disabled_reason: str | None = Field(default=None, max_length=300)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: the queue row the sender claims, retries and finishes.

    `payload` carries no personal data: identifiers, statuses and labels only."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # Fan-out is idempotent: one delivery per endpoint and timeline event.
        sa.UniqueConstraint(
            "endpoint_id", "source_event_id", "event_type", name="uq_webhook_delivery_source"
        ),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    endpoint_id: uuid.UUID = Field(foreign_key="webhook_endpoint.id", index=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id")
    event_type: str = Field(max_length=64)
    source_event_id: int | None = Field(default=None, description="declaration_event.id")
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    status: str = Field(max_length=16, default=DeliveryStatus.PENDING)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookAttempt(SQLModel, table=True):
    """One HTTP call to an endpoint: what came back (or why nothing did), and how long it took."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: uuid.UUID = Field(foreign_key="webhook_delivery.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=300)
    duration_ms: int = 0


class WebhookCursor(SQLModel, table=True):
    """How far the dispatcher has fanned out the declarations' timeline (one row, locked)."""

    __tablename__ = "webhook_cursor"

    name: str = Field(primary_key=True, max_length=32)
    last_event_id: int = Field(default=0, sa_type=sa.BigInteger)
