"""Queries of webhooks: endpoints, due deliveries, the timeline events not yet fanned out."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from dsnlink.declarations.models import Declaration, DeclarationEvent
from dsnlink.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookCursor,
    WebhookDelivery,
    WebhookEndpoint,
)

CURSOR = "declarations"


def get_endpoint(
    session: Session, *, tenant_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint | None:
    found = session.get(WebhookEndpoint, endpoint_id)
    if found is None or found.tenant_id != tenant_id or found.deleted_at is not None:
        return None
    return found


def all_endpoints(session: Session) -> Sequence[WebhookEndpoint]:
    """Every endpoint of every tenant, removed ones included (key rotation)."""
    return session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))).all()


def list_endpoints(session: Session, *, tenant_id: uuid.UUID) -> Sequence[WebhookEndpoint]:
    return session.exec(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.tenant_id == tenant_id, col(WebhookEndpoint.deleted_at).is_(None))
        .order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))
    ).all()


def active_endpoints(session: Session, *, tenant_id: uuid.UUID) -> Sequence[WebhookEndpoint]:
    return session.exec(
        select(WebhookEndpoint).where(
            WebhookEndpoint.tenant_id == tenant_id,
            col(WebhookEndpoint.deleted_at).is_(None),
            col(WebhookEndpoint.disabled_at).is_(None),
        )
    ).all()


def list_deliveries(
    session: Session, *, endpoint_id: uuid.UUID, limit: int
) -> Sequence[WebhookDelivery]:
    return session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id))
        .limit(limit)
    ).all()


def list_attempts(session: Session, *, delivery_id: uuid.UUID) -> Sequence[WebhookAttempt]:
    return session.exec(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(col(WebhookAttempt.id))
    ).all()


def lock_cursor(session: Session) -> WebhookCursor:
    """The fan-out cursor, locked until the transaction ends (one dispatcher fans out at once)."""
    cursor = session.exec(
        select(WebhookCursor).where(WebhookCursor.name == CURSOR).with_for_update()
    ).first()
    if cursor is None:
        cursor = WebhookCursor(name=CURSOR, last_event_id=0)
        session.add(cursor)
        session.flush()
        cursor = session.exec(
            select(WebhookCursor).where(WebhookCursor.name == CURSOR).with_for_update()
        ).one()
    return cursor


def events_after(
    session: Session, *, last_event_id: int, limit: int
) -> Sequence[tuple[DeclarationEvent, Declaration]]:
    rows = session.exec(
        select(DeclarationEvent, Declaration)
        .join(Declaration, col(Declaration.id) == DeclarationEvent.declaration_id)
        .where(col(DeclarationEvent.id) > last_event_id)
        .order_by(col(DeclarationEvent.id))
        .limit(limit)
    ).all()
    return [(event, declaration) for event, declaration in rows]


def previous_status(session: Session, event: DeclarationEvent) -> str | None:
    return session.exec(
        select(DeclarationEvent.status)
        .where(
            DeclarationEvent.declaration_id == event.declaration_id,
            col(DeclarationEvent.id) < (event.id or 0),
        )
        .order_by(col(DeclarationEvent.id).desc())
        .limit(1)
    ).first()


def claim_due(session: Session, *, now: datetime, limit: int) -> Sequence[WebhookDelivery]:
    """Pending deliveries whose time has come and whose lease (if any) has run out; locked, and
    skipped by a concurrent sender on PostgreSQL."""
    return session.exec(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            col(WebhookDelivery.next_attempt_at) <= now,
            (col(WebhookDelivery.lease_until).is_(None)) | (col(WebhookDelivery.lease_until) < now),
        )
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
