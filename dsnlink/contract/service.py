"""Rules of the running contract: incidents and probes, maintenances, status, support, limits.

The pure model (availability rate, support deadlines, maintenance validation) lives in the
sibling modules; this one stores what happens and feeds it to them. The gateway operates one
offering (DSN Link by default): maintenances, incidents and the status page are the service's,
shared by every tenant; support requests and limits are each tenant's, under its own offering.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.contract import repository
from dsnlink.contract.availability import AvailabilityReport, Incident, monthly_availability
from dsnlink.contract.calendar import ensure_aware
from dsnlink.contract.maintenance import MaintenanceKind, validate_maintenance
from dsnlink.contract.models import (
    Component,
    ComponentProbe,
    IncidentRecord,
    IncidentSource,
    Maintenance,
    SupportRequest,
    SupportRequestEvent,
    SupportStatus,
    TenantLimit,
)
from dsnlink.contract.offerings import (
    DEFAULT_OFFERING_ID,
    IncidentCause,
    Offering,
    get_offering,
    resolve_offering,
)
from dsnlink.contract.schemas import (
    AvailabilityRead,
    ComplianceRead,
    ComponentRead,
    ComponentState,
    MaintenanceRead,
    StatusRead,
    SupportEventRead,
    SupportRequestRead,
)
from dsnlink.contract.support import SupportRequest as ComplianceItem
from dsnlink.contract.support import support_compliance, support_deadlines
from dsnlink.errors import ConflictError, InputError, LimitExceeded, NotFoundError
from dsnlink.tenants.models import Tenant

# A worker or probe not heard from for this long is shown as "unknown", not "operational".
STALE_AFTER = timedelta(minutes=15)
OPERATOR = "operator"
COMPONENT_LABELS: dict[Component, str] = {
    Component.API: "API de la passerelle",
    Component.WORKER: "Transmission des déclarations",
    Component.DEPOSIT_POINT: "Point de dépôt net-entreprises.fr",
    Component.DATABASE: "Base de données",
}
# Which cause a failed probe gives its incident: the deposit point is outside the service.
PROBE_CAUSES: dict[Component, IncidentCause] = {Component.DEPOSIT_POINT: IncidentCause.THIRD_PARTY}


# --- incidents and probes ------------------------------------------------------------------------


def record_incident(
    session: Session,
    *,
    start: datetime,
    end: datetime | None,
    cause: IncidentCause,
    note: str | None = None,
    source: IncidentSource = IncidentSource.OPERATOR,
    component: Component | None = None,
    clock: Clock,
) -> IncidentRecord:
    """Store an incident the operator reports (or a probe detects); `end` None while it lasts."""
    start = ensure_aware(start, "start").astimezone(UTC)
    if end is not None and ensure_aware(end, "end") <= start:
        raise InputError("an incident must end after it starts", start=start, end=end)
    incident = IncidentRecord(
        start=start,
        end=end,
        cause=IncidentCause(cause),
        source=source,
        component=component,
        note=note,
        created_at=clock.now(),
    )
    session.add(incident)
    session.flush()
    return incident


def end_incident(session: Session, *, incident_id: uuid.UUID, end: datetime) -> IncidentRecord:
    incident = repository.get_incident(session, incident_id)
    if incident is None:
        raise NotFoundError(f"no incident {incident_id}", incident_id=str(incident_id))
    if incident.end is not None:
        raise ConflictError(f"incident {incident_id} has already ended", end=incident.end)
    if ensure_aware(end, "end") <= incident.start:
        raise InputError("an incident must end after it starts", start=incident.start, end=end)
    incident.end = end
    session.add(incident)
    session.flush()
    return incident


def list_incidents(
    session: Session,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 100,
) -> Sequence[IncidentRecord]:
    """Incidents touching [start, end), or the most recent ones when no period is given."""
    if start is None or end is None:
        return repository.list_recent_incidents(session, limit=limit)
    return repository.list_incidents_overlapping(session, start=start, end=end)


def record_probe(
    session: Session,
    *,
    component: Component | str,
    ok: bool,
    at: datetime,
    detail: str | None = None,
) -> IncidentRecord | None:
    """Note a health probe; a failure opens an incident, the next success closes it.

    Returns the incident opened or closed by this probe, None when nothing changed. A deposit
    point found down counts as `third_party` (outside the service); any other component as an
    `outage`. The worker calls this after each probe, and with `Component.WORKER` as heartbeat.
    """
    try:
        part = Component(component)
    except ValueError:
        raise InputError(
            f"unknown component {component!r} (expected {', '.join(Component)})"
        ) from None
    at = ensure_aware(at, "at").astimezone(UTC)
    probe = repository.lock_probe(session, part, ok=ok, at=at)
    probe.ok, probe.checked_at, probe.detail = ok, at, detail
    if ok:
        probe.last_ok_at = at
    session.add(probe)
    ongoing = repository.get_open_probe_incident(session, component=part)
    changed: IncidentRecord | None = None
    if not ok and ongoing is None:
        changed = IncidentRecord(
            start=at,
            cause=PROBE_CAUSES.get(part, IncidentCause.OUTAGE),
            source=IncidentSource.PROBE,
            component=part,
            note=detail,
            created_at=at,
        )
    elif ok and ongoing is not None:
        ongoing.end = max(at, ongoing.start)
        changed = ongoing
    if changed is not None:
        session.add(changed)
    session.flush()
    return changed


def availability(
    session: Session, *, offering: Offering | str | None, month: date, now: datetime
) -> AvailabilityReport:
    """The month's availability rate from the stored incidents; ongoing ones count up to now."""
    chosen = resolve_offering(offering)
    first = date(month.year, month.month, 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    # Generous bounds: the reference calendar's zone may shift the month by a few hours.
    start = datetime(first.year, first.month, 1, tzinfo=UTC) - timedelta(days=1)
    end = datetime(following.year, following.month, 1, tzinfo=UTC) + timedelta(days=1)
    incidents = [
        Incident(
            start=record.start,
            end=record.end or max(now, record.start),
            cause=IncidentCause(record.cause),
        )
        for record in repository.list_incidents_overlapping(session, start=start, end=end)
    ]
    return monthly_availability(chosen, month=first, incidents=incidents)


def describe_availability(report: AvailabilityReport) -> AvailabilityRead:
    return AvailabilityRead.model_validate(report.to_dict())


def tenant_availability(
    session: Session, *, tenant_id: uuid.UUID, month: date, now: datetime
) -> AvailabilityRead:
    tenant = _tenant_or_raise(session, tenant_id)
    return describe_availability(
        availability(session, offering=tenant.offering, month=month, now=now)
    )


# --- maintenances --------------------------------------------------------------------------------


def schedule_maintenance(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    kind: MaintenanceKind,
    reason: str,
    offering: Offering | str | None = None,
    clock: Clock,
) -> Maintenance:
    """Announce a maintenance now; planned ones must respect the window and the notice."""
    now = clock.now()
    validate_maintenance(offering, start=start, end=end, announced_at=now, kind=kind)
    maintenance = Maintenance(
        start=start.astimezone(UTC),
        end=end.astimezone(UTC),
        kind=MaintenanceKind(kind),
        announced_at=now,
        reason=reason,
    )
    session.add(maintenance)
    session.flush()
    return maintenance


def maintenance_in_progress(session: Session, now: datetime) -> Maintenance | None:
    """The maintenance under way at `now`, if any: writes are refused and transmissions wait."""
    return repository.get_maintenance_at(session, at=ensure_aware(now, "now"))


def announced_maintenances(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    kinds: Sequence[MaintenanceKind] = (MaintenanceKind.PLANNED,),
) -> Sequence[Maintenance]:
    """Maintenances overlapping [start, end): what `compute_deadlines(planned_maintenances=)` takes.

    Only planned ones by default: the booklet's service hours exclude announced planned
    maintenance, not urgent work.
    """
    return repository.list_maintenances_overlapping(
        session, start=start, end=end, kinds=[str(k) for k in kinds]
    )


def list_maintenances(session: Session, *, since: datetime) -> Sequence[Maintenance]:
    """Maintenances not yet over at `since`."""
    return repository.list_maintenances_from(session, since=since)


def describe_maintenance(maintenance: Maintenance) -> MaintenanceRead:
    return MaintenanceRead.model_validate(maintenance, from_attributes=True)


# --- status page ---------------------------------------------------------------------------------


def _component_state(probe: ComponentProbe | None, *, now: datetime) -> ComponentRead | None:
    if probe is None:
        return None
    name = Component(probe.component)
    state: ComponentState
    if not probe.ok:
        state = "down"
    elif now - probe.checked_at > STALE_AFTER:
        state = "unknown"
    else:
        state = "operational"
    return ComponentRead(
        name=name,
        label=COMPONENT_LABELS[name],
        state=state,
        checked_at=probe.checked_at,
        detail=probe.detail,
    )


def _worker_state(session: Session, *, now: datetime) -> ComponentRead:
    known = _component_state(repository.get_probe(session, Component.WORKER), now=now)
    if known is not None:
        return known
    # Without a heartbeat, the queue's last activity tells at least that the worker lived.
    last_job = repository.last_job_activity(session)
    label = COMPONENT_LABELS[Component.WORKER]
    if last_job is not None and now - last_job <= STALE_AFTER:
        return ComponentRead(
            name=Component.WORKER,
            label=label,
            state="operational",
            checked_at=last_job,
            detail="dernière activité de la file de transmission",
        )
    return ComponentRead(name=Component.WORKER, label=label, state="unknown", checked_at=last_job)


def service_status(
    session: Session, *, now: datetime, offering: Offering | str | None = None
) -> StatusRead:
    """Components, maintenance in progress and to come, this month's availability."""
    chosen = resolve_offering(offering)
    current = maintenance_in_progress(session, now)
    api_state: ComponentState = "degraded" if current is not None else "operational"
    components = [
        ComponentRead(
            name=Component.API,
            label=COMPONENT_LABELS[Component.API],
            state=api_state,
            checked_at=now,
            detail="maintenance en cours" if current is not None else None,
        ),
        _worker_state(session, now=now),
        _component_state(repository.get_probe(session, Component.DEPOSIT_POINT), now=now)
        or ComponentRead(
            name=Component.DEPOSIT_POINT,
            label=COMPONENT_LABELS[Component.DEPOSIT_POINT],
            state="unknown",
            checked_at=None,
        ),
    ]
    upcoming = [m for m in list_maintenances(session, since=now) if m.start > now]
    report = availability(session, offering=chosen, month=now.date(), now=now)
    return StatusRead(
        generated_at=now,
        offering=chosen.id,
        components=components,
        maintenance_in_progress=describe_maintenance(current) if current else None,
        planned_maintenances=[describe_maintenance(m) for m in upcoming],
        availability=describe_availability(report),
    )


# --- support requests ----------------------------------------------------------------------------

# The status a request must be in for each operator transition.
_TRANSITIONS: dict[SupportStatus, frozenset[SupportStatus]] = {
    SupportStatus.TAKEN_IN_CHARGE: frozenset({SupportStatus.OPEN}),
    SupportStatus.QUALIFIED: frozenset({SupportStatus.OPEN, SupportStatus.TAKEN_IN_CHARGE}),
    SupportStatus.RESOLVED: frozenset({SupportStatus.TAKEN_IN_CHARGE, SupportStatus.QUALIFIED}),
    SupportStatus.CLOSED: frozenset({SupportStatus.RESOLVED}),
}


def _tenant_or_raise(session: Session, tenant_id: uuid.UUID) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFoundError(f"no tenant {tenant_id}", tenant_id=str(tenant_id))
    return tenant


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
    tenant = _tenant_or_raise(session, tenant_id)
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
        _tenant_or_raise(session, tenant_id).offering
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


# --- limits --------------------------------------------------------------------------------------

PAYSLIP_LIMIT = "payslips_per_company_per_year"
LIMIT_NAMES = ("users", "companies", PAYSLIP_LIMIT)


def tenant_limit(session: Session, *, tenant: Tenant, name: str) -> int | None:
    """The limit in force: the operator's override for this tenant, else the offering's."""
    override = repository.get_tenant_limit(session, tenant_id=tenant.id, name=name)
    if override is not None:
        return override.value
    value: int | None = getattr(get_offering(tenant.offering).limits, name)
    return value


def check_limit(session: Session, *, tenant_id: uuid.UUID, name: str, count_after: int) -> None:
    """Raise LimitExceeded if the tenant would pass its users/companies limit."""
    tenant = _tenant_or_raise(session, tenant_id)
    limit = tenant_limit(session, tenant=tenant, name=name)
    if limit is not None and count_after > limit:
        raise LimitExceeded(
            f"the {name} limit of tenant {tenant.name} is {limit}: this would make {count_after}"
            " (the operator can raise it: dsnlink tenant set-limit)",
            limit=name,
            value=limit,
            requested=count_after,
        )


def set_tenant_limit(
    session: Session, *, tenant_id: uuid.UUID, name: str, value: int, clock: Clock
) -> TenantLimit:
    if name not in LIMIT_NAMES:
        raise InputError(f"limit must be one of {', '.join(LIMIT_NAMES)}", limit=name)
    if value <= 0:
        raise InputError(f"the {name} limit must be a positive number", value=value)
    row = repository.get_tenant_limit(session, tenant_id=tenant_id, name=name) or TenantLimit(
        tenant_id=tenant_id, name=name, value=value, set_at=clock.now()
    )
    row.value, row.set_at = value, clock.now()
    session.add(row)
    session.flush()
    return row
