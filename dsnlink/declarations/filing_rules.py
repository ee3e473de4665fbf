"""Rules against double filing: one live normal monthly declaration per establishment, month and
nature; an annule-et-remplace or a cancellation refers to one of the tenant's declarations and,
for a monthly DSN, comes before its legal limit (even with `accept_late`).

The business key is a column under a unique constraint: two concurrent uploads of the same
month cannot both take it. A holder the deposit point refused (or the norm rejected) releases it
when the next declaration asks for it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from dsnlink.declarations import repository
from dsnlink.declarations.errors import AlreadyFiled, ReplacementTooLate, UnknownReplacedDeclaration
from dsnlink.declarations.models import Declaration, DeclarationStatus

PARIS = ZoneInfo("Europe/Paris")
NORMAL_TYPES = frozenset({"01", "02"})
REPLACING_TYPES = frozenset({"03", "05"})
REFERRING_TYPES = frozenset({"03", "04"})  # the norm takes S20.G00.05.006 with these only
CORRECTING_TYPES = REPLACING_TYPES | {"04"}
# Declarations that no longer hold their month: the norm or the deposit point refused them.
DEAD_STATUSES = frozenset(
    {
        DeclarationStatus.REJECTED,
        DeclarationStatus.REFUSED_BY_DEPOSIT_POINT,
        DeclarationStatus.REJECTED_BY_DEPOSIT_POINT,
    }
)


def business_key(*, establishment_id: uuid.UUID, month: str, nature: str, type_: str) -> str | None:
    """The key a normal monthly declaration holds while it lives; None for anything else
    (signalements are events: several a month are normal)."""
    if nature != "01" or type_ not in NORMAL_TYPES:
        return None
    return f"{establishment_id}|{month}|{nature}"


def take_business_key(
    session: Session, *, tenant_id: uuid.UUID, key: str | None, siret: str
) -> str | None:
    """Check that no live declaration holds `key` (releasing a dead holder's); the caller stores
    it on the new declaration, and the unique constraint settles a race."""
    if key is None:
        return None
    holder = repository.get_by_business_key(session, tenant_id=tenant_id, key=key, lock=True)
    if holder is None:
        return key
    if DeclarationStatus(holder.status) in DEAD_STATUSES:
        holder.business_key = None
        session.add(holder)
        session.flush()
        return key
    raise already_filed(holder, siret=siret)


def already_filed(holder: Declaration | None, *, siret: str) -> AlreadyFiled:
    if holder is None:
        return AlreadyFiled(
            f"a normal declaration for SIRET {siret} and this month was filed at the same moment",
            siret=siret,
        )
    return AlreadyFiled(
        f"declaration {holder.id} ({holder.status}) already files month {holder.month}, nature "
        f"{holder.nature} for SIRET {siret}: send an annule-et-remplace (type 03 or 05) to "
        "replace it",
        declaration_id=str(holder.id),
        siret=siret,
        month=holder.month,
        nature=holder.nature,
        current_status=holder.status,
    )


def check_replacement(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    establishment_id: uuid.UUID,
    siret: str,
    nature: str,
    type_: str,
    month: str,
    replaced_id: str | None,
    deadline: datetime | None,
    now: datetime,
) -> uuid.UUID | None:
    """For a correction (types 03, 04, 05): the declaration it replaces, which must be the
    tenant's; a monthly annule-et-remplace after its limit is refused. Returns the replaced id."""
    if type_ not in CORRECTING_TYPES:
        return None
    if nature == "01" and type_ in REPLACING_TYPES and deadline is not None and now >= deadline:
        raise ReplacementTooLate(
            f"the annule-et-remplace of month {month} had to arrive before "
            f"{deadline.astimezone(PARIS).isoformat()} (midnight, Paris, on the eve of the "
            "deadline), even with accept_late: put the correction into a later month's "
            "declaration",
            month=month,
            limit=deadline,
            type=type_,
        )
    if type_ in REFERRING_TYPES:
        replaced = (
            repository.get_by_order_number(
                session,
                tenant_id=tenant_id,
                establishment_id=establishment_id,
                order_number=replaced_id,
            )
            if replaced_id
            else None
        )
    else:
        replaced = repository.get_live_for_month(
            session, establishment_id=establishment_id, month=month, nature=nature
        )
    if replaced is None or DeclarationStatus(replaced.status) is DeclarationStatus.REJECTED:
        raise UnknownReplacedDeclaration(
            (
                f"S20.G00.05.006 {replaced_id!r} names no declaration this tenant filed for "
                f"SIRET {siret}: an annule-et-remplace or a cancellation must refer to the "
                "declaration it replaces (its S20.G00.05.004)"
            )
            if type_ in REFERRING_TYPES
            else (
                f"no declaration of month {month} was filed for SIRET {siret}: an "
                "annule-et-remplace replaces a declaration this tenant filed"
            ),
            replaced_id=replaced_id,
            siret=siret,
            month=month,
            type=type_,
        )
    return replaced.id
