"""The net-entreprises identity a deposit is made under, and its one-deposit-in-flight lease.

Two declarant rows (of one tenant or of two) may name the same person at the deposit point: same
SIRET, nom and prénom. The deposit point sees one identity, so the lease that allows one deposit
in flight is taken per identity, not per row. The identity is keyed by an HMAC (the server's
secret key) of its normalised parts: comparable across rows and tenants, never the names in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from sqlmodel import Session

from dsnlink.deposit_point.records import DeclarantIdentity
from dsnlink.security.keys import Keyring
from dsnlink.tenants.models import Declarant


def normalised(siret: str, nom: str, prenom: str) -> str:
    """SIRET, nom and prénom as the deposit point compares them: case, accents' composition and
    blanks do not make another person."""

    def fold(text: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", text).casefold().split())

    return "\x1f".join((siret.strip(), fold(nom), fold(prenom)))


def identity_of(declarant: Declarant, keyring: Keyring) -> DeclarantIdentity:
    return DeclarantIdentity(
        siret=declarant.siret,
        nom=keyring.decrypt_text(declarant.nom_encrypted),
        prenom=keyring.decrypt_text(declarant.prenom_encrypted),
    )


def identity_key(
    session: Session, declarant: Declarant, *, keyring: Keyring, secret: str
) -> str:
    """The declarant's identity key, computed (and kept on the row) when it is not known yet;
    changing a declarant's identity clears it."""
    if declarant.identity_key:
        return declarant.identity_key
    identity = identity_of(declarant, keyring)
    text = normalised(identity.siret, identity.nom, identity.prenom)
    key = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    declarant.identity_key = key
    session.add(declarant)
    return key
