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
import logging
import os
import random
import signal
import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from dsnlink.declarations import timeline
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.deposit_point.errors import DepositRefused
from dsnlink.deposit_point.records import (
    DeclarantIdentity,
    DepositRecord,
)
from dsnlink.deposit_point.reports import parse_return
from dsnlink.errors import TransientTransmissionError, TransmissionError
from dsnlink.logs.logging import bind_log_fields
from dsnlink.outbox.models import TransmissionJob
from dsnlink.security.keys import Keyring
from dsnlink.tenants.models import Company, Declarant, Establishment
from dsnlink.transmission import repository
from dsnlink.transmission.context import (
    RECONCILE_LOOKBACK,
    StepKind,
    StepOutcome,
    TransmissionContext,
    TransmissionPolicy,
)
from dsnlink.transmission.models import (
    AttemptState,
    DepositAttempt,
)

logger = logging.getLogger(__name__)

# Test hook of the crash test: the worker kills itself after the POST returned, before recording.
KILL_AFTER_DEPOSIT_ENV = "DSNLINK_TEST_KILL_AFTER_DEPOSIT"

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
        declarant = repository.declarant_of(session, declaration)
        if declarant is None:
            message = (
                "no declarant is set for the company of this declaration: register one "
                "(POST /v1/declarants) and assign it to the company, then order again"
            )
            _fail(session, ctx, declaration, message)
            session.commit()
            return StepOutcome(StepKind.FAILED, error=message)
        unresolved = repository.unresolved_attempt(session, declaration.id)
        if ctx.clock.now() - job.created_at > ctx.policy.max_age:
            message = _give_up_message(ctx.policy, unresolved)
            if unresolved is not None:
                unresolved.outcome = AttemptState.FAILED
                unresolved.finished_at = ctx.clock.now()
                session.add(unresolved)
            _fail(session, ctx, declaration, message)
            repository.release_lease(
                session, declarant_id=declarant.id, declaration_id=declaration.id
            )
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
    if not repository.take_lease(
        session, at=ctx.clock.now(), declarant_id=declarant.id, declaration_id=declaration.id
    ):
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
        timeline.advance(session, declaration, DeclarationStatus.TRANSMITTING, at=now)
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
    if not repository.finish_attempt(
        session,
        attempt,
        AttemptState.ACCEPTED,
        finished,
        began,
        http_status=200,
        idflux=result.idflux,
    ):
        session.rollback()
        return StepOutcome(StepKind.DONE)  # a reconciler recorded it meanwhile
    repository.record_flow(
        session,
        declaration_id=declaration.id,
        declarant_id=declarant.id,
        idflux=result.idflux,
        at=finished,
        reconciled=False,
    )
    timeline.advance(
        session,
        declaration,
        DeclarationStatus.DEPOSITED,
        at=finished,
        idflux=result.idflux,
        attempt_id=attempt.id,
    )
    repository.release_lease(session, declarant_id=declarant.id, declaration_id=declaration.id)
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
    anomalies = [anomaly_dict(a) for a in exc.anomalies][:MAX_EVENT_ANOMALIES]
    # The anomalies quote the rubrics' values (a NIR, a name): sealed, never in a clear column.
    sealed = ctx.keyring.seal_json({"anomalies": anomalies}) if anomalies else None
    repository.finish_attempt(
        session,
        attempt,
        AttemptState.REFUSED,
        finished,
        began,
        http_status=exc.http_status,
        idflux=exc.idflux,
        error=exc.message,
        detail_sealed=sealed,
    )
    if exc.idflux:
        repository.record_flow(
            session,
            declaration_id=declaration.id,
            declarant_id=declarant.id,
            idflux=exc.idflux,
            at=finished,
            reconciled=False,
        )
    timeline.advance(
        session,
        declaration,
        DeclarationStatus.REFUSED_BY_DEPOSIT_POINT,
        at=finished,
        detail_sealed=sealed,
        idflux=exc.idflux,
        message=exc.message,
    )
    repository.release_lease(session, declarant_id=declarant.id, declaration_id=declaration.id)
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
        repository.finish_attempt(
            session,
            attempt,
            AttemptState.AMBIGUOUS,
            finished,
            began,
            http_status=status,
            error=exc.message,
            final=False,
        )
        timeline.advance(
            session, declaration, DeclarationStatus.RECONCILING, at=finished, reason=exc.message
        )
        session.commit()
        return StepOutcome(StepKind.RETRY, at=finished, error=exc.message, attempted=True)
    if isinstance(exc, TransientTransmissionError):
        # (d) surely not sent: safe to try again later.
        repository.finish_attempt(
            session,
            attempt,
            AttemptState.NOT_SENT,
            finished,
            began,
            http_status=status,
            error=exc.message,
        )
        repository.release_lease(session, declarant_id=declarant.id, declaration_id=declaration.id)
        session.commit()
        return StepOutcome(
            StepKind.RETRY,
            at=finished + backoff(ctx.policy, job.attempts + 1, ctx.rng),
            error=exc.message,
            attempted=True,
        )
    repository.finish_attempt(
        session,
        attempt,
        AttemptState.FAILED,
        finished,
        began,
        http_status=status,
        error=exc.message,
    )
    _fail(session, ctx, declaration, exc.message, code=exc.code)
    repository.release_lease(session, declarant_id=declarant.id, declaration_id=declaration.id)
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
        timeline.advance(
            session, declaration, DeclarationStatus.RECONCILING, at=now, reason=attempt.error
        )
    # Nothing else may be sent for this declarant meanwhile, whoever held the lease.
    repository.force_lease(
        session, declarant_id=declarant.id, declaration_id=declaration.id, at=now
    )
    session.commit()

    identity = _identity(declarant, ctx.keyring)
    try:
        deposits = ctx.client.list_deposits(identity, attempt.sent_at - RECONCILE_LOOKBACK, now)
        candidates = _unattributed(session, deposits, since=attempt.sent_at - RECONCILE_LOOKBACK)
        chosen = _choose(session, ctx, declaration, candidates)
    except TransmissionError as exc:
        logger.warning("reconciliation of %s: listing failed: %s", declaration.id, exc)
        return StepOutcome(
            StepKind.RETRY,
            at=now + ctx.policy.reconcile_recheck,
            error=f"reconciliation: {exc.message}",
        )

    if chosen is not None:
        finished = ctx.clock.now()
        attempt.outcome = AttemptState.RECONCILED
        attempt.idflux = chosen.idflux
        attempt.finished_at = finished
        session.add(attempt)
        repository.record_flow(
            session,
            declaration_id=declaration.id,
            declarant_id=declarant.id,
            idflux=chosen.idflux,
            at=chosen.deposited_at or finished,
            reconciled=True,
        )
        status = (
            DeclarationStatus.REFUSED_BY_DEPOSIT_POINT
            if chosen.status == "KO"
            else DeclarationStatus.DEPOSITED
        )
        timeline.advance(
            session,
            declaration,
            status,
            at=finished,
            idflux=chosen.idflux,
            reconciled=True,
            attempt_id=attempt.id,
        )
        repository.release_lease(session, declarant_id=declarant.id, declaration_id=declaration.id)
        session.commit()
        return StepOutcome(StepKind.DONE)

    if len(candidates) > 1:
        # Flows we cannot tell apart yet: wait for their bilans, never send a second one.
        return StepOutcome(
            StepKind.RETRY,
            at=now + ctx.policy.reconcile_recheck,
            error=f"reconciliation: {len(candidates)} unattributed flows",
        )
    deadline = attempt.sent_at + ctx.policy.deposit_read_timeout + ctx.policy.reconcile_grace
    if now < deadline:
        return StepOutcome(
            StepKind.RETRY,
            at=min(now + ctx.policy.reconcile_recheck, deadline),
            error="reconciliation: deposit not listed yet",
        )
    # Listed from after the deadline and still absent: it was never received; send again.
    attempt.outcome = AttemptState.LOST
    attempt.finished_at = ctx.clock.now()
    attempt.error = (attempt.error or "") + " — not listed by the deposit point: sending again"
    session.add(attempt)
    timeline.advance(
        session,
        declaration,
        DeclarationStatus.TRANSMITTING,
        at=attempt.finished_at,
        reason="the ambiguous deposit was not received: sending again",
    )
    session.commit()
    return StepOutcome(StepKind.RETRY, at=ctx.clock.now())


def _unattributed(
    session: Session, deposits: Sequence[DepositRecord], *, since: datetime
) -> list[DepositRecord]:
    taken = repository.attributed_idflux(session, [d.idflux for d in deposits])
    found = [
        d
        for d in deposits
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
            and (
                establishment is None
                or establishment.nic in {ident.nic_affectation, ident.nic_siege, None}
            )
            and (ident.mois is None or _same_month(ident.mois, declaration.month))
        ):
            return True
    return False


def _same_month(mois: str, month: str) -> bool:
    """Whether a bilan's month (MMYYYY, 01MMYYYY, YYYYMM... as published) is `month` (YYYY-MM)."""
    digits = "".join(ch for ch in mois if ch.isdigit())
    year, mm = month.split("-")
    return year + mm in digits or mm + year in digits


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


def _fail(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    message: str,
    *,
    code: str | None = None,
) -> None:
    timeline.advance(
        session,
        declaration,
        DeclarationStatus.TRANSMISSION_FAILED,
        at=ctx.clock.now(),
        message=message,
        code=code,
    )


def _identity(declarant: Declarant, keyring: Keyring) -> DeclarantIdentity:
    return DeclarantIdentity(
        siret=declarant.siret,
        nom=keyring.decrypt_text(declarant.nom_encrypted),
        prenom=keyring.decrypt_text(declarant.prenom_encrypted),
    )


def _kill_if_asked() -> None:
    if os.environ.get(KILL_AFTER_DEPOSIT_ENV) == "1":
        os.kill(os.getpid(), signal.SIGKILL)


def anomaly_dict(anomaly: Any) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(anomaly).items() if v is not None}
