"""Queries of support requests."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from dsnlink.support.models import (
    SupportRequest,
    SupportRequestEvent,
)

# --- support requests ----------------------------------------------------------------------------


def get_support_request(
    session: Session, *, request_id: uuid.UUID, tenant_id: uuid.UUID | None = None
) -> SupportRequest | None:
    """One request; with `tenant_id`, only if it belongs to that tenant."""
    request = session.get(SupportRequest, request_id)
    if request is None or (tenant_id is not None and request.tenant_id != tenant_id):
        return None
    return request


def list_support_requests(
    session: Session, *, tenant_id: uuid.UUID | None = None, status: str | None = None
) -> Sequence[SupportRequest]:
    query = select(SupportRequest)
    if tenant_id is not None:
        query = query.where(SupportRequest.tenant_id == tenant_id)
    if status is not None:
        query = query.where(SupportRequest.status == status)
    return session.exec(query.order_by(col(SupportRequest.opened_at))).all()


def list_support_requests_opened_since(
    session: Session, *, since: datetime, tenant_id: uuid.UUID | None = None
) -> Sequence[SupportRequest]:
    query = select(SupportRequest).where(SupportRequest.opened_at >= since)
    if tenant_id is not None:
        query = query.where(SupportRequest.tenant_id == tenant_id)
    return session.exec(query).all()


def list_support_events(
    session: Session, *, request_id: uuid.UUID
) -> Sequence[SupportRequestEvent]:
    query = (
        select(SupportRequestEvent)
        .where(SupportRequestEvent.request_id == request_id)
        .order_by(col(SupportRequestEvent.id))
    )
    return session.exec(query).all()
