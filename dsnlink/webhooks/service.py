"""Webhook endpoints of a tenant: register, list, remove, re-enable, send a test event, and read
what was delivered. Only the tenant's administrators manage them (they see every company)."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.security.keys import Keyring
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.schemas import Principal
from dsnlink.webhooks import repository
from dsnlink.webhooks.errors import InvalidWebhook, WebhookNotFound
from dsnlink.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from dsnlink.webhooks.schemas import (
    AttemptRead,
    DeliveryList,
    DeliveryRead,
    EventType,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
)
from dsnlink.webhooks.signing import new_secret

MAX_ENDPOINTS = 10


def check_url(url: str, *, allow_insecure: bool) -> str:
    """An absolute http(s) URL; outside development only https to a public host."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidWebhook(
            f"the webhook URL {url!r} is not an absolute http(s) URL", url=url, reason="scheme"
        )
    if parts.username or parts.password:
        raise InvalidWebhook(
            "the webhook URL must not carry credentials", url=url, reason="credentials"
        )
    if allow_insecure:
        return url
    if parts.scheme != "https":
        raise InvalidWebhook("the webhook URL must use https", url=url, reason="https-required")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        if parts.hostname == "localhost" or parts.hostname.endswith(".localhost"):
            raise InvalidWebhook(
                "the webhook URL must name a public host", url=url, reason="private-host"
            ) from None
        return url
    if not address.is_global:
        raise InvalidWebhook(
            "the webhook URL must name a public host", url=url, reason="private-host"
        )
    return url


def describe(endpoint: WebhookEndpoint) -> WebhookRead:
    return WebhookRead(
        id=endpoint.id,
        url=endpoint.url,
        events=list(endpoint.events),
        description=endpoint.description,
        created_at=endpoint.created_at,
        enabled=endpoint.disabled_at is None,
        disabled_at=endpoint.disabled_at,
        disabled_reason=endpoint.disabled_reason,
        consecutive_failures=endpoint.consecutive_failures,
    )


def create_endpoint(
    session: Session,
    *,
    principal: Principal,
    data: WebhookCreate,
    keyring: Keyring,
    clock: Clock,
    allow_insecure: bool,
) -> WebhookCreated:
    tenants_service.require_admin(principal)
    url = check_url(data.url, allow_insecure=allow_insecure)
    if len(repository.list_endpoints(session, tenant_id=principal.tenant_id)) >= MAX_ENDPOINTS:
        raise InvalidWebhook(
            f"a tenant has at most {MAX_ENDPOINTS} webhooks: remove one first",
            reason="too-many",
            limit=MAX_ENDPOINTS,
        )
    secret = new_secret()
    endpoint = WebhookEndpoint(
        tenant_id=principal.tenant_id,
        url=url,
        events=sorted({str(e) for e in data.events}),
        description=data.description,
        secret_sealed=keyring.seal_json(secret),
        created_at=clock.now(),
        created_by_user_id=principal.user_id,
    )
    session.add(endpoint)
    session.flush()
    return WebhookCreated(**describe(endpoint).model_dump(), secret=secret)


def get_endpoint_or_raise(
    session: Session, *, principal: Principal, endpoint_id: uuid.UUID
) -> WebhookEndpoint:
    tenants_service.require_admin(principal)
    endpoint = repository.get_endpoint(
        session, tenant_id=principal.tenant_id, endpoint_id=endpoint_id
    )
    if endpoint is None:
        raise WebhookNotFound(f"no webhook {endpoint_id}", webhook_id=str(endpoint_id))
    return endpoint


def list_endpoints(session: Session, *, principal: Principal) -> WebhookList:
    tenants_service.require_admin(principal)
    endpoints = repository.list_endpoints(session, tenant_id=principal.tenant_id)
    return WebhookList(items=[describe(e) for e in endpoints])


def delete_endpoint(
    session: Session, *, principal: Principal, endpoint_id: uuid.UUID, clock: Clock
) -> None:
    """Stop every delivery to it; the attempts stay, as traces."""
    endpoint = get_endpoint_or_raise(session, principal=principal, endpoint_id=endpoint_id)
    now = clock.now()
    endpoint.deleted_at = now
    session.add(endpoint)
    for delivery in repository.list_deliveries(session, endpoint_id=endpoint.id, limit=10_000):
        if delivery.status == DeliveryStatus.PENDING:
            delivery.status = DeliveryStatus.FAILED
            delivery.finished_at = now
            session.add(delivery)
    session.flush()


def enable_endpoint(
    session: Session, *, principal: Principal, endpoint_id: uuid.UUID
) -> WebhookRead:
    """Enable again an endpoint disabled after repeated failures (its counter starts over)."""
    endpoint = get_endpoint_or_raise(session, principal=principal, endpoint_id=endpoint_id)
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    endpoint.consecutive_failures = 0
    session.add(endpoint)
    session.flush()
    return describe(endpoint)


def event_body(
    *, event_id: str, event_type: str, created_at: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": event_type,
        "created_at": created_at.isoformat(),
        "data": data,
    }


def send_test_event(
    session: Session, *, principal: Principal, endpoint_id: uuid.UUID, clock: Clock
) -> DeliveryRead:
    """Queue a `webhook.test` event for the endpoint, due now (the worker sends it)."""
    endpoint = get_endpoint_or_raise(session, principal=principal, endpoint_id=endpoint_id)
    now = clock.now()
    delivery_id = uuid.uuid4()
    delivery = WebhookDelivery(
        id=delivery_id,
        endpoint_id=endpoint.id,
        tenant_id=endpoint.tenant_id,
        event_type=EventType.TEST,
        payload=event_body(
            event_id=f"evt_test_{delivery_id.hex}",
            event_type=EventType.TEST,
            created_at=now,
            data={"webhook_id": str(endpoint.id), "message": "Événement de test DSN Link"},
        ),
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return describe_delivery(session, delivery)


def describe_delivery(session: Session, delivery: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=(
            delivery.next_attempt_at if delivery.status == DeliveryStatus.PENDING else None
        ),
        created_at=delivery.created_at,
        finished_at=delivery.finished_at,
        payload=delivery.payload,
        attempt_log=[
            AttemptRead(
                at=a.at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms
            )
            for a in repository.list_attempts(session, delivery_id=delivery.id)
        ],
    )


def list_deliveries(
    session: Session, *, principal: Principal, endpoint_id: uuid.UUID, limit: int
) -> DeliveryList:
    endpoint = get_endpoint_or_raise(session, principal=principal, endpoint_id=endpoint_id)
    return DeliveryList(
        items=[
            describe_delivery(session, d)
            for d in repository.list_deliveries(session, endpoint_id=endpoint.id, limit=limit)
        ]
    )


def reseal_secrets(session: Session, *, keyring: Keyring) -> int:
    """Re-encrypt every endpoint's signing secret with the newest master key; returns how many."""
    count = keyring.reseal(repository.all_endpoints(session), "secret_sealed")
    session.flush()
    return count
