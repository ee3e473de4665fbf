"""Input and output shapes of support requests."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from dsnlink.inputs import InputModel
from dsnlink.support.models import SupportStatus

ComponentState = Literal["operational", "degraded", "down", "unknown"]


class _Input(InputModel):
    pass


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
