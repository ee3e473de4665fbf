"""The transmission job: deposit one ordered declaration exactly once, then follow its returns.

The protocol (docs/transmission.md) in short:
  a. at most one deposit in flight per net-entreprises identity (SIRET, nom, prénom, whichever
     tenant or declarant row it comes through): an `identity_lease` row held by a declaration,
     taken with a conditional UPDATE and kept until that declaration's deposit is resolved;
  b. an attempt row in state `sending` (with `sent_at`) is committed before the POST leaves;
  c. AEE → idflux, `deposited`; ARE → `refused_by_deposit_point` (both release the lease);
  d. surely not sent (connection refused, 503, login failed) → `not_sent`, the declaration is
     `waiting_for_deposit_point` and the job comes back after a backoff;
  e. maybe sent (read timeout, 5xx after sending, or an attempt found still `sending` on pickup:
     the worker died) → `reconciling` (reconcile.py): a listed flow is adopted only once its
     bilan proves it is this declaration; nothing proven in time → sent again.

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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dsnlink.clock import in_paris
from dsnlink.declarations import timeline
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.deposit_point.errors import DepositRefused
from dsnlink.errors import TransientTransmissionError, TransmissionError
from dsnlink.logs.logging import bind_log_fields
from dsnlink.outbox.models import TransmissionJob
from dsnlink.tenants.models import Declarant
from dsnlink.transmission import repository
from dsnlink.transmission.context import (
    StepKind,
    StepOutcome,
    TransmissionContext,
    TransmissionPolicy,
)
from dsnlink.transmission.identity import identity_key, identity_of
from dsnlink.transmission.models import AttemptState, DepositAttempt
from dsnlink.transmission.reconcile import reconcile

logger = logging.getLogger(__name__)

# Test hook of the crash test: the worker kills itself after the POST returned, before recording.
KILL_AFTER_DEPOSIT_ENV = "DSNLINK_TEST_KILL_AFTER_DEPOSIT"

MAX_EVENT_ANOMALIES = 50

DONE_STATUSES = frozenset(
    {
        DeclarationStatus.DEPOSITED,
        DeclarationStatus.CONFORM,
        DeclarationStatus.ANOMALIES,
        DeclarationStatus.REJECTED_BY_DEPOSIT_POINT,
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
            return StepOutcome(StepKind.FAILED, error="la déclaration n'existe plus")
        if declaration.status in DONE_STATUSES:
            return StepOutcome(StepKind.DONE)
        declarant = repository.declarant_of(session, declaration)
        if declarant is None:
            message = (
                "aucun déclarant n'est rattaché à l'entreprise de cette déclaration : "
                "enregistrez-en un (POST /v1/declarants), rattachez-le à l'entreprise, puis "
                "ordonnez de nouveau la transmission"
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
                session, identity_key=_key(session, ctx, declarant), declaration_id=declaration.id
            )
            session.commit()
            return StepOutcome(StepKind.FAILED, error=message)
        if unresolved is not None:
            return reconcile(session, ctx, declaration, declarant, unresolved)
        return _deposit(session, ctx, declaration, declarant, job)


def _key(session: Session, ctx: TransmissionContext, declarant: Declarant) -> str:
    return identity_key(session, declarant, keyring=ctx.keyring, secret=ctx.identity_secret)


def _deposit(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    declarant: Declarant,
    job: TransmissionJob,
) -> StepOutcome:
    key = _key(session, ctx, declarant)
    if not repository.take_lease(
        session, at=ctx.clock.now(), identity_key=key, declaration_id=declaration.id
    ):
        session.commit()
        return StepOutcome(
            StepKind.RETRY,
            at=ctx.clock.now() + ctx.policy.declarant_wait,
            error="un autre dépôt est en cours pour ce déclarant net-entreprises",
        )
    dsn = b"".join(
        ctx.blobs.read(
            ctx.blobs.root / Path(declaration.blob_path),
            wrapped_key=declaration.blob_wrapped_key,
        )
    )
    identity = identity_of(declarant, ctx.keyring)

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
        return _record_refused(session, ctx, declaration, declarant, attempt, exc, began, key)
    except TransmissionError as exc:
        _kill_if_asked()
        return _record_failure(session, ctx, declaration, attempt, job, exc, began, key)
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
    _claim_flow(session, ctx, declaration, declarant, result.idflux, finished)
    timeline.advance(
        session,
        declaration,
        DeclarationStatus.DEPOSITED,
        at=finished,
        idflux=result.idflux,
        attempt_id=attempt.id,
    )
    repository.release_lease(session, identity_key=key, declaration_id=declaration.id)
    session.commit()
    return StepOutcome(StepKind.DONE, attempted=True)


def _claim_flow(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    declarant: Declarant,
    idflux: str,
    at: datetime,
) -> None:
    """Record the flow the deposit point's own answer (AEE or ARE) names for this deposit.

    That answer is the proof. Should a reconciliation have adopted the same idflux for another
    declaration meanwhile (it must not: adoption needs the flow's bilan to name that declaration),
    the flow moves here and the other declaration looks for its own deposit again: the database
    lets one flow belong to one declaration, and a conflict never loops.
    """
    try:
        with session.begin_nested():
            repository.record_flow(
                session,
                declaration_id=declaration.id,
                declarant_id=declarant.id,
                idflux=idflux,
                at=at,
                reconciled=False,
            )
        return
    except IntegrityError:
        existing = repository.get_flow(session, idflux)
        if existing is None or existing.declaration_id == declaration.id:
            raise
    other = session.get(Declaration, existing.declaration_id)
    logger.error(
        "flow %s was adopted by declaration %s but the deposit point answered it to %s",
        idflux,
        existing.declaration_id,
        declaration.id,
    )
    repository.move_flow(
        session, idflux=idflux, declaration_id=declaration.id, declarant_id=declarant.id, at=at
    )
    if other is not None and timeline.may_advance(other.status, DeclarationStatus.RECONCILING):
        timeline.advance(
            session,
            other,
            DeclarationStatus.RECONCILING,
            at=at,
            reason=f"le flux {idflux} adopté pour cette déclaration est celui d'une autre "
            "(son accusé de dépôt le dit) : la recherche de son propre dépôt reprend",
        )
        repository.reopen_reconciliation(session, declaration_id=other.id, at=at)


def _record_refused(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    declarant: Declarant,
    attempt: DepositAttempt,
    exc: DepositRefused,
    began: float,
    key: str,
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
        _claim_flow(session, ctx, declaration, declarant, exc.idflux, finished)
    timeline.advance(
        session,
        declaration,
        DeclarationStatus.REFUSED_BY_DEPOSIT_POINT,
        at=finished,
        detail_sealed=sealed,
        idflux=exc.idflux,
        message=exc.message,
    )
    repository.release_lease(session, identity_key=key, declaration_id=declaration.id)
    session.commit()
    return StepOutcome(StepKind.DONE, error=exc.message, attempted=True)


def _record_failure(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    attempt: DepositAttempt,
    job: TransmissionJob,
    exc: TransmissionError,
    began: float,
    key: str,
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
        repository.release_lease(session, identity_key=key, declaration_id=declaration.id)
        next_try = finished + backoff(ctx.policy, job.attempts + 1, ctx.rng)
        timeline.advance(
            session,
            declaration,
            DeclarationStatus.WAITING_FOR_DEPOSIT_POINT,
            at=finished,
            reason=exc.message,
            next_try_at=next_try.isoformat(),
        )
        session.commit()
        return StepOutcome(StepKind.RETRY, at=next_try, error=exc.message, attempted=True)
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
    repository.release_lease(session, identity_key=key, declaration_id=declaration.id)
    session.commit()
    return StepOutcome(StepKind.FAILED, error=exc.message, attempted=True)


def backoff(policy: TransmissionPolicy, attempt: int, rng: random.Random) -> timedelta:
    """Exponential in the attempt number, capped, with jitter (a half to the full delay)."""
    base = policy.retry_base.total_seconds()
    capped = min(policy.retry_max.total_seconds(), base * 2 ** max(0, attempt - 1))
    return timedelta(seconds=capped * (0.5 + rng.random() / 2))


def _give_up_message(policy: TransmissionPolicy, unresolved: DepositAttempt | None) -> str:
    hours = policy.max_age.total_seconds() / 3600
    if unresolved is not None:
        return (
            f"abandon après {hours:g} h : la réception du dernier dépôt (envoyé le "
            f"{in_paris(unresolved.sent_at)}) n'a pas pu être confirmée ; vérifiez sur "
            "net-entreprises.fr avant de la transmettre de nouveau"
        )
    return (
        f"abandon après {hours:g} h d'essais sans succès ; la dernière erreur figure dans la "
        "liste des tentatives. Corrigez la cause puis ordonnez de nouveau la transmission"
    )


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


def _kill_if_asked() -> None:
    if os.environ.get(KILL_AFTER_DEPOSIT_ENV) == "1":
        os.kill(os.getpid(), signal.SIGKILL)


def anomaly_dict(anomaly: Any) -> dict[str, Any]:
    return {k: v for k, v in dataclasses.asdict(anomaly).items() if v is not None}
