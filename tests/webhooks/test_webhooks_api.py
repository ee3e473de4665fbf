"""Webhooks through the HTTP API, delivered by the dispatcher to a real server on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI

from api.deps import Runtime
from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.declarations import timeline
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.webhooks import dispatcher
from dsnlink.webhooks.dispatcher import WebhookPolicy
from tests.api.dsn_files import dsn
from tests.webhooks.conftest import Receiver

OCTET = {"Content-Type": "application/octet-stream"}
PROBLEMS = "https://dsnlink.example/problems/"


def runtime(app: FastAPI) -> Runtime:
    value: Runtime = app.state.runtime
    return value


def run(app: FastAPI, policy: WebhookPolicy | None = None) -> int:
    rt = runtime(app)
    return dispatcher.run_once(rt.sessions, clock=rt.clock, keyring=rt.keyring, policy=policy)


def verify(secret: str, header: str, body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(","))
    expected = hmac.new(
        secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


async def create(client: httpx.AsyncClient, tenant: Any, url: str, **extra: Any) -> dict[str, Any]:
    response = await client.post("/v1/webhooks", headers=tenant.headers, json={"url": url, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def upload(client: httpx.AsyncClient, tenant: Any, body: bytes) -> dict[str, Any]:
    response = await client.post(
        "/v1/declarations", content=body, headers={**tenant.headers, **OCTET}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_status_changes_are_delivered_signed(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    receiver: Receiver,
) -> None:
    hook = await create(client, tenant_a, receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["enabled"] is True
    listed = (await client.get("/v1/webhooks", headers=tenant_a.headers)).json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    assert "secret" not in listed["items"][0]

    declaration = await upload(client, tenant_a, dsn())
    assert run(app) == 2
    assert [r.path for r in receiver.requests] == ["/hooks/dsnlink"] * 2
    events = [json.loads(r.body) for r in receiver.requests]
    assert [(e["type"], e["data"]["status"]) for e in events] == [
        ("declaration.status_changed", "received"),
        ("declaration.status_changed", "validated"),
    ]
    assert events[1]["data"]["declaration_id"] == declaration["id"]
    assert events[1]["data"]["previous_status"] == "received"
    for request, event in zip(receiver.requests, events, strict=True):
        assert request.headers["DSNLink-Event-Id"] == event["id"]
        assert verify(hook["secret"], request.headers["DSNLink-Signature"], request.body)
        assert not verify("whsec_other", request.headers["DSNLink-Signature"], request.body)
    # Nothing new: nothing is sent again.
    assert run(app) == 0

    ordered = await client.post(
        f"/v1/declarations/{declaration['id']}/transmit", headers=tenant_a.headers
    )
    assert ordered.status_code == 200
    assert run(app) == 1
    assert json.loads(receiver.requests[-1].body)["data"]["status"] == "ordered"

    deliveries = (
        await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant_a.headers)
    ).json()["items"]
    assert len(deliveries) == 3
    assert all(d["status"] == "delivered" and len(d["attempt_log"]) == 1 for d in deliveries)
    assert deliveries[0]["attempt_log"][0]["status_code"] == 200


async def test_new_returns_are_delivered(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    hook = await create(client, tenant_a, receiver.url, events=["declaration.return_received"])
    declaration = await upload(client, tenant_a, dsn())
    rt = runtime(app)
    with db.unit_of_work(rt.sessions) as session:
        row = session.get(Declaration, uuid.UUID(declaration["id"]))
        assert row is not None
        timeline.advance(
            session,
            row,
            DeclarationStatus.VALIDATED,
            at=clock.now(),
            return_id="R-1",
            nature="BAN",
            label="bilan d'anomalies",
        )
    assert run(app) == 1
    event = json.loads(receiver.requests[0].body)
    assert event["type"] == "declaration.return_received"
    assert (event["data"]["return_id"], event["data"]["return_nature"]) == ("R-1", "BAN")
    assert verify(
        hook["secret"], receiver.requests[0].headers["DSNLink-Signature"], receiver.requests[0].body
    )


async def test_failures_are_retried_with_back_off_then_given_up(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: Any,
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    hook = await create(client, tenant_a, receiver.url)
    receiver.answers = [500, 503]
    queued = await client.post(f"/v1/webhooks/{hook['id']}/test", headers=tenant_a.headers)
    assert queued.status_code == 202 and queued.json()["status"] == "pending"
    assert run(app) == 1
    assert run(app) == 0  # not due before its back-off
    clock.advance(timedelta(seconds=31))
    assert run(app) == 1
    clock.advance(timedelta(minutes=1))
    assert run(app) == 0
    clock.advance(timedelta(minutes=1, seconds=1))
    assert run(app) == 1
    assert [json.loads(r.body)["type"] for r in receiver.requests] == ["webhook.test"] * 3
    (delivery,) = (
        await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant_a.headers)
    ).json()["items"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500, 503, 200]
    assert delivery["attempt_log"][0]["error"] == "HTTP 500"

    # Retries run out: the delivery fails.
    receiver.always = 500
    policy = WebhookPolicy(backoff=(timedelta(seconds=1),), disable_after=50)
    await client.post(f"/v1/webhooks/{hook['id']}/test", headers=tenant_a.headers)
    assert run(app, policy) == 1
    clock.advance(timedelta(seconds=2))
    assert run(app, policy) == 1
    clock.advance(timedelta(seconds=2))
    assert run(app, policy) == 0
    latest = (
        await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant_a.headers)
    ).json()["items"][0]
    assert latest["status"] == "failed" and latest["attempts"] == 2


async def test_repeated_failures_disable_the_endpoint(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    receiver: Receiver,
    clock: FrozenClock,
) -> None:
    hook = await create(client, tenant_a, receiver.url)
    receiver.always = 500
    policy = WebhookPolicy(backoff=(timedelta(seconds=1),) * 5, disable_after=3)
    await upload(client, tenant_a, dsn())
    assert run(app, policy) == 2
    clock.advance(timedelta(seconds=2))
    assert run(app, policy) == 2
    (listed,) = (await client.get("/v1/webhooks", headers=tenant_a.headers)).json()["items"]
    assert listed["enabled"] is False and listed["consecutive_failures"] == 4
    assert "échecs consécutifs" in listed["disabled_reason"]
    clock.advance(timedelta(seconds=2))
    assert run(app, policy) == 0  # a disabled endpoint gets nothing
    receiver.always = None
    enabled = await client.post(f"/v1/webhooks/{hook['id']}/enable", headers=tenant_a.headers)
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True


async def test_an_unreachable_endpoint_leaves_an_attempt(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: Any
) -> None:
    hook = await create(client, tenant_a, "http://127.0.0.1:9/nothing-listens")
    await client.post(f"/v1/webhooks/{hook['id']}/test", headers=tenant_a.headers)
    assert run(app) == 1
    (delivery,) = (
        await client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=tenant_a.headers)
    ).json()["items"]
    assert delivery["status"] == "pending"
    assert delivery["attempt_log"][0]["status_code"] is None
    assert delivery["attempt_log"][0]["error"] == "ConnectError"


async def test_webhooks_are_the_tenants_own(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: Any,
    tenant_b: Any,
    register_company: Any,
    receiver: Receiver,
) -> None:
    hook = await create(client, tenant_a, receiver.url)
    await register_company(tenant_b, siren="552100554", nics=("00013",))
    await upload(client, tenant_b, dsn(siren="552100554", nic="00013"))
    assert run(app) == 0  # tenant B's events never reach tenant A's endpoint
    for method, path in (
        ("DELETE", f"/v1/webhooks/{hook['id']}"),
        ("POST", f"/v1/webhooks/{hook['id']}/test"),
        ("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
    ):
        response = await client.request(method, path, headers=tenant_b.headers)
        assert response.status_code == 404, (method, path)
    assert (await client.get("/v1/webhooks", headers=tenant_b.headers)).json()["items"] == []
    deleted = await client.delete(f"/v1/webhooks/{hook['id']}", headers=tenant_a.headers)
    assert deleted.status_code == 204
    assert (await client.get("/v1/webhooks", headers=tenant_a.headers)).json()["items"] == []


async def test_bad_urls_are_refused(client: httpx.AsyncClient, tenant_a: Any) -> None:
    for url in ("ftp://example.org/x", "not a url", "http://user:pw@example.org/x"):
        response = await client.post("/v1/webhooks", headers=tenant_a.headers, json={"url": url})
        assert response.status_code == 422, url
    unknown_event = await client.post(
        "/v1/webhooks",
        headers=tenant_a.headers,
        json={"url": "https://example.org/x", "events": ["nope"]},
    )
    assert unknown_event.status_code == 422


def test_production_wants_https_to_a_public_host() -> None:
    import pytest

    from dsnlink.webhooks.errors import InvalidWebhook
    from dsnlink.webhooks.service import check_url

    assert check_url("https://paie.example.org/h", allow_insecure=False)
    for url in (
        "http://paie.example.org/h",
        "https://127.0.0.1/h",
        "https://10.0.0.2/h",
        "https://localhost/h",
    ):
        with pytest.raises(InvalidWebhook):
            check_url(url, allow_insecure=False)


async def test_concurrent_dispatchers_deliver_each_event_once(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: Any,
    register_company: Any,
    receiver: Receiver,
) -> None:
    import threading

    await create(client, tenant_a, receiver.url)
    nics = ("00074", "00082", "00090", "00017", "00009")
    await register_company(tenant_a, nics=nics)
    for seed, nic in enumerate(nics):
        await upload(client, tenant_a, dsn(seed=seed, nic=nic))
    barrier = threading.Barrier(3)

    def dispatch() -> None:
        barrier.wait()
        rt = runtime(app)
        # On SQLite a writer that lost the race fails and sends nothing; that is allowed.
        dispatcher.dispatch(rt.sessions, clock=rt.clock, keyring=rt.keyring)

    threads = [threading.Thread(target=dispatch) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    while run(app):
        pass
    ids = [r.headers["DSNLink-Event-Id"] for r in receiver.requests]
    assert len(ids) == 10 and len(set(ids)) == 10


async def test_one_pass_keeps_to_its_time_budget(
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant_a: Any,
    receiver: Receiver,
) -> None:
    hook = await create(client, tenant_a, receiver.url)
    for _ in range(3):
        await client.post(f"/v1/webhooks/{hook['id']}/test", headers=tenant_a.headers)
    policy = WebhookPolicy(budget_seconds=0.0)
    assert run(app, policy) == 1  # the first is always sent; the others wait for the next pass
    assert run(app, policy) == 1
    assert run(app, policy) == 1
    assert run(app, policy) == 0
    assert len(receiver.requests) == 3
