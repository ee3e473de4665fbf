"""Enqueueing: a job row (and, on PostgreSQL, its wake-up) in the caller's transaction."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.outbox.models import JobStatus, TransmissionJob
from dsnlink.outbox.wakeup import enqueue_wakeup


def enqueue_transmission(
    session: Session,
    *,
    declaration_id: uuid.UUID,
    ordered_by: uuid.UUID,
    clock: Clock,
) -> TransmissionJob:
    """Queue the transmission of a declaration whose order is being recorded in `session`."""
    now = clock.now()
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
