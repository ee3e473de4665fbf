"""The running service: incidents and probes, maintenances, the status page.

The pure model (availability rate, maintenance validation) lives in dsnlink.sla; this module
stores what happens and feeds it to it. The gateway operates one offering (DSN Link by default):
maintenances, incidents and the status page are the service's, shared by every tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.errors import ConflictError, InputError, NotFoundError
from dsnlink.service_status import repository
from dsnlink.service_status.models import (
    Component,
    ComponentProbe,
    IncidentRecord,
    IncidentSource,
    Maintenance,
)
from dsnlink.service_status.schemas import (
    AvailabilityRead,
    ComponentRead,
    ComponentState,
    MaintenanceRead,
    StatusRead,
)
from dsnlink.sla.availability import AvailabilityReport, Incident, monthly_availability
from dsnlink.sla.calendar import ensure_aware
from dsnlink.sla.maintenance import MaintenanceKind, validate_maintenance
from dsnlink.sla.offerings import (
    IncidentCause,
    Offering,
    resolve_offering,
)
from dsnlink.tenants.service import get_tenant_or_raise

# A worker or probe not heard from for this long is shown as "unknown", not "operational".
STALE_AFTER = timedelta(minutes=15)
OPERATOR = "operator"
COMPONENT_LABELS: dict[Component, str] = {
    Component.API: "API de la passerelle",
    Component.WORKER: "Transmission des déclarations",
    Component.DEPOSIT_POINT: "Point de dépôt net-entreprises.fr",
    Component.DATABASE: "Base de données",
    Component.RETURNS: "Collecte des retours",
}
# Components whose trouble degrades the service without stopping it: no incident is opened.
DEGRADING: frozenset[Component] = frozenset({Component.RETURNS})
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
    tenant = get_tenant_or_raise(session, tenant_id=tenant_id)
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
        state = "degraded" if name in DEGRADING else "down"
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


def _unknown(component: Component) -> ComponentRead:
    return ComponentRead(
        name=component, label=COMPONENT_LABELS[component], state="unknown", checked_at=None
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


def raise_alert(
    session: Session, *, component: Component, at: datetime, detail: str | None
) -> None:
    """An operator alert on a component that degrades the service without stopping it (a return
    quarantined): shown on the status page until `clear_alert`, no incident opened."""
    probe = repository.lock_probe(session, component, ok=detail is None, at=at)
    probe.ok, probe.checked_at, probe.detail = detail is None, at, detail
    if detail is None:
        probe.last_ok_at = at
    session.add(probe)
    session.flush()


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
    returns = repository.get_probe(session, Component.RETURNS)
    if returns is not None and not returns.ok:
        components.append(_component_state(returns, now=now) or _unknown(Component.RETURNS))
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
