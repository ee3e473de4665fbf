"""The transmission job: deposit one ordered declaration exactly once, then follow its returns.

The protocol (docs/transmission.md) in short:
  a. at most one deposit in flight per declarant: a `declarant_lease` row held by a declaration,
     taken with a conditional UPDATE and kept until that declaration's deposit is resolved;
  b. an attempt row in state `sending` (with `sent_at`) is committed before the POST leaves;
  c. AEE → idflux, `deposited`; ARE → `refused_by_deposit_point` (both release the lease);
  d. surely not sent (connection refused, login failed) → `not_sent`, retried with backoff;
  e. maybe sent (read timeout, 5xx after sending, or an attempt found still `sending` on pickup:
     the worker died) → `reconciling`: `lister-depots` from `sent_at - 1 min`; a flow not yet
     attributed to another declaration of ours is ours (one in flight per declarant) and is
     recorded without sending again; nothing found → look again until `sent_at + deposit read
     timeout + grace`, and only then send again.

Each `transmit_step` call is one step of the job; it commits at the protocol's points (lease,
intent, result) itself, because the deposit point is outside any transaction of ours, and tells
the caller when to run it again. Callers (worker.py) own the job row; this module never commits
the job's own status.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import random
import signal
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from dsnlink.clock import Clock
from dsnlink.config import Settings
from dsnlink.declarations.models import Declaration, DeclarationEvent, DeclarationStatus
from dsnlink.errors import NotFoundError, TransientTransmissionError, TransmissionError
from dsnlink.observability.logging import bind_log_fields
from dsnlink.resources import schema_path
from dsnlink.security.blobs import BlobStore
from dsnlink.security.keys import Keyring
from dsnlink.tenants.models import Company, Declarant, Establishment
from dsnlink.transmission.client import (
    DepositPointClient,
    Endpoints,
    RetryPolicy,
    Timeouts,
)
from dsnlink.transmission.errors import DepositRefused
from dsnlink.transmission.models import (
    AttemptState,
    DeclarantLease,
    DepositAttempt,
    DepositedFlow,
    DepositReturn,
    ReturnsCursor,
)
from dsnlink.transmission.queue import JobStatus, TransmissionJob
from dsnlink.transmission.returns import parse_return
from dsnlink.transmission.schemas import (
    ConcentratorCredentials,
    DeclarantIdentity,
    DepositRecord,
    ParsedReturn,
    ReportKind,
    ReturnRecord,
)
from dsnlink.transmission.views import AttemptView, ReturnView, TransmissionView

logger = logging.getLogger(__name__)

# Test hook of the crash test: the worker kills itself after the POST returned, before recording.
KILL_AFTER_DEPOSIT_ENV = "DSNLINK_TEST_KILL_AFTER_DEPOSIT"
RECONCILE_LOOKBACK = timedelta(minutes=1)
RETURNS_CURSOR = "concentrator"
MAX_EVENT_ANOMALIES = 50

DONE_STATUSES = frozenset(
    {
        DeclarationStatus.DEPOSITED,
        DeclarationStatus.CONFORM,
        DeclarationStatus.ANOMALIES,
        DeclarationStatus.REFUSED_BY_DEPOSIT_POINT,
        DeclarationStatus.TRANSMISSION_FAILED,
    }
)
# Statuses a nature-11 return may move a declaration out of (an overwrite may flip CCO/BAN).
_BILAN_MOVABLE = frozenset(
    {
        DeclarationStatus.DEPOSITED,
        DeclarationStatus.RECONCILING,
        DeclarationStatus.TRANSMITTING,
        DeclarationStatus.CONFORM,
        DeclarationStatus.ANOMALIES,
    }
)


@dataclass(frozen=True)
class TransmissionPolicy:
    """Timings of the protocol, from Settings (tests shrink them)."""

    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(hours=1)
    max_age: timedelta = timedelta(hours=72)
    declarant_wait: timedelta = timedelta(seconds=5)
    deposit_read_timeout: timedelta = timedelta(seconds=300)
    reconcile_grace: timedelta = timedelta(minutes=3)
    reconcile_recheck: timedelta = timedelta(seconds=30)
    returns_lag: timedelta = timedelta(minutes=2)
    returns_follow: timedelta = timedelta(days=7)

    @classmethod
    def from_settings(cls, settings: Settings) -> TransmissionPolicy:
        return cls(
            retry_base=timedelta(seconds=settings.transmission_retry_base_seconds),
            retry_max=timedelta(seconds=settings.transmission_retry_max_seconds),
            max_age=timedelta(hours=settings.transmission_max_age_hours),
            declarant_wait=timedelta(seconds=settings.transmission_declarant_wait_seconds),
            deposit_read_timeout=timedelta(seconds=settings.deposit_read_timeout_seconds),
            reconcile_grace=timedelta(seconds=settings.reconcile_grace_seconds),
            reconcile_recheck=timedelta(seconds=settings.reconcile_recheck_seconds),
            returns_lag=timedelta(seconds=settings.returns_lag_seconds),
            returns_follow=timedelta(days=settings.returns_follow_days),
        )


@dataclass
class TransmissionContext:
    """What a job step needs: sessions, the client, keys and files, time, who is working."""

    sessions: Callable[[], Session]
    client: DepositPointClient
    keyring: Keyring
    blobs: BlobStore
    clock: Clock
    policy: TransmissionPolicy
    worker_id: str
    rng: random.Random = dataclasses.field(default_factory=random.Random)


class StepKind(StrEnum):
    DONE = "done"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class StepOutcome:
    """What the worker does with the job after a step: finish it, or run it again at `at`."""

    kind: StepKind
    at: datetime | None = None
    error: str | None = None
    attempted: bool = False  # a deposit POST was tried (counts towards the backoff)


def build_client(
    settings: Settings,
    *,
    clock: Clock,
    transport: Any = None,
    retry: RetryPolicy | None = None,
) -> DepositPointClient:
    """The deposit-point client of the concentrator named in `settings`."""
    url = settings.deposit_point_url
    endpoints = (
        Endpoints.net_entreprises() if url == "net-entreprises" else Endpoints.single(url)
    )
    backoff = settings.client_retry_backoff_seconds
    return DepositPointClient(
        endpoints=endpoints,
        credentials=ConcentratorCredentials(
            siret=settings.concentrator_siret,
            nom=settings.concentrator_nom,
            prenom=settings.concentrator_prenom,
            password=settings.concentrator_password.get_secret_value(),
        ),
        clock=clock,
        timeouts=Timeouts(deposit_read=settings.deposit_read_timeout_seconds),
        retry=retry
        or RetryPolicy(initial_backoff=backoff, max_backoff=max(backoff, 30 * backoff),
                       jitter=backoff),
        transport=transport,
    )


# --- the job step ------------------------------------------------------------------------------


def transmit_step(ctx: TransmissionContext, *, job_id: uuid.UUID) -> StepOutcome:
    """Run the transmission job one step further (see the module docstring)."""
    with ctx.sessions() as session:
        job = session.get(TransmissionJob, job_id)
        if job is None:
            return StepOutcome(StepKind.DONE)
        bind_log_fields(declaration_id=job.declaration_id)
        declaration = session.get(Declaration, job.declaration_id)
        if declaration is None:
            return StepOutcome(StepKind.FAILED, error="the declaration no longer exists")
        if declaration.status in DONE_STATUSES:
            return StepOutcome(StepKind.DONE)
        declarant = _declarant_of(session, declaration)
        if declarant is None:
            message = (
                "no declarant is set for the company of this declaration: register one "
                "(POST /v1/declarants) and assign it to the company, then order again"
            )
            _fail(session, ctx, declaration, message)
            session.commit()
            return StepOutcome(StepKind.FAILED, error=message)
        unresolved = _unresolved_attempt(session, declaration.id)
        if ctx.clock.now() - job.created_at > ctx.policy.max_age:
            message = _give_up_message(ctx.policy, unresolved)
            if unresolved is not None:
                unresolved.outcome = AttemptState.FAILED
                unresolved.finished_at = ctx.clock.now()
                session.add(unresolved)
            _fail(session, ctx, declaration, message)
            _release_lease(session, declarant_id=declarant.id, declaration_id=declaration.id)
            session.commit()
            return StepOutcome(StepKind.FAILED, error=message)
        if unresolved is not None:
            return _reconcile(session, ctx, declaration, declarant, unresolved)
        return _deposit(session, ctx, declaration, declarant, job)


def _deposit(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    declarant: Declarant,
    job: TransmissionJob,
) -> StepOutcome:
    if not _take_lease(session, ctx, declarant_id=declarant.id, declaration_id=declaration.id):
        session.commit()
        return StepOutcome(
            StepKind.RETRY,
            at=ctx.clock.now() + ctx.policy.declarant_wait,
            error="another deposit is in flight for this declarant",
        )
    dsn = b"".join(
        ctx.blobs.read(
            ctx.blobs.root / Path(declaration.blob_path),
            wrapped_key=declaration.blob_wrapped_key,
        )
    )
    identity = _identity(declarant, ctx.keyring)

    # (b) the intent: committed before any byte leaves.
    now = ctx.clock.now()
    attempt = DepositAttempt(
        declaration_id=declaration.id,
        declarant_id=declarant.id,
        worker_id=ctx.worker_id,
        started_at=now,
        sent_at=now,
        outcome=AttemptState.SENDING,
    )
    session.add(attempt)
    if declaration.status != DeclarationStatus.TRANSMITTING:
        _set_status(session, declaration, DeclarationStatus.TRANSMITTING, now)
    session.commit()

    began = time.perf_counter()
    try:
        result = ctx.client.deposit(identity, dsn)
    except DepositRefused as exc:
        _kill_if_asked()
        return _record_refused(session, ctx, declaration, declarant, attempt, exc, began)
    except TransmissionError as exc:
        _kill_if_asked()
        return _record_failure(session, ctx, declaration, declarant, attempt, job, exc, began)
    _kill_if_asked()

    # (c) AEE: the flow exists; record it, release the lease.
    finished = ctx.clock.now()
    if not _finish_attempt(
        session, attempt, AttemptState.ACCEPTED, finished, began, http_status=200,
        idflux=result.idflux,
    ):
        session.rollback()
        return StepOutcome(StepKind.DONE)  # a reconciler recorded it meanwhile
    _record_flow(session, declaration, declarant, idflux=result.idflux, at=finished,
                 reconciled=False)
    _set_status(session, declaration, DeclarationStatus.DEPOSITED, finished,
                idflux=result.idflux, attempt_id=attempt.id)
    _release_lease(session, declarant_id=declarant.id, declaration_id=declaration.id)
    session.commit()
    return StepOutcome(StepKind.DONE, attempted=True)


def _record_refused(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    declarant: Declarant,
    attempt: DepositAttempt,
    exc: DepositRefused,
    began: float,
) -> StepOutcome:
    finished = ctx.clock.now()
    anomalies = [_anomaly_dict(a) for a in exc.anomalies][:MAX_EVENT_ANOMALIES]
    # The anomalies quote the rubrics' values (a NIR, a name): sealed, never in a clear column.
    sealed = ctx.keyring.seal_json({"anomalies": anomalies}) if anomalies else None
    _finish_attempt(
        session, attempt, AttemptState.REFUSED, finished, began, http_status=exc.http_status,
        idflux=exc.idflux, error=exc.message, detail_sealed=sealed,
    )
    if exc.idflux:
        _record_flow(session, declaration, declarant, idflux=exc.idflux, at=finished,
                     reconciled=False)
    _set_status(session, declaration, DeclarationStatus.REFUSED_BY_DEPOSIT_POINT, finished,
                detail_sealed=sealed, idflux=exc.idflux, message=exc.message)
    _release_lease(session, declarant_id=declarant.id, declaration_id=declaration.id)
    session.commit()
    return StepOutcome(StepKind.DONE, error=exc.message, attempted=True)


def _record_failure(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    declarant: Declarant,
    attempt: DepositAttempt,
    job: TransmissionJob,
    exc: TransmissionError,
    began: float,
) -> StepOutcome:
    finished = ctx.clock.now()
    status = getattr(exc, "http_status", None)
    if getattr(exc, "maybe_deposited", False):
        # (e) maybe received: keep the lease, reconcile before anything else.
        _finish_attempt(session, attempt, AttemptState.AMBIGUOUS, finished, began,
                        http_status=status, error=exc.message, final=False)
        _set_status(session, declaration, DeclarationStatus.RECONCILING, finished,
                    reason=exc.message)
        session.commit()
        return StepOutcome(StepKind.RETRY, at=finished, error=exc.message, attempted=True)
    if isinstance(exc, TransientTransmissionError):
        # (d) surely not sent: safe to try again later.
        _finish_attempt(session, attempt, AttemptState.NOT_SENT, finished, began,
                        http_status=status, error=exc.message)
        _release_lease(session, declarant_id=declarant.id, declaration_id=declaration.id)
        session.commit()
        return StepOutcome(
            StepKind.RETRY,
            at=finished + backoff(ctx.policy, job.attempts + 1, ctx.rng),
            error=exc.message,
            attempted=True,
        )
    _finish_attempt(session, attempt, AttemptState.FAILED, finished, began,
                    http_status=status, error=exc.message)
    _fail(session, ctx, declaration, exc.message, code=exc.code)
    _release_lease(session, declarant_id=declarant.id, declaration_id=declaration.id)
    session.commit()
    return StepOutcome(StepKind.FAILED, error=exc.message, attempted=True)


def _reconcile(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    declarant: Declarant,
    attempt: DepositAttempt,
) -> StepOutcome:
    """(e) Find out whether an attempt that may have been received was: never resend blindly."""
    now = ctx.clock.now()
    if attempt.outcome == AttemptState.SENDING:
        attempt.outcome = AttemptState.AMBIGUOUS
        attempt.error = "no result recorded: the worker stopped while the deposit was in flight"
        session.add(attempt)
    if declaration.status != DeclarationStatus.RECONCILING:
        _set_status(session, declaration, DeclarationStatus.RECONCILING, now,
                    reason=attempt.error)
    # Nothing else may be sent for this declarant meanwhile, whoever held the lease.
    _force_lease(session, declarant_id=declarant.id, declaration_id=declaration.id, at=now)
    session.commit()

    identity = _identity(declarant, ctx.keyring)
    try:
        deposits = ctx.client.list_deposits(identity, attempt.sent_at - RECONCILE_LOOKBACK, now)
        candidates = _unattributed(session, deposits, since=attempt.sent_at - RECONCILE_LOOKBACK)
        chosen = _choose(session, ctx, declaration, candidates)
    except TransmissionError as exc:
        logger.warning("reconciliation of %s: listing failed: %s", declaration.id, exc)
        return StepOutcome(StepKind.RETRY, at=now + ctx.policy.reconcile_recheck,
                           error=f"reconciliation: {exc.message}")

    if chosen is not None:
        finished = ctx.clock.now()
        attempt.outcome = AttemptState.RECONCILED
        attempt.idflux = chosen.idflux
        attempt.finished_at = finished
        session.add(attempt)
        _record_flow(session, declaration, declarant, idflux=chosen.idflux,
                     at=chosen.deposited_at or finished, reconciled=True)
        status = (
            DeclarationStatus.REFUSED_BY_DEPOSIT_POINT
            if chosen.status == "KO"
            else DeclarationStatus.DEPOSITED
        )
        _set_status(session, declaration, status, finished, idflux=chosen.idflux,
                    reconciled=True, attempt_id=attempt.id)
        _release_lease(session, declarant_id=declarant.id, declaration_id=declaration.id)
        session.commit()
        return StepOutcome(StepKind.DONE)

    if len(candidates) > 1:
        # Flows we cannot tell apart yet: wait for their bilans, never send a second one.
        return StepOutcome(StepKind.RETRY, at=now + ctx.policy.reconcile_recheck,
                           error=f"reconciliation: {len(candidates)} unattributed flows")
    deadline = attempt.sent_at + ctx.policy.deposit_read_timeout + ctx.policy.reconcile_grace
    if now < deadline:
        return StepOutcome(StepKind.RETRY, at=min(now + ctx.policy.reconcile_recheck, deadline),
                           error="reconciliation: deposit not listed yet")
    # Listed from after the deadline and still absent: it was never received; send again.
    attempt.outcome = AttemptState.LOST
    attempt.finished_at = ctx.clock.now()
    attempt.error = (attempt.error or "") + " — not listed by the deposit point: sending again"
    session.add(attempt)
    _set_status(session, declaration, DeclarationStatus.TRANSMITTING, attempt.finished_at,
                reason="the ambiguous deposit was not received: sending again")
    session.commit()
    return StepOutcome(StepKind.RETRY, at=ctx.clock.now())


def _unattributed(
    session: Session, deposits: Sequence[DepositRecord], *, since: datetime
) -> list[DepositRecord]:
    ids = [d.idflux for d in deposits]
    if not ids:
        return []
    taken = set(
        session.exec(select(DepositedFlow.idflux).where(col(DepositedFlow.idflux).in_(ids))).all()
    )
    found = [
        d for d in deposits
        if d.idflux not in taken and (d.deposited_at is None or d.deposited_at >= since)
    ]
    return sorted(found, key=lambda d: (d.deposited_at is None, d.deposited_at, d.idflux))


def _choose(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    candidates: list[DepositRecord],
) -> DepositRecord | None:
    """The flow that is this declaration's deposit.

    One in flight per declarant makes a single unattributed flow ours. Several (the declarant
    also deposits elsewhere) are told apart by their bilan (nature 11) when it is published.
    """
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    matching = [c for c in candidates if _bilan_matches(session, ctx, declaration, c.idflux)]
    return matching[0] if len(matching) == 1 else None


def _bilan_matches(
    session: Session, ctx: TransmissionContext, declaration: Declaration, idflux: str
) -> bool:
    records = ctx.client.list_flow_returns(idflux)
    bilan = next((r for r in records if r.nature == "11" and r.return_id), None)
    if bilan is None:
        return False
    parsed = parse_return(
        ctx.client.download_return(idflux, bilan.return_id, url=bilan.url).content, nature="11"
    )
    company = session.get(Company, declaration.company_id)
    establishment = session.get(Establishment, declaration.establishment_id)
    for report in parsed.declarations:
        ident = report.identification
        if (
            company is not None
            and ident.siren == company.siren
            and ident.nature == declaration.nature
            and ident.type == declaration.type
            and (establishment is None
                 or establishment.nic in {ident.nic_affectation, ident.nic_siege, None})
            and (ident.mois is None or _same_month(ident.mois, declaration.month))
        ):
            return True
    return False


def _same_month(mois: str, month: str) -> bool:
    """Whether a bilan's month (MMYYYY, 01MMYYYY, YYYYMM... as published) is `month` (YYYY-MM)."""
    digits = "".join(ch for ch in mois if ch.isdigit())
    year, mm = month.split("-")
    return year + mm in digits or mm + year in digits


# --- small pieces of the protocol ---------------------------------------------------------------


def backoff(policy: TransmissionPolicy, attempt: int, rng: random.Random) -> timedelta:
    """Exponential in the attempt number, capped, with jitter (a half to the full delay)."""
    base = policy.retry_base.total_seconds()
    capped = min(policy.retry_max.total_seconds(), base * 2 ** max(0, attempt - 1))
    return timedelta(seconds=capped * (0.5 + rng.random() / 2))


def _give_up_message(policy: TransmissionPolicy, unresolved: DepositAttempt | None) -> str:
    hours = policy.max_age.total_seconds() / 3600
    if unresolved is not None:
        return (
            f"gave up after {hours:g} h: whether the last deposit (sent at "
            f"{unresolved.sent_at.isoformat()}) was received could not be confirmed; check "
            "net-entreprises.fr before sending it again"
        )
    return f"gave up after {hours:g} h of failed attempts; last error on the attempts list"


def _declarant_of(session: Session, declaration: Declaration) -> Declarant | None:
    company = session.get(Company, declaration.company_id)
    if company is None or company.declarant_id is None:
        return None
    return session.get(Declarant, company.declarant_id)


def _unresolved_attempt(session: Session, declaration_id: uuid.UUID) -> DepositAttempt | None:
    return session.exec(
        select(DepositAttempt)
        .where(
            DepositAttempt.declaration_id == declaration_id,
            col(DepositAttempt.outcome).in_([AttemptState.SENDING, AttemptState.AMBIGUOUS]),
        )
        .order_by(col(DepositAttempt.id).desc())
    ).first()


def _take_lease(
    session: Session, ctx: TransmissionContext, *, declarant_id: uuid.UUID,
    declaration_id: uuid.UUID,
) -> bool:
    """(a) The declarant's lease for this declaration; False if another one holds it."""
    table = DeclarantLease.__table__  # type: ignore[attr-defined]
    if session.get(DeclarantLease, declarant_id) is None:
        try:
            with session.begin_nested():
                session.add(DeclarantLease(declarant_id=declarant_id))
        except IntegrityError:
            pass  # created by another worker at the same moment
    taken = session.execute(
        sa.update(table)
        .where(
            table.c.declarant_id == declarant_id,
            sa.or_(table.c.declaration_id.is_(None), table.c.declaration_id == declaration_id),
        )
        .values(declaration_id=declaration_id, taken_at=ctx.clock.now())
    )
    session.expire_all()
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def _force_lease(
    session: Session, *, declarant_id: uuid.UUID, declaration_id: uuid.UUID, at: datetime
) -> None:
    lease = session.get(DeclarantLease, declarant_id)
    if lease is None:
        session.add(DeclarantLease(declarant_id=declarant_id, declaration_id=declaration_id,
                                   taken_at=at))
    elif lease.declaration_id != declaration_id:
        lease.declaration_id = declaration_id
        lease.taken_at = at
        session.add(lease)


def _release_lease(
    session: Session, *, declarant_id: uuid.UUID, declaration_id: uuid.UUID
) -> None:
    table = DeclarantLease.__table__  # type: ignore[attr-defined]
    session.execute(
        sa.update(table)
        .where(table.c.declarant_id == declarant_id, table.c.declaration_id == declaration_id)
        .values(declaration_id=None, taken_at=None)
    )


def _finish_attempt(
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
    table = DepositAttempt.__table__  # type: ignore[attr-defined]
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
        sa.update(table)
        .where(table.c.id == attempt.id, table.c.outcome == AttemptState.SENDING)
        .values(**values)
    )
    session.expire(attempt)
    return bool(done.rowcount)  # type: ignore[attr-defined]


def _record_flow(
    session: Session,
    declaration: Declaration,
    declarant: Declarant,
    *,
    idflux: str,
    at: datetime,
    reconciled: bool,
) -> None:
    session.add(
        DepositedFlow(
            idflux=idflux,
            declaration_id=declaration.id,
            declarant_id=declarant.id,
            deposited_at=at,
            reconciled=reconciled,
        )
    )
    session.flush()


def _set_status(
    session: Session,
    declaration: Declaration,
    status: DeclarationStatus,
    at: datetime,
    *,
    detail_sealed: bytes | None = None,
    **detail: Any,
) -> None:
    """Move the declaration and add its event; `detail_sealed` is the detail's personal part."""
    declaration.status = status
    session.add(declaration)
    session.add(
        DeclarationEvent(
            declaration_id=declaration.id,
            status=status,
            at=at,
            detail={k: v for k, v in detail.items() if v is not None},
            detail_sealed=detail_sealed,
        )
    )


def _fail(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    message: str,
    *,
    code: str | None = None,
) -> None:
    _set_status(session, declaration, DeclarationStatus.TRANSMISSION_FAILED, ctx.clock.now(),
                message=message, code=code)


def _identity(declarant: Declarant, keyring: Keyring) -> DeclarantIdentity:
    return DeclarantIdentity(
        siret=declarant.siret,
        nom=keyring.decrypt_text(declarant.nom_encrypted),
        prenom=keyring.decrypt_text(declarant.prenom_encrypted),
    )


def _kill_if_asked() -> None:
    if os.environ.get(KILL_AFTER_DEPOSIT_ENV) == "1":
        os.kill(os.getpid(), signal.SIGKILL)


def _anomaly_dict(anomaly: Any) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(anomaly).items() if v is not None}


# --- returns ------------------------------------------------------------------------------------


def poll_returns(ctx: TransmissionContext) -> int:
    """Read the concentrator's returns listing up to `now - lag` and store what is new.

    One listing covers every flow (in ≤10-min windows the client splits), so the cost does not
    grow with the number of flows followed. The cursor only moves once everything listed up to
    it is stored: a failed download is fetched again next time. Returns how many were stored.
    """
    stored = 0
    with ctx.sessions() as session:
        now = ctx.clock.now()
        until = now - ctx.policy.returns_lag
        for flow in session.exec(
            select(DepositedFlow).where(
                col(DepositedFlow.settled_at).is_(None),
                DepositedFlow.deposited_at < now - ctx.policy.returns_follow,
            )
        ).all():
            flow.settled_at = now
            session.add(flow)
        flows = {
            f.idflux: f
            for f in session.exec(
                select(DepositedFlow).where(col(DepositedFlow.settled_at).is_(None))
            ).all()
        }
        cursor = session.get(ReturnsCursor, RETURNS_CURSOR)
        if not flows:
            _move_cursor(session, cursor, until)
            session.commit()
            return 0
        oldest = min(f.deposited_at for f in flows.values()) - RECONCILE_LOOKBACK
        start = oldest if cursor is None else cursor.listed_until
        # A flow recorded late (reconciled after a crash) may have returns the cursor has passed.
        late = [
            f.idflux for f in flows.values()
            if cursor is not None and f.deposited_at - RECONCILE_LOOKBACK < cursor.listed_until
            and not _has_returns(session, f.idflux)
        ]
        session.commit()
        for idflux in late:
            try:
                stored += refresh_flow_returns(ctx, idflux=idflux)
            except TransmissionError as exc:
                logger.warning("returns of flow %s: %s", idflux, exc)
        if until <= start:
            return stored
        try:
            records = ctx.client.list_returns_for_concentrator(start, until)
        except TransmissionError as exc:
            logger.warning("returns listing failed: %s", exc)
            return stored
        for record in sorted(records, key=lambda r: (r.published_at is None, r.published_at)):
            followed = flows.get(record.idflux)
            if followed is None or not record.return_id or not record.nature:
                continue
            try:
                if store_return(session, ctx, flow=followed, record=record):
                    stored += 1
                session.commit()
            except IntegrityError:
                session.rollback()  # another worker's poller stored this version first
            except TransmissionError as exc:
                session.rollback()
                logger.warning("return %s of %s not stored yet: %s", record.return_id,
                               record.idflux, exc)
                return stored
        _move_cursor(session, session.get(ReturnsCursor, RETURNS_CURSOR), until)
        session.commit()
    return stored


def refresh_flow_returns(ctx: TransmissionContext, *, idflux: str) -> int:
    """On demand: the returns of one flow (lister-retours-flux), stored like the poller does."""
    with ctx.sessions() as session:
        flow = session.get(DepositedFlow, idflux)
        if flow is None:
            raise NotFoundError(f"no deposited flow {idflux}", idflux=idflux)
        stored = 0
        for record in ctx.client.list_flow_returns(idflux):
            try:
                if record.return_id and record.nature and store_return(
                    session, ctx, flow=flow, record=record
                ):
                    stored += 1
                session.commit()
            except IntegrityError:
                session.rollback()  # another worker's poller stored this version first
        return stored


def _has_returns(session: Session, idflux: str) -> bool:
    return session.exec(select(DepositReturn.id).where(DepositReturn.idflux == idflux)).first() \
        is not None


def _move_cursor(session: Session, cursor: ReturnsCursor | None, until: datetime) -> None:
    if cursor is None:
        try:
            with session.begin_nested():
                session.add(ReturnsCursor(name=RETURNS_CURSOR, listed_until=until))
        except IntegrityError:
            pass  # another worker's poller created it at the same moment
    elif cursor.listed_until < until:
        cursor.listed_until = until
        session.add(cursor)


def store_return(
    session: Session, ctx: TransmissionContext, *, flow: DepositedFlow, record: ReturnRecord
) -> bool:
    """Download, parse (XSD-checked) and upsert one listed return; move the declaration's status.

    Returns False when the stored version is already this one.
    """
    assert record.nature is not None and record.return_id is not None
    ops = record.ops or ""
    existing = session.exec(
        select(DepositReturn).where(
            DepositReturn.idflux == record.idflux,
            DepositReturn.nature == record.nature,
            DepositReturn.ops == ops,
        )
    ).first()
    if (
        existing is not None
        and existing.return_id == record.return_id
        and existing.published_at == record.published_at
        and existing.status == record.status
    ):
        return False
    downloaded = ctx.client.download_return(record.idflux, record.return_id, url=record.url)
    parsed = parse_return(downloaded.content, nature=record.nature)
    now = ctx.clock.now()
    row = existing or DepositReturn(
        declaration_id=flow.declaration_id,
        idflux=record.idflux,
        nature=record.nature,
        ops=ops,
        return_id=record.return_id,
        downloaded_at=now,
        xml_sealed=b"",
        parsed_sealed=b"",
        versions=0,
    )
    row.return_id = record.return_id
    row.status = record.status or (parsed.status.value if parsed.status else None)
    row.kind = parsed.kind.value
    row.label = return_label(record.nature, parsed)
    row.published_at = record.published_at
    row.produced_at = record.produced_at
    row.downloaded_at = now
    row.versions += 1
    row.schema_valid = parsed.schema_valid
    # Returns name employees (BAN values, DGFiP NIRs, BIS identifications): sealed at rest.
    row.xml_sealed = ctx.keyring.encrypt(downloaded.content)
    row.parsed_sealed = ctx.keyring.seal_json(_jsonable(parsed))
    session.add(row)
    declaration = session.get(Declaration, flow.declaration_id)
    if declaration is not None:
        _apply_return(session, declaration, flow, row, parsed, now, keyring=ctx.keyring)
    session.flush()
    return True


def _apply_return(
    session: Session,
    declaration: Declaration,
    flow: DepositedFlow,
    row: DepositReturn,
    parsed: ParsedReturn,
    at: datetime,
    *,
    keyring: Keyring,
) -> None:
    current = DeclarationStatus(declaration.status)
    target = current
    if parsed.kind is ReportKind.ARE:
        target = DeclarationStatus.REFUSED_BY_DEPOSIT_POINT
        flow.settled_at = at
        session.add(flow)
    elif parsed.kind is ReportKind.CCO and current in _BILAN_MOVABLE:
        target = DeclarationStatus.CONFORM
    elif parsed.kind is ReportKind.BAN and current in _BILAN_MOVABLE:
        target = DeclarationStatus.ANOMALIES
        if any(a.blocking for a in parsed.all_anomalies):
            flow.settled_at = at  # a blocking bilan: no body will answer
            session.add(flow)
    anomalies = [_anomaly_dict(a) for a in parsed.all_anomalies][:MAX_EVENT_ANOMALIES]
    _set_status(
        session, declaration, target, at,
        detail_sealed=keyring.seal_json({"anomalies": anomalies}) if anomalies else None,
        return_id=row.return_id, nature=row.nature, label=row.label, ops=row.ops or None,
        return_status=row.status, idflux=row.idflux, version=row.versions,
        crm_code=parsed.crm_code,
    )


@lru_cache(maxsize=1)
def _transcodification() -> dict[str, Any]:
    path = schema_path("netentreprises", "transcodification.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def return_label(nature: str, parsed: ParsedReturn | None = None) -> str | None:
    """The human label of a return (from schemas/netentreprises/transcodification.json)."""
    kinds = {
        ReportKind.AEE: "Accusé d'enregistrement électronique (AEE)",
        ReportKind.ARE: "Avis de rejet d'envoi (ARE)",
        ReportKind.CCO: "Certificat de conformité (CCO)",
        ReportKind.BAN: "Bilan d'anomalies (BAN)",
    }
    if parsed is not None and parsed.kind in kinds:
        return kinds[parsed.kind]
    label: str | None = _transcodification().get("return_natures", {}).get(nature)
    return label


def _jsonable(parsed: ParsedReturn) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(parsed), default=str))
    return data


# --- the view the API shows ----------------------------------------------------------------------


def get_transmission_view(
    session: Session, *, declaration_id: uuid.UUID, keyring: Keyring
) -> TransmissionView:
    """Attempts, flow and returns of a declaration (the caller checked the tenant)."""
    attempts = session.exec(
        select(DepositAttempt)
        .where(DepositAttempt.declaration_id == declaration_id)
        .order_by(col(DepositAttempt.id))
    ).all()
    flow = session.exec(
        select(DepositedFlow).where(DepositedFlow.declaration_id == declaration_id)
    ).first()
    returns = session.exec(
        select(DepositReturn)
        .where(DepositReturn.declaration_id == declaration_id)
        .order_by(col(DepositReturn.nature), col(DepositReturn.ops))
    ).all()
    job = session.exec(
        select(TransmissionJob).where(TransmissionJob.declaration_id == declaration_id)
    ).first()
    statuses: dict[str, str] = _transcodification().get("return_statuses", {})
    return TransmissionView(
        idflux=flow.idflux if flow else None,
        deposited_at=flow.deposited_at if flow else None,
        reconciled=bool(flow and flow.reconciled),
        settled=bool(flow and flow.settled_at),
        job_status=job.status if job else None,
        next_try_at=job.available_at if job and job.status == JobStatus.QUEUED else None,
        last_error=job.last_error if job else None,
        attempts=[
            AttemptView(
                id=a.id or 0,
                started_at=a.started_at,
                sent_at=a.sent_at,
                finished_at=a.finished_at,
                outcome=a.outcome,
                http_status=a.http_status,
                duration_ms=a.duration_ms,
                error=a.error,
                idflux=a.idflux,
            )
            for a in attempts
        ],
        returns=[
            ReturnView(
                return_id=r.return_id,
                nature=r.nature,
                label=r.label,
                ops=r.ops or None,
                status=r.status,
                status_label=statuses.get(r.status or ""),
                kind=r.kind,
                published_at=r.published_at,
                versions=r.versions,
                schema_valid=r.schema_valid,
                anomalies=_parsed_anomalies(keyring.open_json(r.parsed_sealed)),
                url=f"/v1/declarations/{declaration_id}/returns/{r.return_id}",
            )
            for r in returns
        ],
    )


def _parsed_anomalies(parsed: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(parsed.get("anomalies") or [])
    for declaration in parsed.get("declarations") or []:
        found.extend(declaration.get("anomalies") or [])
    return [{k: v for k, v in a.items() if v is not None} for a in found][:MAX_EVENT_ANOMALIES]


def get_return_xml(
    session: Session, *, declaration_id: uuid.UUID, return_id: str, keyring: Keyring
) -> str:
    """The stored XML of a return of a declaration (the caller checked the tenant)."""
    row = session.exec(
        select(DepositReturn).where(
            DepositReturn.declaration_id == declaration_id, DepositReturn.return_id == return_id
        )
    ).first()
    if row is None:
        raise NotFoundError(
            f"no return {return_id} for declaration {declaration_id}",
            declaration_id=str(declaration_id), return_id=return_id,
        )
    return keyring.decrypt(row.xml_sealed).decode("utf-8", errors="replace")


def reseal_returns(session: Session, *, keyring: Keyring) -> int:
    """Re-encrypt the sealed returns and refused attempts' anomalies with the newest master key;
    returns how many values were re-encrypted."""
    count = 0
    for row in session.exec(select(DepositReturn).order_by(col(DepositReturn.id))).all():
        row.xml_sealed = keyring.rotate(row.xml_sealed)
        row.parsed_sealed = keyring.rotate(row.parsed_sealed)
        session.add(row)
        count += 2
    for attempt in session.exec(
        select(DepositAttempt)
        .where(col(DepositAttempt.detail_sealed).is_not(None))
        .order_by(col(DepositAttempt.id))
    ).all():
        assert attempt.detail_sealed is not None
        attempt.detail_sealed = keyring.rotate(attempt.detail_sealed)
        session.add(attempt)
        count += 1
    session.flush()
    return count
