"""Support requests: tenants open and follow them; the operator's desk moves them along."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.errors import responses
from api.operator import OperatorDep
from dsnlink.support import service as support_service
from dsnlink.support.models import SupportStatus
from dsnlink.support.schemas import (
    ComplianceRead,
    SupportQualify,
    SupportRequestCreate,
    SupportRequestRead,
)

requests_router = APIRouter(prefix="/support-requests", tags=["support"])
operator_router = APIRouter(
    prefix="/operator/support-requests", tags=["operator"], responses=responses(401, 403)
)


@requests_router.post(
    "",
    status_code=201,
    summary="Open a support request",
    description="`take_charge_by` follows the tenant's offering and formula (e.g. 8 working"
    " hours for DSN Link Open).",
    responses=responses(422),
)
def open_request(
    body: SupportRequestCreate, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> SupportRequestRead:
    request = support_service.open_support_request(
        session,
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        title=body.title,
        description=body.description,
        criticity=body.criticity,
        clock=runtime.clock,
    )
    return support_service.describe_support_request(session, request)


@requests_router.get("", summary="The tenant's support requests")
def list_requests(session: SessionDep, principal: PrincipalDep) -> list[SupportRequestRead]:
    return [
        support_service.describe_support_request(session, r)
        for r in support_service.list_support_requests(session, tenant_id=principal.tenant_id)
    ]


@requests_router.get(
    "/compliance",
    summary="Share of the tenant's requests taken in charge in time, last 12 months",
)
def read_compliance(
    session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> ComplianceRead:
    return support_service.compliance(
        session, now=runtime.clock.now(), tenant_id=principal.tenant_id
    )


@requests_router.get(
    "/{request_id}", summary="One support request and its events", responses=responses(404)
)
def read_request(
    request_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> SupportRequestRead:
    request = support_service.get_support_request_or_raise(
        session, request_id=request_id, tenant_id=principal.tenant_id
    )
    return support_service.describe_support_request(session, request)


@operator_router.get("", summary="Every tenant's support requests")
def operator_list(
    session: SessionDep, _: OperatorDep, status: SupportStatus | None = None
) -> list[SupportRequestRead]:
    return [
        support_service.describe_support_request(session, r)
        for r in support_service.list_support_requests(session, status=status)
    ]


def _advance(
    session: SessionDep,
    runtime: RuntimeDep,
    request_id: uuid.UUID,
    to: SupportStatus,
    criticity: int | str | None = None,
) -> SupportRequestRead:
    request = support_service.advance_support_request(
        session, request_id=request_id, to=to, criticity=criticity, clock=runtime.clock
    )
    return support_service.describe_support_request(session, request)


@operator_router.post(
    "/{request_id}/take-charge", summary="Take in charge", responses=responses(404, 409)
)
def take_charge(
    request_id: uuid.UUID, session: SessionDep, runtime: RuntimeDep, _: OperatorDep
) -> SupportRequestRead:
    return _advance(session, runtime, request_id, SupportStatus.TAKEN_IN_CHARGE)


@operator_router.post(
    "/{request_id}/qualify",
    summary="Qualify: confirm the criticity, start the plan/fix deadline",
    responses=responses(404, 409, 422),
)
def qualify(
    request_id: uuid.UUID,
    body: SupportQualify,
    session: SessionDep,
    runtime: RuntimeDep,
    _: OperatorDep,
) -> SupportRequestRead:
    return _advance(session, runtime, request_id, SupportStatus.QUALIFIED, body.criticity)


@operator_router.post("/{request_id}/resolve", summary="Resolve", responses=responses(404, 409))
def resolve(
    request_id: uuid.UUID, session: SessionDep, runtime: RuntimeDep, _: OperatorDep
) -> SupportRequestRead:
    return _advance(session, runtime, request_id, SupportStatus.RESOLVED)


@operator_router.post("/{request_id}/close", summary="Close", responses=responses(404, 409))
def close(
    request_id: uuid.UUID, session: SessionDep, runtime: RuntimeDep, _: OperatorDep
) -> SupportRequestRead:
    return _advance(session, runtime, request_id, SupportStatus.CLOSED)


router = APIRouter()
router.include_router(requests_router)
router.include_router(operator_router)
