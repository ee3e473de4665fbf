"""Tables of support requests and their events."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsnlink.db import UTCDateTime


class SupportStatus(StrEnum):
    OPEN = "open"
    TAKEN_IN_CHARGE = "taken_in_charge"
    QUALIFIED = "qualified"
    RESOLVED = "resolved"
    CLOSED = "closed"


class SupportRequest(SQLModel, table=True):
    """A tenant's request to the support desk, with the deadlines the booklet gives it."""

    __tablename__ = "support_request"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", index=True)
    opened_by_user_id: uuid.UUID = Field(foreign_key="app_user.id")
    title: str = Field(max_length=200)
    description: str = Field(sa_type=sa.Text)
    criticity: int
    offering: str = Field(max_length=64)
    formula: str | None = Field(default=None, max_length=16)
    status: str = Field(max_length=32, index=True)
    opened_at: datetime = Field(sa_type=UTCDateTime, index=True)
    take_charge_by: datetime = Field(sa_type=UTCDateTime)
    taken_in_charge_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    qualified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    plan_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fix_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SupportRequestEvent(SQLModel, table=True):
    """One state change of a support request: the status entered, when, by whom."""

    __tablename__ = "support_request_event"

    id: int | None = Field(default=None, primary_key=True)
    request_id: uuid.UUID = Field(foreign_key="support_request.id", index=True)
    status: str = Field(max_length=32)
    at: datetime = Field(sa_type=UTCDateTime)
    by: str = Field(max_length=64, description="a user id, or 'operator'")
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
