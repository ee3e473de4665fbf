"""Reconciliation: was a deposit whose outcome is unknown received? Never resend blindly, never
adopt a flow that is not ours.

After an ambiguous deposit (read timeout, 5xx after sending, a worker found dead mid-send) the
declaration is `reconciling`. The identity's lease is forced on it: nothing else is sent under that
net-entreprises identity meanwhile. Then, step after step:

1. `lister-depots` for the identity, from `sent_at - 1 min`: the flows no declaration of ours
   holds yet are the candidates (a flow belongs to at most one declaration: `deposited_flow`'s key).
2. A candidate is adopted only when it is **proven ours**: its bilan (nature 11, CCO or BAN) names
   this declaration — SIREN, NIC (seat or establishment), month, nature and type — and it was
   deposited in the attempt's window. Being the only candidate proves nothing: another tenant's
   declarant may be the same person, or the declarant may file by another channel.
3. Exactly one proven candidate → adopted (`deposited`, the bilan then applies as any return).
   Two or more → they cannot be told apart: never sent again; after `reconcile_proof` the
   transmission fails and asks the user to look at net-entreprises.fr.
4. No proven candidate: while a candidate still waits for its bilan and `reconcile_proof` has not
   passed since the attempt, wait (the reason is on the job and the timeline). Otherwise, once the
   attempt is older than the deposit read timeout plus the grace period, it was not received:
   the attempt is marked `lost` and the file is sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from dsnlink.declarations import timeline
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.deposit_point.records import DepositRecord
from dsnlink.deposit_point.returns import ReturnDocument, ReturnKind, read_return
from dsnlink.errors import TransmissionError
from dsnlink.tenants.models import Company, Declarant, Establishment
from dsnlink.transmission import repository
from dsnlink.transmission.context import (
    RECONCILE_LOOKBACK,
    StepKind,
    StepOutcome,
    TransmissionContext,
)
from dsnlink.transmission.identity import identity_key, identity_of
from dsnlink.transmission.models import AttemptState, DepositAttempt

logger = logging.getLogger(__name__)

# More candidates than this in one window is not a reconciliation, it is an incident.
MAX_CANDIDATES = 20


@dataclass(frozen=True)
class Proof:
    """What the candidates' bilans say: the flows proven ours, those still without a bilan."""

    ours: list[DepositRecord]
    waiting: list[DepositRecord]


def reconcile(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    declarant: Declarant,
    attempt: DepositAttempt,
) -> StepOutcome:
    """One step of the reconciliation of `attempt` (see the module docstring)."""
    now = ctx.clock.now()
    if attempt.outcome == AttemptState.SENDING:
        attempt.outcome = AttemptState.AMBIGUOUS
        attempt.error = (
            "aucun résultat enregistré : le worker s'est arrêté pendant l'envoi du dépôt"
        )
        session.add(attempt)
    if declaration.status != DeclarationStatus.RECONCILING:
        timeline.advance(
            session, declaration, DeclarationStatus.RECONCILING, at=now, reason=attempt.error
        )
    key = identity_key(session, declarant, keyring=ctx.keyring, secret=ctx.identity_secret)
    # Nothing else may be sent under this identity meanwhile, whoever held the lease.
    repository.force_lease(session, identity_key=key, declaration_id=declaration.id, at=now)
    session.commit()

    since = attempt.sent_at - RECONCILE_LOOKBACK
    until = attempt.sent_at + ctx.policy.deposit_read_timeout + ctx.policy.reconcile_grace
    try:
        listed = ctx.client.list_deposits(identity_of(declarant, ctx.keyring), since, now)
        candidates = _unattributed(session, listed, since=since, until=until)
        proof = _prove(session, ctx, declaration, candidates)
    except TransmissionError as exc:
        logger.warning("reconciliation of %s: the deposit point failed: %s", declaration.id, exc)
        return _later(ctx, now, f"vérification du dépôt : {exc.message}")

    logger.info(
        "reconciliation: %d listed, candidates %s, proven ours %s, waiting for a bilan %s",
        len(listed),
        [c.idflux for c in candidates],
        [c.idflux for c in proof.ours],
        [c.idflux for c in proof.waiting],
    )
    if len(proof.ours) == 1:
        return _adopt(session, ctx, declaration, declarant, attempt, proof.ours[0], key)
    proof_deadline = attempt.sent_at + ctx.policy.reconcile_proof
    if len(proof.ours) > 1:
        flows = ", ".join(c.idflux for c in proof.ours)
        if now < proof_deadline:
            return _later(ctx, now, f"plusieurs flux correspondent à cette déclaration ({flows})")
        return _give_up(
            session,
            ctx,
            declaration,
            attempt,
            key,
            f"plusieurs flux déposés correspondent à cette déclaration ({flows}) : vérifiez sur "
            "net-entreprises.fr lequel garder avant toute nouvelle transmission",
        )
    if proof.waiting and now < proof_deadline:
        flows = ", ".join(c.idflux for c in proof.waiting)
        return _later(
            ctx,
            now,
            f"le flux {flows} attend son bilan, qui dira s'il est bien cette déclaration",
            until=proof_deadline,
        )
    if now < until:
        return _later(
            ctx, now, "le dépôt n'est pas (encore) listé par le point de dépôt", until=until
        )
    return _send_again(session, ctx, declaration, attempt)


def _unattributed(
    session: Session, deposits: Sequence[DepositRecord], *, since: datetime, until: datetime
) -> list[DepositRecord]:
    """Listed flows in the attempt's window that no declaration of ours holds."""
    taken = repository.attributed_idflux(session, [d.idflux for d in deposits])
    found = [
        d
        for d in deposits
        if d.idflux not in taken and (d.deposited_at is None or since <= d.deposited_at <= until)
    ]
    return sorted(found, key=lambda d: (d.deposited_at is None, d.deposited_at, d.idflux))[
        :MAX_CANDIDATES
    ]


def _prove(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    candidates: list[DepositRecord],
) -> Proof:
    ours: list[DepositRecord] = []
    waiting: list[DepositRecord] = []
    company = session.get(Company, declaration.company_id)
    establishment = session.get(Establishment, declaration.establishment_id)
    for candidate in candidates:
        if candidate.status == "KO":
            continue  # refused (ARE): no bilan will ever name it; resending a refused file is safe
        bilan = _bilan_of(ctx, candidate.idflux)
        if bilan is None:
            waiting.append(candidate)
        elif company is not None and names_declaration(
            bilan,
            declaration,
            siren=company.siren,
            nic=establishment.nic if establishment else None,
        ):
            ours.append(candidate)
    return Proof(ours=ours, waiting=waiting)


def _bilan_of(ctx: TransmissionContext, idflux: str) -> ReturnDocument | None:
    """The flow's bilan (CCO or BAN) once published and readable, else None."""
    records = ctx.client.list_flow_returns(idflux)
    record = next((r for r in records if r.nature == "11" and r.return_id), None)
    if record is None:
        return None
    content = ctx.client.download_return(idflux, record.return_id, url=record.url).content
    document = read_return(content, nature="11")
    if not document.readable or document.kind not in {ReturnKind.CCO, ReturnKind.BAN}:
        return None
    return document


def names_declaration(
    bilan: ReturnDocument, declaration: Declaration, *, siren: str, nic: str | None
) -> bool:
    """Whether one of the bilan's declarations is this one: SIREN, NIC, month, nature, type."""
    for report in bilan.declarations:
        ident = report.identification
        if (
            ident.siren == siren
            and ident.nature == declaration.nature
            and ident.type == declaration.type
            and (nic is None or nic in {ident.nic_affectation, ident.nic_siege})
            and ident.mois is not None
            and same_month(ident.mois, declaration.month)
        ):
            return True
    return False


def same_month(mois: str, month: str) -> bool:
    """Whether a bilan's month (JJMMAAAA, AAAA-MM-JJ, MMAAAA... as published) is `month`."""
    digits = "".join(ch for ch in mois if ch.isdigit())
    year, mm = month.split("-")
    return digits.startswith(year + mm) or digits.endswith(mm + year)


def _adopt(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    declarant: Declarant,
    attempt: DepositAttempt,
    flow: DepositRecord,
    key: str,
) -> StepOutcome:
    finished = ctx.clock.now()
    attempt.outcome = AttemptState.RECONCILED
    attempt.idflux = flow.idflux
    attempt.finished_at = finished
    session.add(attempt)
    repository.record_flow(
        session,
        declaration_id=declaration.id,
        declarant_id=declarant.id,
        idflux=flow.idflux,
        at=flow.deposited_at or finished,
        reconciled=True,
    )
    status = (
        DeclarationStatus.REFUSED_BY_DEPOSIT_POINT
        if flow.status == "KO"
        else DeclarationStatus.DEPOSITED
    )
    timeline.advance(
        session,
        declaration,
        status,
        at=finished,
        idflux=flow.idflux,
        reconciled=True,
        attempt_id=attempt.id,
    )
    repository.release_lease(session, identity_key=key, declaration_id=declaration.id)
    session.commit()
    return StepOutcome(StepKind.DONE)


def _later(
    ctx: TransmissionContext, now: datetime, reason: str, *, until: datetime | None = None
) -> StepOutcome:
    at = now + ctx.policy.reconcile_recheck
    return StepOutcome(StepKind.RETRY, at=min(at, until) if until else at, error=reason)


def _send_again(
    session: Session, ctx: TransmissionContext, declaration: Declaration, attempt: DepositAttempt
) -> StepOutcome:
    """No flow of ours was listed in time: the deposit was never received; send it again."""
    attempt.outcome = AttemptState.LOST
    attempt.finished_at = ctx.clock.now()
    attempt.error = (attempt.error or "") + " — absent des dépôts listés : nouvel envoi"
    session.add(attempt)
    timeline.advance(
        session,
        declaration,
        DeclarationStatus.TRANSMITTING,
        at=attempt.finished_at,
        reason="le dépôt incertain n'a pas été reçu par le point de dépôt : nouvel envoi",
    )
    session.commit()
    return StepOutcome(StepKind.RETRY, at=ctx.clock.now())


def _give_up(
    session: Session,
    ctx: TransmissionContext,
    declaration: Declaration,
    attempt: DepositAttempt,
    key: str,
    message: str,
) -> StepOutcome:
    now = ctx.clock.now()
    attempt.outcome = AttemptState.FAILED
    attempt.finished_at = now
    session.add(attempt)
    timeline.advance(
        session, declaration, DeclarationStatus.TRANSMISSION_FAILED, at=now, message=message
    )
    repository.release_lease(session, identity_key=key, declaration_id=declaration.id)
    session.commit()
    return StepOutcome(StepKind.FAILED, error=message)
