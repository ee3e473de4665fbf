"""Tables of the running contract: incidents, maintenances, component probes, support requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from dsnlink.db import UTCDateTime


class IncidentSource(StrEnum):
    """Who recorded an incident: the operator by hand, or the gateway's own health probes."""

    OPERATOR = "operator"
    PROBE = "probe"


class Component(StrEnum):
    """The parts of the service the status page reports on."""

    API = "api"
    WORKER = "worker"
    DEPOSIT_POINT = "deposit_point"
    DATABASE = "database"


class SupportStatus(StrEnum):
    OPEN = "open"
    TAKEN_IN_CHARGE = "taken_in_charge"
    QUALIFIED = "qualified"
    RESOLVED = "resolved"
    CLOSED = "closed"


class IncidentRecord(SQLModel, table=True):
    """A period of unavailability as stored; `end` is None while it lasts."""

    __tablename__ = "incident"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    start: datetime = Field(sa_type=UTCDateTime, index=True)
    end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cause: str = Field(max_length=32)
    source: str = Field(max_length=16)
    component: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Maintenance(SQLModel, table=True):
    """A maintenance announced by the operator (planned or urgent)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    start: datetime = Field(sa_type=UTCDateTime, index=True)
    end: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=16)
    announced_at: datetime = Field(sa_type=UTCDateTime)
    reason: str = Field(max_length=500)


class ComponentProbe(SQLModel, table=True):
    """The last thing known about one component: its last probe or heartbeat."""

    __tablename__ = "component_probe"

    component: str = Field(primary_key=True, max_length=32)
    ok: bool
    checked_at: datetime = Field(sa_type=UTCDateTime)
    last_ok_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    detail: str | None = Field(default=None, max_length=500)


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


class TenantLimit(SQLModel, table=True):
    """The operator's override of one of the offering's limits for one tenant."""

    __tablename__ = "tenant_limit"

    tenant_id: uuid.UUID = Field(foreign_key="tenant.id", primary_key=True)
    name: str = Field(primary_key=True, max_length=32)
    value: int
    set_at: datetime = Field(sa_type=UTCDateTime)
