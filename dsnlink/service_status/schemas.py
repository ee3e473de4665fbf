"""Input and output shapes of incidents, maintenances and the status page."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from dsnlink.inputs import InputModel
from dsnlink.sla.maintenance import MaintenanceKind
from dsnlink.sla.offerings import IncidentCause

ComponentState = Literal["operational", "degraded", "down", "unknown"]


class _Input(InputModel):
    pass


class IncidentCreate(_Input):
    start: AwareDatetime
    end: AwareDatetime | None = Field(default=None, description="None while it lasts")
    cause: IncidentCause
    note: str | None = Field(default=None, max_length=2000)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-11-02T09:00:00+01:00",
                    "end": "2026-11-02T09:40:00+01:00",
                    "cause": "outage",
                    "note": "database failover",
                }
            ]
        },
    )


class IncidentEnd(_Input):
    end: AwareDatetime


class IncidentRead(BaseModel):
    id: uuid.UUID
    start: datetime
    end: datetime | None
    cause: IncidentCause
    source: str
    component: str | None
    note: str | None


class MaintenanceCreate(_Input):
    start: AwareDatetime
    end: AwareDatetime
    kind: MaintenanceKind = MaintenanceKind.PLANNED
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "start": "2026-11-10T01:00:00Z",
                    "end": "2026-11-10T03:00:00Z",
                    "kind": "planned",
                    "reason": "mise à jour de la base de données",
                }
            ]
        },
    )


class MaintenanceRead(BaseModel):
    id: uuid.UUID
    start: datetime
    end: datetime
    kind: MaintenanceKind
    announced_at: datetime
    reason: str


class AvailabilityRead(BaseModel):
    """TD = (PRT − Σ TI) / PRT × 100 over one calendar month."""

    offering: str
    month: str = Field(examples=["2026-11"])
    prt_minutes: float
    downtime_minutes: float
    availability_percent: float
    target_percent: float
    met: bool


class ComponentRead(BaseModel):
    name: str
    label: str = Field(description="French name shown on the status page")
    state: ComponentState
    checked_at: datetime | None
    detail: str | None = None


class StatusRead(BaseModel):
    """The service's weather ("météo des offres SaaS")."""

    generated_at: datetime
    offering: str
    components: list[ComponentRead]
    maintenance_in_progress: MaintenanceRead | None
    planned_maintenances: list[MaintenanceRead]
    availability: AvailabilityRead
