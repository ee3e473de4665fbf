"""Enqueueing: a job row (and, on PostgreSQL, its wake-up) in the caller's transaction."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlmodel import Session, select

from dsnlink.clock import Clock
from dsnlink.errors import ConflictError
from dsnlink.outbox.models import JobStatus, TransmissionJob
from dsnlink.outbox.wakeup import enqueue_wakeup


class JobInFlight(ConflictError):
    """The declaration's job is queued, running or done: it cannot be queued again."""

    code = "job-in-flight"


def enqueue_transmission(
    session: Session,
    *,
    declaration_id: uuid.UUID,
    ordered_by: uuid.UUID,
    clock: Clock,
) -> TransmissionJob:
    """Queue the transmission of a declaration whose order is being recorded in `session`.

    A declaration has one job. A job that failed is queued again as new (a new order); one that
    is queued, running or done raises JobInFlight: the guarded UPDATE lets one of two
    simultaneous orders through, never both.
    """
    now = clock.now()
    existing = session.exec(
        select(TransmissionJob).where(TransmissionJob.declaration_id == declaration_id)
    ).first()
    if existing is not None:
        jobs: sa.Table = TransmissionJob.__table__  # type: ignore[attr-defined]
        requeued = session.execute(
            sa.update(jobs)
            .where(jobs.c.id == existing.id, jobs.c.status == JobStatus.FAILED)
            .values(
                status=JobStatus.QUEUED,
                ordered_by_user_id=ordered_by,
                attempts=0,
                available_at=now,
                created_at=now,
                updated_at=now,
                last_error=None,
                locked_by=None,
                locked_until=None,
            )
        )
        if not requeued.rowcount:  # type: ignore[attr-defined]
            raise JobInFlight(
                f"the transmission of declaration {declaration_id} is already queued",
                declaration_id=str(declaration_id),
            )
        session.expire(existing)
        if session.get_bind().dialect.name == "postgresql":
            enqueue_wakeup(session, job_id=existing.id, order=now.isoformat())
        return existing
    job = TransmissionJob(
        declaration_id=declaration_id,
        ordered_by_user_id=ordered_by,
        status=JobStatus.QUEUED,
        available_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        enqueue_wakeup(session, job_id=job.id)
    return job
