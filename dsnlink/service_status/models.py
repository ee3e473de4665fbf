"""Tables of the running service: incidents, maintenances, component probes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

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
    RETURNS = "returns"


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
