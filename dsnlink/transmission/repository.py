"""Queries of the transmission: jobs (claim, renew, finish), leases, attempts, flows, returns.

The guarded UPDATEs here are the protocol's locks: a job is claimed only while claimable, a lease
is taken only while free (or already this declaration's), an attempt is finished only while still
`sending`, and a job is finished only by the worker that holds it.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dsnlink.declarations.models import Declaration
from dsnlink.outbox.models import JobStatus, TransmissionJob
from dsnlink.tenants.models import Company, Declarant
from dsnlink.transmission.models import (
    AttemptState,
    DepositAttempt,
    DepositedFlow,
    DepositReturn,
    IdentityLease,
    ReturnsCursor,
)

RETURNS_CURSOR = "concentrator"

_JOBS: sa.Table = TransmissionJob.__table__  # type: ignore[attr-defined]
_LEASES: sa.Table = IdentityLease.__table__  # type: ignore[attr-defined]
_ATTEMPTS: sa.Table = DepositAttempt.__table__  # type: ignore[attr-defined]


# --- jobs ----------------------------------------------------------------------------------------


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(_JOBS.c.status == JobStatus.QUEUED, _JOBS.c.available_at <= now),
        sa.and_(_JOBS.c.status == JobStatus.RUNNING, _JOBS.c.locked_until < now),
    )


def claim_job(
    session: Session, *, job_id: uuid.UUID, worker_id: str, now: datetime, locked_until: datetime
) -> bool:
    """Take this job if it is due (or its previous worker's lease expired)."""
    result = session.execute(
        sa.update(_JOBS)
        .where(_JOBS.c.id == job_id, _claimable(now))
        .values(
            status=JobStatus.RUNNING, locked_by=worker_id, locked_until=locked_until, updated_at=now
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def due_job_ids(session: Session, *, now: datetime, limit: int) -> list[uuid.UUID]:
    rows = session.execute(
        sa.select(_JOBS.c.id).where(_claimable(now)).order_by(_JOBS.c.available_at).limit(limit)
    ).all()
    return [row[0] for row in rows]


def next_due_at(session: Session) -> datetime | None:
    return session.exec(
        select(TransmissionJob.available_at)
        .where(TransmissionJob.status == JobStatus.QUEUED)
        .order_by(col(TransmissionJob.available_at))
    ).first()


def renew_job_lease(
    session: Session, *, job_id: uuid.UUID, worker_id: str, locked_until: datetime
) -> None:
    session.execute(
        sa.update(_JOBS)
        .where(
            _JOBS.c.id == job_id,
            _JOBS.c.locked_by == worker_id,
            _JOBS.c.status == JobStatus.RUNNING,
        )
        .values(locked_until=locked_until)
    )


def finish_job(
    session: Session,
    *,
    job_id: uuid.UUID,
    worker_id: str,
    now: datetime,
    status: JobStatus,
    available_at: datetime | None,
    error: str | None,
    attempted: bool,
) -> None:
    """Release the job, fenced by `locked_by`: a worker whose lease was taken over writes none."""
    values: dict[str, object] = {
        "status": status,
        "locked_by": None,
        "locked_until": None,
        "updated_at": now,
        "last_error": error,
    }
    if available_at is not None:
        values["available_at"] = available_at
    if attempted:
        values["attempts"] = _JOBS.c.attempts + 1
    session.execute(
        sa.update(_JOBS)
        .where(_JOBS.c.id == job_id, _JOBS.c.locked_by == worker_id)
        .values(**values)
    )


def has_pending_jobs(session: Session) -> bool:
    return (
        session.exec(
            select(TransmissionJob.id).where(
                col(TransmissionJob.status).in_([JobStatus.QUEUED, JobStatus.RUNNING])
            )
        ).first()
        is not None
    )


def job_of(session: Session, declaration_id: uuid.UUID) -> TransmissionJob | None:
    return session.exec(
        select(TransmissionJob).where(TransmissionJob.declaration_id == declaration_id)
    ).first()


# --- declarants and the lease of their identity -------------------------------------------------


def declarant_of(session: Session, declaration: Declaration) -> Declarant | None:
    company = session.get(Company, declaration.company_id)
    if company is None or company.declarant_id is None:
        return None
    declarant = session.get(Declarant, company.declarant_id)
    return None if declarant is None or declarant.removed_at is not None else declarant


def take_lease(
    session: Session, *, identity_key: str, declaration_id: uuid.UUID, at: datetime
) -> bool:
    """The identity's lease for this declaration; False if another declaration holds it."""
    if session.get(IdentityLease, identity_key) is None:
        try:
            with session.begin_nested():
                session.add(IdentityLease(identity_key=identity_key))
        except IntegrityError:
            pass  # created by another worker at the same moment
    taken = session.execute(
        sa.update(_LEASES)
        .where(
            _LEASES.c.identity_key == identity_key,
            sa.or_(_LEASES.c.declaration_id.is_(None), _LEASES.c.declaration_id == declaration_id),
        )
        .values(declaration_id=declaration_id, taken_at=at)
    )
    session.expire_all()
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def force_lease(
    session: Session, *, identity_key: str, declaration_id: uuid.UUID, at: datetime
) -> None:
    lease = session.get(IdentityLease, identity_key)
    if lease is None:
        session.add(
            IdentityLease(identity_key=identity_key, declaration_id=declaration_id, taken_at=at)
        )
    elif lease.declaration_id != declaration_id:
        lease.declaration_id = declaration_id
        lease.taken_at = at
        session.add(lease)


def release_lease(session: Session, *, identity_key: str, declaration_id: uuid.UUID) -> None:
    session.execute(
        sa.update(_LEASES)
        .where(_LEASES.c.identity_key == identity_key, _LEASES.c.declaration_id == declaration_id)
        .values(declaration_id=None, taken_at=None)
    )


# --- attempts and flows --------------------------------------------------------------------------


def unresolved_attempt(session: Session, declaration_id: uuid.UUID) -> DepositAttempt | None:
    """The declaration's latest attempt whose outcome is unknown (`sending` or `ambiguous`)."""
    return session.exec(
        select(DepositAttempt)
        .where(
            DepositAttempt.declaration_id == declaration_id,
            col(DepositAttempt.outcome).in_([AttemptState.SENDING, AttemptState.AMBIGUOUS]),
        )
        .order_by(col(DepositAttempt.id).desc())
    ).first()


def finish_attempt(
    session: Session,
    attempt: DepositAttempt,
    outcome: AttemptState,
    finished: datetime,
    began: float,
    *,
    http_status: int | None = None,
    idflux: str | None = None,
    error: str | None = None,
    detail_sealed: bytes | None = None,
    final: bool = True,
) -> bool:
    """Record an attempt's result, only if it is still `sending` (a reconciler may have won)."""
    values: dict[str, Any] = {
        "outcome": outcome,
        "http_status": http_status,
        "duration_ms": int((time.perf_counter() - began) * 1000),
        "idflux": idflux,
        "error": error,
        "finished_at": finished if final else None,
    }
    if detail_sealed is not None:
        values["detail_sealed"] = detail_sealed
    done = session.execute(
        sa.update(_ATTEMPTS)
        .where(_ATTEMPTS.c.id == attempt.id, _ATTEMPTS.c.outcome == AttemptState.SENDING)
        .values(**values)
    )
    session.expire(attempt)
    return bool(done.rowcount)  # type: ignore[attr-defined]


def attempts_of(session: Session, declaration_id: uuid.UUID) -> Sequence[DepositAttempt]:
    return session.exec(
        select(DepositAttempt)
        .where(DepositAttempt.declaration_id == declaration_id)
        .order_by(col(DepositAttempt.id))
    ).all()


def attempts_with_sealed_detail(session: Session) -> Sequence[DepositAttempt]:
    return session.exec(
        select(DepositAttempt)
        .where(col(DepositAttempt.detail_sealed).is_not(None))
        .order_by(col(DepositAttempt.id))
    ).all()


def record_flow(
    session: Session,
    *,
    idflux: str,
    declaration_id: uuid.UUID,
    declarant_id: uuid.UUID,
    at: datetime,
    reconciled: bool,
) -> None:
    session.add(
        DepositedFlow(
            idflux=idflux,
            declaration_id=declaration_id,
            declarant_id=declarant_id,
            deposited_at=at,
            reconciled=reconciled,
        )
    )
    session.flush()


def attributed_idflux(session: Session, idflux: Sequence[str]) -> set[str]:
    """Which of these flows are already some declaration's."""
    if not idflux:
        return set()
    return set(
        session.exec(
            select(DepositedFlow.idflux).where(col(DepositedFlow.idflux).in_(list(idflux)))
        ).all()
    )


def move_flow(
    session: Session,
    *,
    idflux: str,
    declaration_id: uuid.UUID,
    declarant_id: uuid.UUID,
    at: datetime,
) -> None:
    """Give a flow (and the returns stored for it) to another declaration."""
    flows: sa.Table = DepositedFlow.__table__  # type: ignore[attr-defined]
    returns: sa.Table = DepositReturn.__table__  # type: ignore[attr-defined]
    session.execute(
        sa.update(flows)
        .where(flows.c.idflux == idflux)
        .values(
            declaration_id=declaration_id,
            declarant_id=declarant_id,
            deposited_at=at,
            reconciled=False,
            settled_at=None,
        )
    )
    session.execute(
        sa.update(returns).where(returns.c.idflux == idflux).values(declaration_id=declaration_id)
    )
    session.expire_all()


def reopen_reconciliation(session: Session, *, declaration_id: uuid.UUID, at: datetime) -> None:
    """The declaration's adopted attempt is in doubt again, and its job runs again now."""
    attempt = session.exec(
        select(DepositAttempt)
        .where(
            DepositAttempt.declaration_id == declaration_id,
            DepositAttempt.outcome == AttemptState.RECONCILED,
        )
        .order_by(col(DepositAttempt.id).desc())
    ).first()
    if attempt is not None:
        attempt.outcome = AttemptState.AMBIGUOUS
        attempt.idflux = None
        attempt.finished_at = None
        session.add(attempt)
    session.execute(
        sa.update(_JOBS)
        .where(_JOBS.c.declaration_id == declaration_id)
        .values(status=JobStatus.QUEUED, available_at=at, locked_by=None, locked_until=None)
    )


def get_flow(session: Session, idflux: str) -> DepositedFlow | None:
    return session.get(DepositedFlow, idflux)


def flow_of(session: Session, declaration_id: uuid.UUID) -> DepositedFlow | None:
    return session.exec(
        select(DepositedFlow).where(DepositedFlow.declaration_id == declaration_id)
    ).first()


def flows_deposited_before(session: Session, *, before: datetime) -> Sequence[DepositedFlow]:
    """Followed flows deposited before `before` (they are due to be settled)."""
    return session.exec(
        select(DepositedFlow).where(
            col(DepositedFlow.settled_at).is_(None), DepositedFlow.deposited_at < before
        )
    ).all()


def followed_flows(session: Session) -> Sequence[DepositedFlow]:
    """Flows whose returns are still polled."""
    return session.exec(select(DepositedFlow).where(col(DepositedFlow.settled_at).is_(None))).all()


# --- returns -------------------------------------------------------------------------------------


def get_cursor(session: Session) -> ReturnsCursor | None:
    return session.get(ReturnsCursor, RETURNS_CURSOR)


def move_cursor(session: Session, cursor: ReturnsCursor | None, until: datetime) -> None:
    if cursor is None:
        try:
            with session.begin_nested():
                session.add(ReturnsCursor(name=RETURNS_CURSOR, listed_until=until))
        except IntegrityError:
            pass  # another worker's poller created it at the same moment
    elif cursor.listed_until < until:
        cursor.listed_until = until
        session.add(cursor)


def has_returns(session: Session, idflux: str) -> bool:
    found = session.exec(select(DepositReturn.id).where(DepositReturn.idflux == idflux)).first()
    return found is not None


def get_return_slot(
    session: Session, *, idflux: str, nature: str, ops: str, delegataire: str
) -> DepositReturn | None:
    """The stored return of a flow for this nature, body and délégataire (a newer version of it
    overwrites it)."""
    return session.exec(
        select(DepositReturn).where(
            DepositReturn.idflux == idflux,
            DepositReturn.nature == nature,
            DepositReturn.ops == ops,
            DepositReturn.delegataire == delegataire,
        )
    ).first()


def returns_of(session: Session, declaration_id: uuid.UUID) -> Sequence[DepositReturn]:
    return session.exec(
        select(DepositReturn)
        .where(DepositReturn.declaration_id == declaration_id)
        .order_by(col(DepositReturn.nature), col(DepositReturn.ops))
    ).all()


def get_return(
    session: Session, *, declaration_id: uuid.UUID, return_id: str
) -> DepositReturn | None:
    return session.exec(
        select(DepositReturn).where(
            DepositReturn.declaration_id == declaration_id, DepositReturn.return_id == return_id
        )
    ).first()


def all_returns(session: Session) -> Sequence[DepositReturn]:
    return session.exec(select(DepositReturn).order_by(col(DepositReturn.id))).all()


# --- the returns of every declaration (integration API, issue 14) ---------------------------------


def list_returns_across(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    company_ids: Sequence[uuid.UUID] | None,
    declaration_id: uuid.UUID | None,
    siret: str | None,
    nature: str | None,
    status: str | None,
    published_after: datetime | None,
    published_before: datetime | None,
    after_id: int | None,
    limit: int,
) -> Sequence[tuple[DepositReturn, Declaration]]:
    """A tenant's returns, oldest downloaded first (keyset on the row id), with their
    declarations; only `company_ids`' when given."""
    from dsnlink.tenants.models import Establishment

    query = (
        select(DepositReturn, Declaration)
        .join(Declaration, col(Declaration.id) == DepositReturn.declaration_id)
        .where(Declaration.tenant_id == tenant_id)
    )
    if company_ids is not None:
        query = query.where(col(Declaration.company_id).in_(list(company_ids)))
    if declaration_id is not None:
        query = query.where(DepositReturn.declaration_id == declaration_id)
    if siret is not None:
        query = query.where(
            col(Declaration.establishment_id).in_(
                select(Establishment.id).where(
                    Establishment.tenant_id == tenant_id, Establishment.siret == siret
                )
            )
        )
    if nature is not None:
        query = query.where(DepositReturn.nature == nature)
    if status is not None:
        query = query.where(DepositReturn.status == status)
    if published_after is not None:
        query = query.where(col(DepositReturn.published_at) >= published_after)
    if published_before is not None:
        query = query.where(col(DepositReturn.published_at) < published_before)
    if after_id is not None:
        query = query.where(col(DepositReturn.id) > after_id)
    rows = session.exec(query.order_by(col(DepositReturn.id)).limit(limit)).all()
    return [(row, declaration) for row, declaration in rows]
