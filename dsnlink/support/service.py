"""Support requests: opened by a tenant's users, advanced by the operator, measured against the
deadlines of the tenant's offering (the pure rules are in dsnlink.sla.support)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.errors import ConflictError, NotFoundError
from dsnlink.sla.offerings import (
    DEFAULT_OFFERING_ID,
    get_offering,
)
from dsnlink.sla.support import SupportRequest as ComplianceItem
from dsnlink.sla.support import support_compliance, support_deadlines
from dsnlink.support import repository
from dsnlink.support.models import SupportRequest, SupportRequestEvent, SupportStatus
from dsnlink.support.schemas import ComplianceRead, SupportEventRead, SupportRequestRead
from dsnlink.tenants.service import get_tenant_or_raise

# Who acts when the operator does (support events record a user id or this).
OPERATOR = "operator"


# The status a request must be in for each operator transition.
_TRANSITIONS: dict[SupportStatus, frozenset[SupportStatus]] = {
    SupportStatus.TAKEN_IN_CHARGE: frozenset({SupportStatus.OPEN}),
    SupportStatus.QUALIFIED: frozenset({SupportStatus.OPEN, SupportStatus.TAKEN_IN_CHARGE}),
    SupportStatus.RESOLVED: frozenset({SupportStatus.TAKEN_IN_CHARGE, SupportStatus.QUALIFIED}),
    SupportStatus.CLOSED: frozenset({SupportStatus.RESOLVED}),
}


def _add_support_event(
    session: Session,
    *,
    request: SupportRequest,
    status: SupportStatus,
    at: datetime,
    by: str,
    **detail: object,
) -> None:
    session.add(
        SupportRequestEvent(
            request_id=request.id,
            status=status,
            at=at,
            by=by,
            detail={k: v for k, v in detail.items() if v is not None},
        )
    )


def open_support_request(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    user_id: uuid.UUID,
    title: str,
    description: str,
    criticity: int | str,
    clock: Clock,
) -> SupportRequest:
    """A new request; its take-in-charge deadline follows the tenant's offering and formula."""
    tenant = get_tenant_or_raise(session, tenant_id=tenant_id)
    now = clock.now()
    deadlines = support_deadlines(
        tenant.offering, criticity=criticity, opened=now, formula=tenant.formula
    )
    request = SupportRequest(
        tenant_id=tenant.id,
        opened_by_user_id=user_id,
        title=title,
        description=description,
        criticity=int(deadlines.criticity),
        offering=tenant.offering,
        formula=deadlines.formula,
        status=SupportStatus.OPEN,
        opened_at=now,
        take_charge_by=deadlines.take_charge_by.astimezone(UTC),
    )
    session.add(request)
    session.flush()
    _add_support_event(
        session,
        request=request,
        status=SupportStatus.OPEN,
        at=now,
        by=str(user_id),
        take_charge_by=request.take_charge_by.isoformat(),
    )
    session.flush()
    return request


def get_support_request_or_raise(
    session: Session, *, request_id: uuid.UUID, tenant_id: uuid.UUID | None = None
) -> SupportRequest:
    """The request; another tenant's is reported as absent, never as forbidden."""
    request = repository.get_support_request(session, request_id=request_id, tenant_id=tenant_id)
    if request is None:
        raise NotFoundError(f"no support request {request_id}", request_id=str(request_id))
    return request


def list_support_requests(
    session: Session, *, tenant_id: uuid.UUID | None = None, status: SupportStatus | None = None
) -> Sequence[SupportRequest]:
    return repository.list_support_requests(session, tenant_id=tenant_id, status=status)


def advance_support_request(
    session: Session,
    *,
    request_id: uuid.UUID,
    to: SupportStatus,
    criticity: int | str | None = None,
    clock: Clock,
) -> SupportRequest:
    """The operator's transitions: taken in charge, qualified, resolved, closed (timestamped).

    Qualifying confirms (or corrects) the criticity and sets `plan_by` / `fix_by`; qualifying a
    request not yet taken in charge takes it in charge at the same instant.
    """
    request = get_support_request_or_raise(session, request_id=request_id)
    allowed = _TRANSITIONS.get(to)
    if allowed is None or SupportStatus(request.status) not in allowed:
        raise ConflictError(
            f"a support request {request.status} cannot become {to}",
            request_id=str(request.id),
            current_status=request.status,
            requested_status=str(to),
        )
    now = clock.now()
    if to in {SupportStatus.TAKEN_IN_CHARGE, SupportStatus.QUALIFIED} and (
        request.taken_in_charge_at is None
    ):
        request.taken_in_charge_at = now
        _add_support_event(
            session,
            request=request,
            status=SupportStatus.TAKEN_IN_CHARGE,
            at=now,
            by=OPERATOR,
            on_time=now <= request.take_charge_by,
        )
    if to is SupportStatus.QUALIFIED:
        deadlines = support_deadlines(
            request.offering,
            criticity=request.criticity if criticity is None else criticity,
            opened=request.opened_at,
            formula=request.formula,
            qualified=now,
        )
        request.criticity = int(deadlines.criticity)
        request.qualified_at = now
        request.plan_by = deadlines.plan_by.astimezone(UTC) if deadlines.plan_by else None
        request.fix_by = deadlines.fix_by.astimezone(UTC) if deadlines.fix_by else None
        _add_support_event(
            session,
            request=request,
            status=to,
            at=now,
            by=OPERATOR,
            criticity=request.criticity,
            plan_by=request.plan_by.isoformat() if request.plan_by else None,
            fix_by=request.fix_by.isoformat() if request.fix_by else None,
        )
    elif to is SupportStatus.RESOLVED:
        request.resolved_at = now
        _add_support_event(session, request=request, status=to, at=now, by=OPERATOR)
    elif to is SupportStatus.CLOSED:
        request.closed_at = now
        _add_support_event(session, request=request, status=to, at=now, by=OPERATOR)
    request.status = to
    session.add(request)
    session.flush()
    return request


def describe_support_request(session: Session, request: SupportRequest) -> SupportRequestRead:
    offering = get_offering(request.offering)
    events = repository.list_support_events(session, request_id=request.id)
    return SupportRequestRead(
        id=request.id,
        title=request.title,
        description=request.description,
        criticity=request.criticity,
        criticity_label=offering.support.criticity_labels[
            offering.parse_criticity(request.criticity)
        ],
        status=SupportStatus(request.status),
        opened_at=request.opened_at,
        take_charge_by=request.take_charge_by,
        taken_in_charge_at=request.taken_in_charge_at,
        qualified_at=request.qualified_at,
        plan_by=request.plan_by,
        fix_by=request.fix_by,
        resolved_at=request.resolved_at,
        closed_at=request.closed_at,
        events=[
            SupportEventRead(status=SupportStatus(e.status), at=e.at, by=e.by, detail=e.detail)
            for e in events
        ],
    )


def compliance(
    session: Session, *, now: datetime, tenant_id: uuid.UUID | None = None
) -> ComplianceRead:
    """Rolling 12-month share of requests taken in charge in time (one tenant, or all)."""
    offering = (
        get_tenant_or_raise(session, tenant_id=tenant_id).offering
        if tenant_id is not None
        else DEFAULT_OFFERING_ID
    )
    window = get_offering(offering).support.compliance_window_months
    since = now - timedelta(days=31 * window + 1)
    requests = repository.list_support_requests_opened_since(
        session, since=since, tenant_id=tenant_id
    )
    result = support_compliance(
        (ComplianceItem(r.opened_at, r.taken_in_charge_at, r.take_charge_by) for r in requests),
        now=now,
        offering=offering,
    )
    return ComplianceRead(
        since=result.since,
        until=result.until,
        on_time=result.on_time,
        late=result.late,
        pending=result.pending,
        share_percent=result.share_percent,
        target_percent=result.target_percent,
        met=result.met,
    )
