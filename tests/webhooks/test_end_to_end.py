"""A publisher's whole path through real servers: upload → transmission by the worker to the mock
deposit point → webhooks on loopback → the intake and deposit receipts verified."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.engine import Engine

from benchmarks.harness import mock_deposit_point, worker_settings
from dsnlink.clock import SystemClock
from dsnlink.config import Settings
from dsnlink.security.receipts import verify_receipt
from tests.transmission.transmission_harness import (
    Gateway,
    fast_worker,
    gateway_app,
    open_gateway,
)
from tests.webhooks.conftest import Receiver

CLOCK = SystemClock()


@pytest.fixture
def wsettings(settings: Settings) -> Iterator[Settings]:
    with mock_deposit_point() as url:
        yield worker_settings(settings, url)


@pytest.fixture
async def gateway(wsettings: Settings, db_engine: Engine) -> AsyncIterator[Gateway]:
    gateway = await open_gateway(
        gateway_app(wsettings, db_engine, CLOCK), wsettings, db_engine, CLOCK
    )
    yield gateway
    await gateway.http.aclose()


async def test_upload_webhook_and_both_receipts(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, receiver: Receiver
) -> None:
    hook = await gateway.http.post(
        "/v1/webhooks", headers=gateway.headers, json={"url": receiver.url}
    )
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]
    declaration_id = await gateway.upload(seed=41)

    early = await gateway.http.get(
        f"/v1/declarations/{declaration_id}/deposit-receipt", headers=gateway.headers
    )
    assert early.status_code == 404 and early.json()["type"].endswith("/not-deposited")

    worker = fast_worker(wsettings, db_engine, CLOCK)
    try:
        assert await asyncio.to_thread(worker.drain, timeout=20)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
            json.loads(r.body)["data"]["status"] == "deposited" for r in receiver.requests
        ):
            await asyncio.to_thread(worker.drain, timeout=5)
    finally:
        worker.context.client.close()

    statuses = []
    for request in receiver.requests:
        parts = dict(p.split("=", 1) for p in request.headers["DSNLink-Signature"].split(","))
        expected = hmac.new(
            secret.encode(), parts["t"].encode() + b"." + request.body, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(expected, parts["v1"])
        event = json.loads(request.body)
        if event["type"] == "declaration.status_changed":
            statuses.append(event["data"]["status"])
    assert statuses[:4] == ["received", "validated", "ordered", "transmitting"]
    assert "deposited" in statuses

    public = (await gateway.http.get("/v1/receipts/public-key")).json()["public_key_pem"]
    intake = (
        await gateway.http.get(
            f"/v1/declarations/{declaration_id}/receipt", headers=gateway.headers
        )
    ).json()
    assert intake["payload"]["status"] == "validated"
    assert verify_receipt(intake["payload"], intake["signature"], public)
    deposit = await gateway.http.get(
        f"/v1/declarations/{declaration_id}/deposit-receipt", headers=gateway.headers
    )
    assert deposit.status_code == 200, deposit.text
    payload = deposit.json()["payload"]
    assert payload["kind"] == "deposit" and payload["idflux"]
    assert payload["sha256"] == intake["payload"]["sha256"]
    assert verify_receipt(payload, deposit.json()["signature"], public)
    assert not verify_receipt({**payload, "idflux": "other"}, deposit.json()["signature"], public)
    detail = await gateway.detail(declaration_id)
    assert payload["idflux"] == detail["transmission"]["idflux"]


async def test_returns_are_listed_across_declarations(
    gateway: Gateway, wsettings: Settings, db_engine: Engine
) -> None:
    first = await gateway.upload(seed=51)
    second = await gateway.upload(seed=52)
    worker = fast_worker(wsettings, db_engine, CLOCK)
    items: list[dict[str, object]] = []
    try:
        assert await asyncio.to_thread(worker.drain, timeout=20)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            await asyncio.to_thread(worker.poll_returns_if_due)
            page = await gateway.http.get("/v1/returns", headers=gateway.headers)
            assert page.status_code == 200, page.text
            items = page.json()["items"]
            if {i["declaration_id"] for i in items} == {first, second}:
                break
            await asyncio.sleep(0.2)
    finally:
        worker.context.client.close()
    assert {i["declaration_id"] for i in items} == {first, second}
    only_first = await gateway.http.get(
        "/v1/returns", headers=gateway.headers, params={"declaration_id": first}
    )
    assert {i["declaration_id"] for i in only_first.json()["items"]} == {first}
    nature = str(items[0]["nature"])
    by_nature = await gateway.http.get(
        "/v1/returns", headers=gateway.headers, params={"nature": nature}
    )
    assert by_nature.json()["items"] and all(
        i["nature"] == nature for i in by_nature.json()["items"]
    )
    paged = await gateway.http.get("/v1/returns", headers=gateway.headers, params={"limit": 1})
    following = await gateway.http.get(
        "/v1/returns",
        headers=gateway.headers,
        params={"limit": 1, "cursor": paged.json()["next_cursor"]},
    )
    assert following.json()["items"][0] != paged.json()["items"][0]
    xml = await gateway.http.get(str(items[0]["url"]), headers=gateway.headers)
    assert xml.status_code == 200
    unknown = await gateway.http.get("/v1/returns", headers=gateway.headers, params={"idflux": "x"})
    assert unknown.status_code == 422
