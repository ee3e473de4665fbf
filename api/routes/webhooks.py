"""Webhooks: register endpoints, list and remove them, re-enable one, send a test event, read
the deliveries and their attempts. Signature: see the `DSNLink-Signature` section of the docs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.errors import responses
from dsnlink.webhooks import service
from dsnlink.webhooks.schemas import (
    DeliveryList,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
)

router = APIRouter(tags=["webhooks"])

SIGNATURE_DOC = """
Each delivery is a `POST` of a JSON event `{"id", "type", "created_at", "data"}` with the
headers `DSNLink-Event-Id`, `DSNLink-Event-Type`, `DSNLink-Delivery-Id` and
`DSNLink-Signature: t=<unix seconds>,v1=<hex>` where `v1` is HMAC-SHA256, keyed with the
endpoint's secret, over `<t>.<raw body>`. Verify it before trusting the body:

```python
import hashlib, hmac, time

def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body,
                        hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(parts["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected, parts["v1"])
```

(`dsnlink.client.verify_webhook` does exactly this.) Answer 2xx quickly; anything else, or no
answer within 5 s, is retried with back-off (30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h);
after 15 consecutive failed attempts the endpoint is disabled (`POST .../enable` to resume).
Events: `declaration.status_changed`, `declaration.return_received`, `webhook.test`; an event
may come more than once (use its `id` to ignore repeats).
"""


@router.post(
    "/webhooks",
    status_code=201,
    summary="Register a webhook endpoint (its secret is shown once)",
    description=SIGNATURE_DOC,
    responses=responses(403, 422),
)
def create_webhook(
    data: WebhookCreate, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> WebhookCreated:
    return service.create_endpoint(
        session,
        principal=principal,
        data=data,
        keyring=runtime.keyring,
        clock=runtime.clock,
        allow_insecure=runtime.settings.is_development,
    )


@router.get("/webhooks", summary="The tenant's webhook endpoints", responses=responses(403))
def list_webhooks(session: SessionDep, principal: PrincipalDep) -> WebhookList:
    return service.list_endpoints(session, principal=principal)


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    summary="Remove a webhook endpoint (its pending deliveries are dropped)",
    responses=responses(403, 404),
)
def delete_webhook(
    webhook_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> Response:
    service.delete_endpoint(
        session, principal=principal, endpoint_id=webhook_id, clock=runtime.clock
    )
    return Response(status_code=204)


@router.post(
    "/webhooks/{webhook_id}/enable",
    summary="Enable again an endpoint disabled after repeated failures",
    responses=responses(403, 404),
)
def enable_webhook(
    webhook_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> WebhookRead:
    return service.enable_endpoint(session, principal=principal, endpoint_id=webhook_id)


@router.post(
    "/webhooks/{webhook_id}/test",
    status_code=202,
    summary="Send a test event (`webhook.test`) to the endpoint",
    responses=responses(403, 404),
)
def send_test_event(
    webhook_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> DeliveryRead:
    return service.send_test_event(
        session, principal=principal, endpoint_id=webhook_id, clock=runtime.clock
    )


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    summary="Recent deliveries to the endpoint, with one row per attempt",
    responses=responses(403, 404),
)
def list_deliveries(
    webhook_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryList:
    return service.list_deliveries(
        session, principal=principal, endpoint_id=webhook_id, limit=limit
    )
