"""The webhook dispatcher, run by the worker loop: fan out new timeline events into deliveries,
then send the due deliveries, one attempt row each, with back-off and automatic disabling.

Fan-out reads `declaration_event` (every status change and every stored return writes one,
through timeline.advance) past a cursor locked for the transaction. A transaction that commits
late may leave a smaller id behind the cursor, so each pass also looks `LOOKBACK` ids back; the
unique (endpoint, event, type) constraint and an existence check keep deliveries single.
Sending happens outside any transaction: a delivery is leased, posted, then its outcome stored.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlmodel import Session, col, select

from dsnlink import db
from dsnlink.clock import Clock
from dsnlink.declarations.models import Declaration, DeclarationEvent
from dsnlink.security.keys import Keyring
from dsnlink.tenants.models import Establishment
from dsnlink.webhooks import repository
from dsnlink.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from dsnlink.webhooks.schemas import EventType
from dsnlink.webhooks.service import event_body
from dsnlink.webhooks.signing import SIGNATURE_HEADER, signature_header

logger = logging.getLogger("dsnlink.webhooks")

LOOKBACK = 200
NAMESPACE = uuid.UUID("6f1d4a8e-6c55-4f57-9d38-0f5f2d6c7a10")


@dataclass(frozen=True)
class WebhookPolicy:
    """How deliveries are retried and when an endpoint is given up on."""

    backoff: tuple[timedelta, ...] = (
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=10),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=3),
        timedelta(hours=6),
        timedelta(hours=12),
    )
    disable_after: int = 15  # consecutive failed attempts, across deliveries
    timeout_seconds: float = 5.0
    lease: timedelta = timedelta(minutes=2)
    batch: int = 20
    # The worker loop also transmits declarations: one pass never sends for longer than this.
    budget_seconds: float = 10.0

    @property
    def max_attempts(self) -> int:
        return len(self.backoff) + 1


@dataclass(frozen=True)
class _Send:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secret: str
    body: bytes
    event_type: str
    event_id: str


def _event_types(session: Session, event: DeclarationEvent) -> list[EventType]:
    types = []
    if event.detail.get("return_id") is not None:
        types.append(EventType.RETURN_RECEIVED)
    if repository.previous_status(session, event) != event.status:
        types.append(EventType.STATUS_CHANGED)
    return types


def _data(
    event: DeclarationEvent,
    declaration: Declaration,
    event_type: EventType,
    siret: str | None,
    previous: str | None,
) -> dict[str, object]:
    data: dict[str, object] = {
        "declaration_id": str(declaration.id),
        "status": event.status,
        "at": event.at.isoformat(),
        "nature": declaration.nature,
        "type": declaration.type,
        "month": declaration.month,
        "siret": siret,
    }
    if event_type is EventType.STATUS_CHANGED:
        data["previous_status"] = previous
    else:
        data["return_id"] = event.detail.get("return_id")
        data["return_nature"] = event.detail.get("nature")
        data["return_label"] = event.detail.get("label")
    return data


def fan_out(session: Session, *, clock: Clock, limit: int = 500) -> int:
    """Create the deliveries of timeline events not yet fanned out; returns how many."""
    cursor = repository.lock_cursor(session)
    rows = repository.events_after(
        session, last_event_id=max(0, cursor.last_event_id - LOOKBACK), limit=limit + LOOKBACK
    )
    if not rows:
        return 0
    existing = set(
        session.exec(
            select(
                WebhookDelivery.endpoint_id,
                WebhookDelivery.source_event_id,
                WebhookDelivery.event_type,
            ).where(col(WebhookDelivery.source_event_id).in_([e.id for e, _ in rows]))
        ).all()
    )
    endpoints: dict[uuid.UUID, Sequence[WebhookEndpoint]] = {}
    sirets: dict[uuid.UUID, str | None] = {}
    now = clock.now()
    created = 0
    for event, declaration in rows:
        assert event.id is not None
        tenant_endpoints = endpoints.get(declaration.tenant_id)
        if tenant_endpoints is None:
            tenant_endpoints = repository.active_endpoints(session, tenant_id=declaration.tenant_id)
            endpoints[declaration.tenant_id] = tenant_endpoints
        listening = [e for e in tenant_endpoints if e.created_at <= event.at]
        if not listening:
            continue
        if declaration.establishment_id not in sirets:
            establishment = session.get(Establishment, declaration.establishment_id)
            sirets[declaration.establishment_id] = establishment.siret if establishment else None
        previous = repository.previous_status(session, event)
        for event_type in _event_types(session, event):
            event_id = "evt_" + uuid.uuid5(NAMESPACE, f"{event.id}:{event_type}").hex
            body = event_body(
                event_id=event_id,
                event_type=event_type,
                created_at=event.at,
                data=_data(
                    event, declaration, event_type, sirets[declaration.establishment_id], previous
                ),
            )
            for endpoint in listening:
                if event_type not in endpoint.events:
                    continue
                if (endpoint.id, event.id, str(event_type)) in existing:
                    continue
                session.add(
                    WebhookDelivery(
                        endpoint_id=endpoint.id,
                        tenant_id=endpoint.tenant_id,
                        event_type=event_type,
                        source_event_id=event.id,
                        payload=body,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
                created += 1
    cursor.last_event_id = max(cursor.last_event_id, max(e.id or 0 for e, _ in rows))
    session.add(cursor)
    session.flush()
    return created


def _lease_due(
    sessions: db.SessionFactory, *, clock: Clock, keyring: Keyring, policy: WebhookPolicy
) -> list[_Send]:
    now = clock.now()
    sends: list[_Send] = []
    with db.unit_of_work(sessions) as session:
        for delivery in repository.claim_due(session, now=now, limit=policy.batch):
            endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
            if endpoint is None or endpoint.deleted_at or endpoint.disabled_at:
                delivery.status = DeliveryStatus.FAILED
                delivery.finished_at = now
                session.add(delivery)
                continue
            delivery.lease_until = now + policy.lease
            session.add(delivery)
            sends.append(
                _Send(
                    delivery_id=delivery.id,
                    endpoint_id=endpoint.id,
                    url=endpoint.url,
                    secret=keyring.open_json(endpoint.secret_sealed),
                    body=json.dumps(delivery.payload, separators=(",", ":")).encode(),
                    event_type=delivery.event_type,
                    event_id=str(delivery.payload.get("id", "")),
                )
            )
    return sends


def _post(http: httpx.Client, send: _Send, *, clock: Clock) -> tuple[int | None, str | None]:
    timestamp = int(clock.now().timestamp())
    try:
        response = http.post(
            send.url,
            content=send.body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "dsnlink-webhooks/1",
                SIGNATURE_HEADER: signature_header(
                    send.secret, timestamp=timestamp, body=send.body
                ),
                "DSNLink-Event-Id": send.event_id,
                "DSNLink-Event-Type": send.event_type,
                "DSNLink-Delivery-Id": str(send.delivery_id),
            },
        )
    except httpx.HTTPError as exc:
        # The exception's class names the failure; its text may quote the URL (and a token in it).
        return None, type(exc).__name__
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


def _finish(
    sessions: db.SessionFactory,
    send: _Send,
    *,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    clock: Clock,
    policy: WebhookPolicy,
) -> None:
    now = clock.now()
    with db.unit_of_work(sessions) as session:
        delivery = session.get(WebhookDelivery, send.delivery_id)
        endpoint = session.get(WebhookEndpoint, send.endpoint_id)
        assert delivery is not None and endpoint is not None
        session.add(
            WebhookAttempt(
                delivery_id=delivery.id,
                at=now,
                status_code=status_code,
                error=error,
                duration_ms=duration_ms,
            )
        )
        delivery.attempts += 1
        delivery.lease_until = None
        if error is None:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.finished_at = now
            endpoint.consecutive_failures = 0
        else:
            endpoint.consecutive_failures += 1
            if delivery.attempts >= policy.max_attempts:
                delivery.status = DeliveryStatus.FAILED
                delivery.finished_at = now
            else:
                delivery.next_attempt_at = now + policy.backoff[delivery.attempts - 1]
            if endpoint.consecutive_failures >= policy.disable_after and not endpoint.disabled_at:
                endpoint.disabled_at = now
                endpoint.disabled_reason = (
                    f"désactivé après {endpoint.consecutive_failures} échecs consécutifs "
                    f"(dernier : {error})"
                )
                logger.warning("webhook %s disabled after repeated failures", endpoint.id)
        session.add(delivery)
        session.add(endpoint)


def send_due(
    sessions: db.SessionFactory,
    *,
    clock: Clock,
    keyring: Keyring,
    policy: WebhookPolicy | None = None,
    http: httpx.Client | None = None,
) -> int:
    """Post the due deliveries; returns how many attempts were made."""
    policy = policy or WebhookPolicy()
    sends = _lease_due(sessions, clock=clock, keyring=keyring, policy=policy)
    if not sends:
        return 0
    client = http or httpx.Client(timeout=policy.timeout_seconds, follow_redirects=False)
    began = time.monotonic()
    sent = 0
    try:
        for send in sends:
            if sent and time.monotonic() - began > policy.budget_seconds:
                _release(sessions, sends[sent:])
                break
            sent += 1
            started = time.monotonic()
            status_code, error = _post(client, send, clock=clock)
            _finish(
                sessions,
                send,
                status_code=status_code,
                error=error,
                duration_ms=int((time.monotonic() - started) * 1000),
                clock=clock,
                policy=policy,
            )
    finally:
        if http is None:
            client.close()
    return sent


def _release(sessions: db.SessionFactory, sends: Sequence[_Send]) -> None:
    """Give back the leases of deliveries this pass had no time for (the next pass sends them)."""
    with db.unit_of_work(sessions) as session:
        for send in sends:
            delivery = session.get(WebhookDelivery, send.delivery_id)
            if delivery is not None:
                delivery.lease_until = None
                session.add(delivery)


def run_once(
    sessions: db.SessionFactory,
    *,
    clock: Clock,
    keyring: Keyring,
    policy: WebhookPolicy | None = None,
    http: httpx.Client | None = None,
) -> int:
    """One pass: fan out, then send what is due. Returns the attempts made."""
    with db.unit_of_work(sessions) as session:
        fan_out(session, clock=clock)
    return send_due(sessions, clock=clock, keyring=keyring, policy=policy, http=http)


def dispatch(sessions: db.SessionFactory, *, clock: Clock, keyring: Keyring) -> int:
    """`run_once` for the worker loop: a failure is logged and never stops the loop."""
    try:
        return run_once(sessions, clock=clock, keyring=keyring)
    except Exception:
        logger.exception("webhook dispatch failed; continuing")
        return 0
