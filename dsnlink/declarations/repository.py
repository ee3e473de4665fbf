"""Queries on declarations, their events and the companies they are filed for."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select

from dsnlink.declarations.models import Declaration, DeclarationEvent, DeclarationStatus
from dsnlink.tenants.models import Establishment


@dataclass(frozen=True)
class DeclarationFilters:
    company_id: uuid.UUID | None = None
    establishment_id: uuid.UUID | None = None
    month: str | None = None
    nature: str | None = None
    status: DeclarationStatus | None = None
    siret: str | None = None
    type: str | None = None
    received_after: datetime | None = None
    received_before: datetime | None = None
    updated_since: datetime | None = None


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: after the row (`at`, `id`) in the listing's order."""

    at: datetime
    id: uuid.UUID


def get_declaration(
    session: Session, *, tenant_id: uuid.UUID, declaration_id: uuid.UUID
) -> Declaration | None:
    found = session.get(Declaration, declaration_id)
    return found if found is not None and found.tenant_id == tenant_id else None


def stored_bytes(session: Session, *, tenant_id: uuid.UUID) -> int:
    """Bytes of the tenant's stored files (decompressed sizes), whatever their status."""
    total = session.exec(
        select(func.coalesce(func.sum(Declaration.size), 0)).where(
            Declaration.tenant_id == tenant_id
        )
    ).one()
    return int(total)


def get_declaration_by_sha256(
    session: Session, *, tenant_id: uuid.UUID, sha256: str
) -> Declaration | None:
    return session.exec(
        select(Declaration).where(Declaration.tenant_id == tenant_id, Declaration.sha256 == sha256)
    ).first()


def list_declarations(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    filters: DeclarationFilters,
    limit: int,
    offset: int,
    company_ids: Collection[uuid.UUID] | None = None,
    after: Keyset | None = None,
) -> tuple[Sequence[Declaration], int]:
    """A page of the tenant's declarations and how many match; only `company_ids`' when given.

    Newest received first; with `updated_since`, oldest status change first (a feed of
    changes). `after` continues a listing in that order (keyset pagination)."""
    query = select(Declaration).where(Declaration.tenant_id == tenant_id)
    if company_ids is not None:
        query = query.where(col(Declaration.company_id).in_(list(company_ids)))
    if filters.company_id is not None:
        query = query.where(Declaration.company_id == filters.company_id)
    if filters.establishment_id is not None:
        query = query.where(Declaration.establishment_id == filters.establishment_id)
    if filters.month is not None:
        query = query.where(Declaration.month == filters.month)
    if filters.nature is not None:
        query = query.where(Declaration.nature == filters.nature)
    if filters.status is not None:
        query = query.where(Declaration.status == filters.status)
    if filters.type is not None:
        query = query.where(Declaration.type == filters.type)
    if filters.siret is not None:
        query = query.where(
            col(Declaration.establishment_id).in_(
                select(Establishment.id).where(
                    Establishment.tenant_id == tenant_id, Establishment.siret == filters.siret
                )
            )
        )
    if filters.received_after is not None:
        query = query.where(col(Declaration.received_at) >= filters.received_after)
    if filters.received_before is not None:
        query = query.where(col(Declaration.received_at) < filters.received_before)
    if filters.updated_since is not None:
        query = query.where(col(Declaration.status_changed_at) >= filters.updated_since)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    order: tuple[Any, ...]
    if filters.updated_since is not None:
        moment = col(Declaration.status_changed_at)
        order = (moment, col(Declaration.id))
        if after is not None:
            query = query.where(
                (moment > after.at) | ((moment == after.at) & (col(Declaration.id) > after.id))
            )
    else:
        moment = col(Declaration.received_at)
        order = (moment.desc(), col(Declaration.id).desc())
        if after is not None:
            query = query.where(
                (moment < after.at) | ((moment == after.at) & (col(Declaration.id) < after.id))
            )
    page = session.exec(query.order_by(*order).limit(limit).offset(offset)).all()
    return page, total


def list_monthly_for_year(
    session: Session, *, company_id: uuid.UUID, year: int
) -> Sequence[Declaration]:
    """A company's monthly declarations (nature 01) of a year, not rejected, oldest first."""
    return session.exec(
        select(Declaration)
        .where(
            Declaration.company_id == company_id,
            Declaration.nature == "01",
            col(Declaration.month).startswith(f"{year:04d}-"),
            Declaration.status != DeclarationStatus.REJECTED,
        )
        .order_by(col(Declaration.received_at), col(Declaration.id))
    ).all()


def list_for_month(session: Session, *, tenant_id: uuid.UUID, month: str) -> Sequence[Declaration]:
    return session.exec(
        select(Declaration)
        .where(Declaration.tenant_id == tenant_id, Declaration.month == month)
        .order_by(col(Declaration.received_at))
    ).all()


def list_for_months(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    months: Collection[str],
    company_ids: Collection[uuid.UUID] | None = None,
) -> Sequence[Declaration]:
    """The tenant's monthly declarations (nature 01) of these months, oldest received first."""
    query = select(Declaration).where(
        Declaration.tenant_id == tenant_id,
        Declaration.nature == "01",
        col(Declaration.month).in_(list(months)),
    )
    if company_ids is not None:
        query = query.where(col(Declaration.company_id).in_(list(company_ids)))
    return session.exec(query.order_by(col(Declaration.received_at), col(Declaration.id))).all()


def first_events_at(
    session: Session, *, declaration_ids: Collection[uuid.UUID], statuses: Collection[str]
) -> dict[uuid.UUID, datetime]:
    """For each declaration, when it first entered one of `statuses` (absent if never)."""
    if not declaration_ids:
        return {}
    rows = session.exec(
        select(DeclarationEvent.declaration_id, func.min(DeclarationEvent.at))
        .where(
            col(DeclarationEvent.declaration_id).in_(list(declaration_ids)),
            col(DeclarationEvent.status).in_(list(statuses)),
        )
        .group_by(col(DeclarationEvent.declaration_id))
    ).all()
    return {declaration_id: at for declaration_id, at in rows if at is not None}


def list_events(session: Session, *, declaration_id: uuid.UUID) -> Sequence[DeclarationEvent]:
    return session.exec(
        select(DeclarationEvent)
        .where(DeclarationEvent.declaration_id == declaration_id)
        .order_by(col(DeclarationEvent.id))
    ).all()


def all_declarations(session: Session) -> Sequence[Declaration]:
    return session.exec(select(Declaration).order_by(col(Declaration.id))).all()


def declarations_with_sealed_anomalies(session: Session) -> Sequence[Declaration]:
    return session.exec(
        select(Declaration)
        .where(col(Declaration.anomalies_sealed).is_not(None))
        .order_by(col(Declaration.id))
    ).all()


def events_with_sealed_detail(session: Session) -> Sequence[DeclarationEvent]:
    return session.exec(
        select(DeclarationEvent)
        .where(col(DeclarationEvent.detail_sealed).is_not(None))
        .order_by(col(DeclarationEvent.id))
    ).all()


def count_in_flight(session: Session, *, company_ids: Sequence[uuid.UUID]) -> int:
    """Declarations of these companies whose transmission is ordered and not resolved yet."""
    if not company_ids:
        return 0
    in_flight = [
        DeclarationStatus.ORDERED,
        DeclarationStatus.TRANSMITTING,
        DeclarationStatus.WAITING_FOR_DEPOSIT_POINT,
        DeclarationStatus.RECONCILING,
    ]
    return len(
        session.exec(
            select(Declaration.id).where(
                col(Declaration.company_id).in_(list(company_ids)),
                col(Declaration.status).in_(in_flight),
            )
        ).all()
    )


def get_by_content_sha256(
    session: Session, *, tenant_id: uuid.UUID, content_sha256: str
) -> Declaration | None:
    return session.exec(
        select(Declaration).where(
            Declaration.tenant_id == tenant_id, Declaration.content_sha256 == content_sha256
        )
    ).first()


def get_by_business_key(
    session: Session, *, tenant_id: uuid.UUID, key: str, lock: bool = False
) -> Declaration | None:
    query = select(Declaration).where(
        Declaration.tenant_id == tenant_id, Declaration.business_key == key
    )
    return session.exec(query.with_for_update() if lock else query).first()


def get_by_order_number(
    session: Session, *, tenant_id: uuid.UUID, establishment_id: uuid.UUID, order_number: str
) -> Declaration | None:
    """The tenant's latest declaration of an establishment with this S20.G00.05.004."""
    return session.exec(
        select(Declaration)
        .where(
            Declaration.tenant_id == tenant_id,
            Declaration.establishment_id == establishment_id,
            Declaration.order_number == order_number,
        )
        .order_by(col(Declaration.received_at).desc())
    ).first()


def get_live_for_month(
    session: Session, *, establishment_id: uuid.UUID, month: str, nature: str
) -> Declaration | None:
    """The latest declaration of an establishment for a month and nature, not norm-rejected."""
    return session.exec(
        select(Declaration)
        .where(
            Declaration.establishment_id == establishment_id,
            Declaration.month == month,
            Declaration.nature == nature,
            Declaration.status != DeclarationStatus.REJECTED,
        )
        .order_by(col(Declaration.received_at).desc())
    ).first()
