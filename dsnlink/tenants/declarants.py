"""Declarants: the net-entreprises identities a tenant files under (names and password sealed)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.errors import InputError, NotFoundError
from dsnlink.security.keys import Keyring
from dsnlink.tenants import repository
from dsnlink.tenants.companies import check_siret
from dsnlink.tenants.models import (
    Declarant,
)
from dsnlink.tenants.schemas import (
    DeclarantCreate,
    DeclarantRead,
    DeclarantUpdate,
    Principal,
)
from dsnlink.tenants.service import require_admin


def create_declarant(
    session: Session,
    *,
    principal: Principal,
    data: DeclarantCreate,
    keyring: Keyring,
    clock: Clock,
) -> DeclarantRead:
    """A net-entreprises identity; its names and password are kept encrypted with the master
    keys."""
    require_admin(principal)
    check_siret(data.siret)
    declarant = Declarant(
        tenant_id=principal.tenant_id,
        siret=data.siret,
        nom_encrypted=keyring.encrypt_text(data.nom),
        prenom_encrypted=keyring.encrypt_text(data.prenom),
        password_encrypted=keyring.encrypt_text(data.password.get_secret_value()),
        created_at=clock.now(),
    )
    session.add(declarant)
    session.flush()
    return describe_declarant(declarant, keyring=keyring)


def get_declarant_or_raise(
    session: Session, *, principal: Principal, declarant_id: uuid.UUID
) -> Declarant:
    """The tenant's declarant (administrators); another tenant's or a removed one is absent."""
    require_admin(principal)
    declarant = repository.get_declarant(
        session, tenant_id=principal.tenant_id, declarant_id=declarant_id
    )
    if declarant is None:
        raise NotFoundError(f"no declarant {declarant_id}", declarant_id=str(declarant_id))
    return declarant


def update_declarant(
    session: Session,
    *,
    principal: Principal,
    declarant_id: uuid.UUID,
    data: DeclarantUpdate,
    keyring: Keyring,
) -> DeclarantRead:
    """Correct a declarant's identity or password (re-encrypted); its identity key and its last
    check are cleared: the next deposit and check use what was given now."""
    declarant = get_declarant_or_raise(session, principal=principal, declarant_id=declarant_id)
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InputError("give at least one of siret, nom, prenom, password")
    if data.siret is not None:
        declarant.siret = check_siret(data.siret)
    if data.nom is not None:
        declarant.nom_encrypted = keyring.encrypt_text(data.nom)
    if data.prenom is not None:
        declarant.prenom_encrypted = keyring.encrypt_text(data.prenom)
    if data.password is not None:
        declarant.password_encrypted = keyring.encrypt_text(data.password.get_secret_value())
    declarant.identity_key = None
    declarant.checked_at = declarant.check_status = declarant.check_message = None
    session.add(declarant)
    session.flush()
    return describe_declarant(declarant, keyring=keyring)


def list_declarants(
    session: Session, *, principal: Principal, keyring: Keyring
) -> list[DeclarantRead]:
    require_admin(principal)
    return [
        describe_declarant(d, keyring=keyring)
        for d in repository.list_declarants(session, tenant_id=principal.tenant_id)
    ]


def declarant_names(declarant: Declarant, *, keyring: Keyring) -> tuple[str, str]:
    """The declarant's nom and prénom in clear."""
    return (
        keyring.decrypt_text(declarant.nom_encrypted),
        keyring.decrypt_text(declarant.prenom_encrypted),
    )


def describe_declarant(declarant: Declarant, *, keyring: Keyring) -> DeclarantRead:
    nom, prenom = declarant_names(declarant, keyring=keyring)
    return DeclarantRead(
        id=declarant.id,
        siret=declarant.siret,
        nom=nom,
        prenom=prenom,
        created_at=declarant.created_at,
        checked_at=declarant.checked_at,
        check_status=declarant.check_status,
        check_message=declarant.check_message,
    )


def declarant_password(declarant: Declarant, *, keyring: Keyring) -> str:
    """The declarant's net-entreprises password in clear, for the transmission client only."""
    return keyring.decrypt_text(declarant.password_encrypted)


def reencrypt_declarant_passwords(session: Session, *, keyring: Keyring) -> int:
    """Re-encrypt every declarant's password and names with the newest master key; returns how
    many declarants."""

    def rotated(token: str) -> str:
        return keyring.rotate(token.encode("ascii")).decode("ascii")

    count = 0
    for declarant in repository.all_declarants(session):
        declarant.password_encrypted = rotated(declarant.password_encrypted)
        declarant.nom_encrypted = rotated(declarant.nom_encrypted)
        declarant.prenom_encrypted = rotated(declarant.prenom_encrypted)
        session.add(declarant)
        count += 1
    session.flush()
    return count
