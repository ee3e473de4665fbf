"""Input and output shapes of incidents, maintenances, the status page and support requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from dsnlink.contract.maintenance import MaintenanceKind
from dsnlink.contract.models import SupportStatus
from dsnlink.contract.offerings import IncidentCause
from dsnlink.inputs import InputModel

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


class SupportRequestCreate(_Input):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(min_length=1, max_length=20000)]
    criticity: int | str = Field(
        description="1, 2, 3 or the offering's label (e.g. Critique for Quadra)", examples=[2]
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Retour CCO absent",
                    "description": "La DSN d'octobre est déposée depuis 2 h sans certificat.",
                    "criticity": 2,
                }
            ]
        },
    )


class SupportQualify(_Input):
    criticity: int | str | None = Field(
        default=None, description="the criticity confirmed by the support; default: as opened"
    )


class SupportEventRead(BaseModel):
    status: SupportStatus
    at: datetime
    by: str
    detail: dict[str, object]


class SupportRequestRead(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    criticity: int
    criticity_label: str
    status: SupportStatus
    opened_at: datetime
    take_charge_by: datetime
    taken_in_charge_at: datetime | None
    qualified_at: datetime | None
    plan_by: datetime | None = Field(description="criticity 1: corrective plan due")
    fix_by: datetime | None = Field(description="criticity 2: fix or workaround due")
    resolved_at: datetime | None
    closed_at: datetime | None
    events: list[SupportEventRead]


class ComplianceRead(BaseModel):
    """Share of requests taken in charge in time over the last 12 months."""

    since: datetime
    until: datetime
    on_time: int
    late: int
    pending: int
    share_percent: float | None
    target_percent: float
    met: bool
