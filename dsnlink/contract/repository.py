"""Queries of the running contract: incidents, maintenances, probes, support requests, limits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from dsnlink.contract.models import (
    ComponentProbe,
    IncidentRecord,
    Maintenance,
    SupportRequest,
    SupportRequestEvent,
    TenantLimit,
)

# --- incidents -----------------------------------------------------------------------------------


def get_incident(session: Session, incident_id: uuid.UUID) -> IncidentRecord | None:
    return session.get(IncidentRecord, incident_id)


def list_incidents_overlapping(
    session: Session, *, start: datetime, end: datetime
) -> Sequence[IncidentRecord]:
    """Incidents that touch [start, end), ongoing ones included."""
    query = (
        select(IncidentRecord)
        .where(IncidentRecord.start < end)
        .where(sa.or_(col(IncidentRecord.end).is_(None), col(IncidentRecord.end) > start))
        .order_by(col(IncidentRecord.start))
    )
    return session.exec(query).all()


def list_recent_incidents(session: Session, *, limit: int) -> Sequence[IncidentRecord]:
    query = select(IncidentRecord).order_by(col(IncidentRecord.start).desc()).limit(limit)
    return session.exec(query).all()


def get_open_probe_incident(session: Session, *, component: str) -> IncidentRecord | None:
    query = (
        select(IncidentRecord)
        .where(IncidentRecord.component == component)
        .where(col(IncidentRecord.end).is_(None))
        .order_by(col(IncidentRecord.start).desc())
    )
    return session.exec(query).first()


# --- maintenances --------------------------------------------------------------------------------


def list_maintenances_overlapping(
    session: Session, *, start: datetime, end: datetime, kinds: Sequence[str]
) -> Sequence[Maintenance]:
    query = (
        select(Maintenance)
        .where(Maintenance.start < end)
        .where(Maintenance.end > start)
        .where(col(Maintenance.kind).in_(kinds))
        .order_by(col(Maintenance.start))
    )
    return session.exec(query).all()


def get_maintenance_at(session: Session, *, at: datetime) -> Maintenance | None:
    """The maintenance covering `at` that ends last (the one to wait for)."""
    query = (
        select(Maintenance)
        .where(Maintenance.start <= at)
        .where(Maintenance.end > at)
        .order_by(col(Maintenance.end).desc())
    )
    return session.exec(query).first()


def list_maintenances_from(session: Session, *, since: datetime) -> Sequence[Maintenance]:
    query = select(Maintenance).where(Maintenance.end > since).order_by(col(Maintenance.start))
    return session.exec(query).all()


# --- probes --------------------------------------------------------------------------------------


def get_probe(session: Session, component: str) -> ComponentProbe | None:
    return session.get(ComponentProbe, component)


def lock_probe(session: Session, component: str, *, ok: bool, at: datetime) -> ComponentProbe:
    """The component's probe row, created if missing, locked until the transaction ends.

    Several workers probe at once: the insert cannot collide, and the lock makes their updates
    (and the incidents they open or close) happen one after the other.
    """
    table = ComponentProbe.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    session.execute(
        insert.values(component=component, ok=ok, checked_at=at).on_conflict_do_nothing(
            index_elements=[table.c.component]
        )
    )
    return session.exec(
        select(ComponentProbe)
        .where(ComponentProbe.component == component)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def last_job_activity(session: Session) -> datetime | None:
    """When a transmission job last changed, if the queue table exists."""
    from dsnlink.transmission.queue import TransmissionJob

    return session.exec(select(func.max(TransmissionJob.updated_at))).first()


# --- support requests ----------------------------------------------------------------------------


def get_support_request(
    session: Session, *, request_id: uuid.UUID, tenant_id: uuid.UUID | None = None
) -> SupportRequest | None:
    """One request; with `tenant_id`, only if it belongs to that tenant."""
    request = session.get(SupportRequest, request_id)
    if request is None or (tenant_id is not None and request.tenant_id != tenant_id):
        return None
    return request


def list_support_requests(
    session: Session, *, tenant_id: uuid.UUID | None = None, status: str | None = None
) -> Sequence[SupportRequest]:
    query = select(SupportRequest)
    if tenant_id is not None:
        query = query.where(SupportRequest.tenant_id == tenant_id)
    if status is not None:
        query = query.where(SupportRequest.status == status)
    return session.exec(query.order_by(col(SupportRequest.opened_at))).all()


def list_support_requests_opened_since(
    session: Session, *, since: datetime, tenant_id: uuid.UUID | None = None
) -> Sequence[SupportRequest]:
    query = select(SupportRequest).where(SupportRequest.opened_at >= since)
    if tenant_id is not None:
        query = query.where(SupportRequest.tenant_id == tenant_id)
    return session.exec(query).all()


def list_support_events(
    session: Session, *, request_id: uuid.UUID
) -> Sequence[SupportRequestEvent]:
    query = (
        select(SupportRequestEvent)
        .where(SupportRequestEvent.request_id == request_id)
        .order_by(col(SupportRequestEvent.id))
    )
    return session.exec(query).all()


# --- limits --------------------------------------------------------------------------------------


def get_tenant_limit(session: Session, *, tenant_id: uuid.UUID, name: str) -> TenantLimit | None:
    return session.get(TenantLimit, (tenant_id, name))
