"""Queries behind the metrics and the readiness checks (read-only, cheap, indexed columns)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from dsnlink.declarations.models import Declaration
from dsnlink.outbox.models import JobStatus, TransmissionJob
from dsnlink.transmission.models import DepositAttempt, DepositedFlow, DepositReturn

PENDING_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


def ping(session: Session) -> None:
    session.execute(sa.text("SELECT 1"))


def count_declarations_by_status(session: Session) -> dict[str, int]:
    rows = session.exec(
        select(Declaration.status, func.count()).group_by(col(Declaration.status))
    ).all()
    return {str(status): int(count) for status, count in rows}


def count_jobs_by_status(session: Session) -> dict[str, int]:
    rows = session.exec(
        select(TransmissionJob.status, func.count()).group_by(col(TransmissionJob.status))
    ).all()
    return {str(status): int(count) for status, count in rows}


def oldest_pending_job_created_at(session: Session) -> datetime | None:
    return session.exec(
        select(func.min(TransmissionJob.created_at)).where(
            col(TransmissionJob.status).in_(PENDING_JOB_STATUSES)
        )
    ).one()


def count_attempts_by_outcome(session: Session) -> dict[str, int]:
    rows = session.exec(
        select(DepositAttempt.outcome, func.count()).group_by(col(DepositAttempt.outcome))
    ).all()
    return {str(outcome): int(count) for outcome, count in rows}


def order_to_deposit_pairs(session: Session, *, since: datetime) -> list[tuple[datetime, datetime]]:
    """(ordered_at, deposited_at) of the flows deposited since `since`."""
    rows = session.exec(
        select(Declaration.ordered_at, DepositedFlow.deposited_at)
        .join(Declaration, col(Declaration.id) == col(DepositedFlow.declaration_id))
        .where(
            col(DepositedFlow.deposited_at) >= since,
            col(Declaration.ordered_at).is_not(None),
        )
    ).all()
    return [(ordered, deposited) for ordered, deposited in rows if ordered is not None]


def count_quarantined_returns(session: Session) -> int:
    """Returns stored raw because they could not be read (each one needs an operator's look)."""
    return int(
        session.exec(
            select(func.count())
            .select_from(DepositReturn)
            .where(col(DepositReturn.readable).is_(False))
        ).one()
    )
