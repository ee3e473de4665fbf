"""Queries of the alerts: settings, the alert log, claiming one to send, the events cursor."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import and_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, or_, select

from dsnlink.alerts.models import Alert, AlertCursor, AlertSettings, Delivery
from dsnlink.declarations.models import Declaration, DeclarationEvent

EVENTS_CURSOR = "events"


def get_settings(session: Session, *, tenant_id: uuid.UUID) -> AlertSettings | None:
    return session.get(AlertSettings, tenant_id)


def tenants_with_recipients(session: Session) -> Sequence[AlertSettings]:
    rows = session.exec(select(AlertSettings).order_by(col(AlertSettings.tenant_id))).all()
    return [r for r in rows if r.recipients]


def add_once(session: Session, alert: Alert) -> bool:
    """Insert the alert unless the tenant already has one with its dedupe key (the constraint
    decides, so two workers never create it twice); True when inserted."""
    exists = session.exec(
        select(Alert.id).where(
            Alert.tenant_id == alert.tenant_id, Alert.dedupe_key == alert.dedupe_key
        )
    ).first()
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return False
    return True


def list_alerts(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    limit: int,
    offset: int,
    company_ids: Collection[uuid.UUID] | None = None,
) -> tuple[Sequence[Alert], int]:
    """The tenant's alerts, newest first; only those about `company_ids` when given."""
    query = select(Alert).where(Alert.tenant_id == tenant_id)
    if company_ids is not None:
        query = query.where(col(Alert.company_id).in_(list(company_ids)))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    page = session.exec(
        query.order_by(col(Alert.created_at).desc(), col(Alert.id)).limit(limit).offset(offset)
    ).all()
    return page, total


def sendable_ids(
    session: Session, *, now: datetime, max_attempts: int, limit: int = 50
) -> list[uuid.UUID]:
    """Alerts waiting to be sent, or whose sender died while sending (claim expired)."""
    return list(
        session.exec(
            select(Alert.id)
            .where(
                Alert.attempts < max_attempts,
                or_(
                    Alert.delivery == Delivery.PENDING,
                    and_(col(Alert.delivery) == Delivery.SENDING, col(Alert.claimed_until) < now),
                ),
            )
            .order_by(col(Alert.created_at))
            .limit(limit)
        ).all()
    )


def claim(session: Session, *, alert_id: uuid.UUID, now: datetime, until: datetime) -> bool:
    """Take an alert for sending with a guarded UPDATE: one sender only."""
    result = session.execute(
        update(Alert)
        .where(
            col(Alert.id) == alert_id,
            or_(
                Alert.delivery == Delivery.PENDING,
                and_(col(Alert.delivery) == Delivery.SENDING, col(Alert.claimed_until) < now),
            ),
        )
        .values(delivery=Delivery.SENDING, claimed_until=until, attempts=Alert.attempts + 1)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def get_alert(session: Session, alert_id: uuid.UUID) -> Alert | None:
    return session.get(Alert, alert_id)


def cursor_for_update(session: Session) -> AlertCursor:
    """The events cursor, locked until the transaction ends (created at 0 the first time: events
    older than a day are skipped by the caller, not mailed about)."""
    found = session.exec(
        select(AlertCursor).where(AlertCursor.name == EVENTS_CURSOR).with_for_update()
    ).first()
    if found is not None:
        return found
    try:
        with session.begin_nested():
            session.add(AlertCursor(name=EVENTS_CURSOR, last_event_id=0))
            session.flush()
    except IntegrityError:
        pass
    return session.exec(
        select(AlertCursor).where(AlertCursor.name == EVENTS_CURSOR).with_for_update()
    ).one()


def last_event_id(session: Session) -> int:
    return int(session.exec(select(func.max(DeclarationEvent.id))).one() or 0)


def events_after(
    session: Session, *, after: int, limit: int = 500
) -> Sequence[tuple[DeclarationEvent, Declaration]]:
    """Timeline events past the cursor, oldest first, with their declaration (every status: a KO
    CRM leaves the declaration's status as it was)."""
    return session.exec(
        select(DeclarationEvent, Declaration)
        .join(Declaration, col(Declaration.id) == col(DeclarationEvent.declaration_id))
        .where(col(DeclarationEvent.id) > after)
        .order_by(col(DeclarationEvent.id))
        .limit(limit)
    ).all()
