"""Queries of incidents, maintenances and probes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from dsnlink.service_status.models import ComponentProbe, IncidentRecord, Maintenance

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
    from dsnlink.outbox.models import TransmissionJob

    return session.exec(select(func.max(TransmissionJob.updated_at))).first()
