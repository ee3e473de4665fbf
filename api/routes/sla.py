"""Availability of the service (tenants) and the operator's incidents and maintenances."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.errors import responses
from api.operator import OperatorDep
from dsnlink.months import parse_month
from dsnlink.service_status import service as service_status
from dsnlink.service_status.schemas import (
    AvailabilityRead,
    IncidentCreate,
    IncidentEnd,
    IncidentRead,
    MaintenanceCreate,
    MaintenanceRead,
)

tenant_router = APIRouter(tags=["sla"])
operator_router = APIRouter(prefix="/operator", tags=["operator"], responses=responses(401, 403))


@tenant_router.get(
    "/sla/availability",
    summary="Monthly availability rate of the tenant's offering",
    description="TD = (PRT − Σ TI) / PRT × 100; incidents still ongoing count up to now.",
    responses=responses(422),
)
def read_availability(
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])],
) -> AvailabilityRead:
    return service_status.tenant_availability(
        session,
        tenant_id=principal.tenant_id,
        month=parse_month(month),
        now=runtime.clock.now(),
    )


def _incident(record: object) -> IncidentRead:
    return IncidentRead.model_validate(record, from_attributes=True)


@operator_router.post(
    "/incidents", status_code=201, summary="Record an incident", responses=responses(422)
)
def record_incident(
    body: IncidentCreate, session: SessionDep, runtime: RuntimeDep, _: OperatorDep
) -> IncidentRead:
    return _incident(
        service_status.record_incident(
            session,
            start=body.start,
            end=body.end,
            cause=body.cause,
            note=body.note,
            clock=runtime.clock,
        )
    )


@operator_router.post(
    "/incidents/{incident_id}/end",
    summary="End an ongoing incident",
    responses=responses(404, 409, 422),
)
def end_incident(
    incident_id: uuid.UUID, body: IncidentEnd, session: SessionDep, _: OperatorDep
) -> IncidentRead:
    return _incident(service_status.end_incident(session, incident_id=incident_id, end=body.end))


@operator_router.get("/incidents", summary="The most recent incidents")
def list_incidents(session: SessionDep, _: OperatorDep) -> list[IncidentRead]:
    return [_incident(i) for i in service_status.list_incidents(session)]


@operator_router.post(
    "/maintenances",
    status_code=201,
    summary="Announce a maintenance",
    description="Planned: inside the offering's window and at least 48 h ahead, else 422"
    " `maintenance-refused` with its `reason`. Urgent: any time.",
    responses=responses(422),
)
def announce_maintenance(
    body: MaintenanceCreate, session: SessionDep, runtime: RuntimeDep, _: OperatorDep
) -> MaintenanceRead:
    maintenance = service_status.schedule_maintenance(
        session,
        start=body.start,
        end=body.end,
        kind=body.kind,
        reason=body.reason,
        clock=runtime.clock,
    )
    return service_status.describe_maintenance(maintenance)


@operator_router.get("/maintenances", summary="Maintenances in progress or to come")
def list_maintenances(
    session: SessionDep, runtime: RuntimeDep, _: OperatorDep
) -> list[MaintenanceRead]:
    return [
        service_status.describe_maintenance(m)
        for m in service_status.list_maintenances(session, since=runtime.clock.now())
    ]


router = APIRouter()
router.include_router(tenant_router)
router.include_router(operator_router)
