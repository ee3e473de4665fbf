"""The transmission order (mandate): who ordered a declaration's transmission and when, queued in
the same transaction; refused up front when the company's declarant cannot file.

A declaration whose transmission failed may be ordered again — by a user (the API's `/transmit`,
the dashboard) or by the operator (`dsnlink transmission retry`): a new order, a new event, the
same job queued anew. Nothing is sent twice by it: a failed transmission has no deposit in doubt
(reconcile.py fails only once no flow of it exists, or asks the user to look).
"""

from __future__ import annotations

import uuid

from sqlmodel import Session
from stdnum.fr import siret as stdnum_siret

from dsnlink.clock import Clock, in_paris
from dsnlink.declarations import idempotency, timeline
from dsnlink.declarations.errors import (
    AlreadyOrdered,
    DeclarantNotReady,
    DeclarationRejected,
    NotTransmittable,
)
from dsnlink.declarations.idempotency import IdempotencyRequest, StoredAnswer
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.declarations.schemas import DeclarationRead
from dsnlink.declarations.tracking import (
    declaration_anomalies,
    describe_declaration,
    get_visible_declaration_or_raise,
)
from dsnlink.errors import NotFoundError
from dsnlink.outbox.service import JobInFlight, enqueue_transmission
from dsnlink.security.keys import Keyring
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.models import Company, Declarant
from dsnlink.tenants.schemas import Principal

# Statuses of a declarant's last credentials check that make a transmission pointless.
BLOCKING_CHECKS = frozenset({"unknown", "locked", "rejected"})


def order_transmission(
    session: Session,
    *,
    principal: Principal,
    declaration_id: uuid.UUID,
    clock: Clock,
    keyring: Keyring,
) -> DeclarationRead:
    """Record who ordered the transmission and when, and queue it in the same transaction."""
    declaration = get_visible_declaration_or_raise(
        session, principal=principal, declaration_id=declaration_id
    )
    tenants_service.require_activated(session, tenant_id=principal.tenant_id)
    status = DeclarationStatus(declaration.status)
    if declaration.ordered_at is not None and status is not DeclarationStatus.TRANSMISSION_FAILED:
        raise AlreadyOrdered(
            f"the transmission of declaration {declaration.id} was already ordered at "
            f"{in_paris(declaration.ordered_at)}",
            declaration_id=str(declaration.id),
            ordered_at=declaration.ordered_at,
            ordered_by_user_id=str(declaration.ordered_by_user_id),
        )
    if status is DeclarationStatus.REJECTED:
        raise DeclarationRejected(
            f"declaration {declaration.id} was rejected by the norm controls "
            f"({declaration.anomaly_count} anomalies): it can never be transmitted; correct the "
            "file and send it again",
            declaration_id=str(declaration.id),
            anomalies=[
                a
                for a in declaration_anomalies(declaration, keyring=keyring)
                if a.get("category") == "bloquant"
            ][:20],
        )
    if not status.transmittable:
        raise NotTransmittable(
            f"declaration {declaration.id} is {declaration.status}: no order can be given",
            declaration_id=str(declaration.id),
            status=declaration.status,
        )
    order(session, declaration=declaration, principal=principal, clock=clock, keyring=keyring)
    session.flush()
    return describe_declaration(
        session, declaration, anomalies=declaration_anomalies(declaration, keyring=keyring)
    )


def order_transmission_once(
    session: Session,
    *,
    principal: Principal,
    declaration_id: uuid.UUID,
    clock: Clock,
    keyring: Keyring,
    idempotency_key: str | None,
) -> DeclarationRead | StoredAnswer:
    """`order_transmission` under an optional Idempotency-Key (the original answer on a retry)."""
    if idempotency_key is None:
        return order_transmission(
            session,
            principal=principal,
            declaration_id=declaration_id,
            clock=clock,
            keyring=keyring,
        )
    row, answer = idempotency.claim(
        session,
        tenant_id=principal.tenant_id,
        request=IdempotencyRequest(
            key=idempotency.check_key(idempotency_key),
            scope="POST /v1/declarations/{id}/transmit",
            fingerprint=idempotency.fingerprint(str(declaration_id)),
        ),
        keyring=keyring,
        now=clock.now(),
    )
    if answer is not None:
        return answer
    assert row is not None
    ordered = order_transmission(
        session, principal=principal, declaration_id=declaration_id, clock=clock, keyring=keyring
    )
    idempotency.complete(
        session, row, status_code=200, body=ordered.model_dump(mode="json"), keyring=keyring
    )
    return ordered


def order(
    session: Session,
    *,
    declaration: Declaration,
    principal: Principal,
    clock: Clock,
    keyring: Keyring,
) -> None:
    """Give the order: checks the declarant, records the mandate, queues the job."""
    check_declarant_ready(session, declaration=declaration, keyring=keyring)
    now = clock.now()
    again = declaration.status == DeclarationStatus.TRANSMISSION_FAILED
    declaration.ordered_at = now
    declaration.ordered_by_user_id = principal.user_id
    declaration.ordered_by_api_key_id = principal.api_key_id
    timeline.advance(
        session, declaration, DeclarationStatus.ORDERED, at=now, by=principal, again=again or None
    )
    _queue(session, declaration=declaration, ordered_by=principal.user_id, clock=clock)


def order_again_by_operator(
    session: Session, *, declaration_id: uuid.UUID, clock: Clock, keyring: Keyring
) -> Declaration:
    """The operator queues a failed transmission again, under its user's original mandate."""
    declaration = session.get(Declaration, declaration_id)
    if declaration is None:
        raise NotFoundError(f"no declaration {declaration_id}", declaration_id=str(declaration_id))
    if declaration.status != DeclarationStatus.TRANSMISSION_FAILED:
        raise NotTransmittable(
            f"declaration {declaration.id} is {declaration.status}: only a failed transmission "
            "can be retried",
            declaration_id=str(declaration.id),
            status=declaration.status,
        )
    assert declaration.ordered_by_user_id is not None  # a failed transmission was ordered
    check_declarant_ready(session, declaration=declaration, keyring=keyring)
    now = clock.now()
    timeline.advance(
        session, declaration, DeclarationStatus.ORDERED, at=now, again=True, by_operator=True
    )
    _queue(session, declaration=declaration, ordered_by=declaration.ordered_by_user_id, clock=clock)
    session.flush()
    return declaration


def _queue(
    session: Session, *, declaration: Declaration, ordered_by: uuid.UUID, clock: Clock
) -> None:
    try:
        enqueue_transmission(
            session, declaration_id=declaration.id, ordered_by=ordered_by, clock=clock
        )
    except JobInFlight as exc:
        raise AlreadyOrdered(
            f"the transmission of declaration {declaration.id} was already ordered",
            declaration_id=str(declaration.id),
        ) from exc


def check_declarant_ready(session: Session, *, declaration: Declaration, keyring: Keyring) -> None:
    """Refuse the order now, saying what to fix, when the deposit could only fail: no declarant,
    an incomplete identity, or one the deposit point said it does not know or has locked."""
    company = session.get(Company, declaration.company_id)
    assert company is not None  # a declaration always belongs to a company
    declarant = session.get(Declarant, company.declarant_id) if company.declarant_id else None
    if declarant is None or declarant.removed_at is not None:
        raise DeclarantNotReady(
            f"Aucun déclarant net-entreprises n'est rattaché à l'entreprise {company.name} "
            f"(SIREN {company.siren}) : enregistrez-le (POST /v1/declarants) et rattachez-le à "
            f"l'entreprise (PATCH /v1/companies/{company.id} avec declarant_id), puis ordonnez "
            "de nouveau la transmission.",
            company_id=str(company.id),
            reason="no-declarant",
        )
    missing = [
        label
        for label, value in (
            ("le SIRET", declarant.siret if stdnum_siret.is_valid(declarant.siret) else ""),
            ("le nom", keyring.decrypt_text(declarant.nom_encrypted).strip()),
            ("le prénom", keyring.decrypt_text(declarant.prenom_encrypted).strip()),
            ("le mot de passe", keyring.decrypt_text(declarant.password_encrypted).strip()),
        )
        if not value
    ]
    if missing:
        raise DeclarantNotReady(
            f"L'identité net-entreprises du déclarant de {company.name} est incomplète "
            f"({', '.join(missing)}) : complétez-la (PATCH /v1/declarants/{declarant.id}), "
            "puis ordonnez de nouveau la transmission.",
            declarant_id=str(declarant.id),
            reason="incomplete-identity",
            missing=missing,
        )
    if declarant.check_status in BLOCKING_CHECKS:
        checked = in_paris(declarant.checked_at) if declarant.checked_at else "récemment"
        raise DeclarantNotReady(
            f"Le point de dépôt a refusé le déclarant de {company.name} lors de la vérification "
            f"du {checked} ({declarant.check_message or declarant.check_status}) : corrigez son "
            f"identité (PATCH /v1/declarants/{declarant.id}) et vérifiez-la de nouveau "
            f"(POST /v1/declarants/{declarant.id}/check) avant d'ordonner la transmission.",
            declarant_id=str(declarant.id),
            reason=f"declarant-{declarant.check_status}",
        )
