"""Declarants as the deposit point sees them: checking their credentials, removing them.

These use cases sit here, above tenants and declarations, because they reach the deposit point
(a check is a real call, declarant-scoped) or depend on transmissions in flight (a declarant
whose deposits are under way cannot be removed).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.declarations import repository as declarations_repository
from dsnlink.deposit_point.client import DepositPointClient
from dsnlink.deposit_point.errors import (
    AccessDenied,
    AccountLocked,
    AuthenticationFailed,
    DeclarantNotRegistered,
)
from dsnlink.errors import ConflictError, TransientTransmissionError, TransmissionError
from dsnlink.security.keys import Keyring
from dsnlink.tenants import repository as tenants_repository
from dsnlink.tenants.declarants import describe_declarant, get_declarant_or_raise
from dsnlink.tenants.schemas import DeclarantRead, Principal
from dsnlink.transmission.identity import identity_of

# A declarant-scoped listing this short costs the deposit point nothing and needs a known identity.
CHECK_WINDOW = timedelta(minutes=10)


class DeclarantInUse(ConflictError):
    """A declarant whose companies have transmissions under way cannot be removed yet."""

    code = "declarant-in-use"


def check_declarant(
    session: Session,
    *,
    principal: Principal,
    declarant_id: uuid.UUID,
    client: DepositPointClient,
    keyring: Keyring,
    clock: Clock,
) -> DeclarantRead:
    """Ask the deposit point whether it knows this declarant (a declarant-scoped `lister-depots`
    through our concentrator); the verdict is kept and shown, and an `unknown` or `rejected` one
    blocks ordering until the identity is corrected and checked again."""
    declarant = get_declarant_or_raise(session, principal=principal, declarant_id=declarant_id)
    now = clock.now()
    try:
        client.list_deposits(identity_of(declarant, keyring), now - CHECK_WINDOW, now)
        status, message = "ok", "le point de dépôt reconnaît ce déclarant"
    except DeclarantNotRegistered as exc:
        status = "unknown"
        message = (
            "le point de dépôt ne connaît pas ce déclarant (SIRET, nom, prénom) ou il n'est pas "
            f"inscrit au service DSN ({exc.realm or 'refusé'})"
        )
    except AccountLocked:
        status = "unreachable"
        message = "le compte concentrateur de la passerelle est bloqué : contactez l'opérateur"
    except (AuthenticationFailed, AccessDenied) as exc:
        status, message = "rejected", f"le point de dépôt refuse ce déclarant : {exc.message}"
    except TransientTransmissionError as exc:
        status = "unreachable"
        message = f"le point de dépôt n'a pas répondu, rien n'est conclu : {exc.message}"
    except TransmissionError as exc:
        status, message = "rejected", f"le point de dépôt a refusé la vérification : {exc.message}"
    declarant.checked_at, declarant.check_status, declarant.check_message = now, status, message
    session.add(declarant)
    session.flush()
    return describe_declarant(declarant, keyring=keyring)


def remove_declarant(
    session: Session, *, principal: Principal, declarant_id: uuid.UUID, clock: Clock
) -> None:
    """Remove a declarant: its companies no longer have one (a transmission cannot be ordered
    for them until another is set); refused while their transmissions are under way. The row is
    kept, marked removed, for the attempts and flows that name it."""
    declarant = get_declarant_or_raise(session, principal=principal, declarant_id=declarant_id)
    companies = tenants_repository.companies_of_declarant(session, declarant_id=declarant.id)
    busy = declarations_repository.count_in_flight(
        session, company_ids=[c.id for c in companies]
    )
    if busy:
        raise DeclarantInUse(
            f"{busy} transmission(s) are under way for the companies of declarant "
            f"{declarant.id}: wait until they are resolved before removing it",
            declarant_id=str(declarant.id),
            in_flight=busy,
        )
    for company in companies:
        company.declarant_id = None
        session.add(company)
    declarant.removed_at = clock.now()
    declarant.identity_key = None
    session.add(declarant)
    session.flush()
