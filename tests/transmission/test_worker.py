"""The transmission worker against the mock deposit point on loopback, both databases.

Each test orders declarations through the gateway's API, runs the worker (polling loop, in
process) and checks the declaration, its attempts, and what the mock actually received.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from transmission_harness import (
    FAST_CLIENT_RETRY,
    FAST_POLICY,
    Gateway,
    assert_deposited,
    fast_worker,
    gateway_app,
    open_gateway,
)

from benchmarks.harness import configure_mock, free_port, mock_deposits
from dsnlink.clock import SystemClock
from dsnlink.config import Settings
from dsnlink.transmission.context import build_client
from dsnlink.transmission.models import AttemptState, DepositAttempt
from dsnlink.transmission.worker import build_worker

CLOCK = SystemClock()


async def drain(settings: Settings, engine: Engine, timeout: float = 20) -> None:
    worker = fast_worker(settings, engine, CLOCK)
    try:
        assert await asyncio.to_thread(worker.drain, timeout=timeout), "queue not drained"
    finally:
        worker.context.client.close()


async def wait_for_status(
    gateway: Gateway, settings: Settings, engine: Engine, declaration_id: str, wanted: str,
    timeout: float = 15,
) -> dict[str, Any]:
    """Poll returns until the declaration reaches `wanted` (returns are published over time)."""
    worker = fast_worker(settings, engine, CLOCK)
    deadline = time.monotonic() + timeout
    try:
        while True:
            detail = await gateway.detail(declaration_id)
            if detail["status"] == wanted or time.monotonic() > deadline:
                return detail
            await asyncio.to_thread(worker.poll_returns_if_due)
            await asyncio.sleep(0.1)
    finally:
        worker.context.client.close()


def attempts(engine: Engine, declaration_id: str | None = None) -> list[DepositAttempt]:
    query = select(DepositAttempt).order_by(DepositAttempt.id)  # type: ignore[arg-type]
    if declaration_id is not None:
        query = query.where(DepositAttempt.declaration_id == uuid.UUID(declaration_id))
    with Session(engine) as session:
        return list(session.exec(query).all())


async def test_ordered_declaration_is_deposited_once_then_conform_with_returns(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    declaration_id = await gateway.upload(seed=1)
    assert (await gateway.detail(declaration_id))["status"] == "ordered"

    await drain(wsettings, db_engine)

    detail = await gateway.detail(declaration_id)
    assert_deposited(detail)
    transmission = detail["transmission"]
    assert [a["outcome"] for a in transmission["attempts"]] == ["accepted"]
    idflux = transmission["idflux"]
    assert idflux and transmission["attempts"][0]["idflux"] == idflux
    assert transmission["attempts"][0]["http_status"] == 200
    assert [d["idflux"] for d in mock_deposits(mock_url)] == [idflux]

    detail = await wait_for_status(gateway, wsettings, db_engine, declaration_id, "conform")
    assert detail["status"] == "conform"
    returns = {r["nature"]: r for r in detail["transmission"]["returns"]}
    assert returns["10"]["label"].startswith("Accusé d'enregistrement")
    assert returns["11"]["label"] == "Certificat de conformité (CCO)"
    assert returns["11"]["status"] == "OK" and returns["11"]["schema_valid"] is True
    statuses = [event["status"] for event in detail["timeline"]]
    assert statuses[:4] == ["received", "validated", "ordered", "transmitting"]
    assert "deposited" in statuses and statuses[-1] == "conform"

    xml = await gateway.http.get(returns["11"]["url"], headers=gateway.headers)
    assert xml.status_code == 200
    assert xml.headers["content-type"].startswith("application/xml")
    assert b"<gipmds:rapport" in xml.content or b"rapport" in xml.content


async def test_returns_are_tenant_isolated(
    gateway: Gateway, wsettings: Settings, db_engine: Engine
) -> None:
    declaration_id = await gateway.upload(seed=2)
    await drain(wsettings, db_engine)
    detail = await wait_for_status(gateway, wsettings, db_engine, declaration_id, "conform")
    url = detail["transmission"]["returns"][0]["url"]
    other = await open_gateway(
        gateway_app(wsettings, db_engine, CLOCK), wsettings, db_engine, CLOCK, name="Bravo"
    )
    try:
        assert (await other.http.get(url, headers=other.headers)).status_code == 404
        assert (await gateway.http.get(url, headers=gateway.headers)).status_code == 200
        missing = await gateway.http.get(
            f"/v1/declarations/{declaration_id}/returns/nope", headers=gateway.headers
        )
        assert missing.status_code == 404
    finally:
        await other.http.aclose()


async def test_surely_not_sent_is_retried_then_succeeds(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    declaration_id = await gateway.upload(seed=3)
    dead = wsettings.model_copy(update={"deposit_point_url": f"http://127.0.0.1:{free_port()}"})
    worker = build_worker(
        dead, db_engine, clock=CLOCK,
        client=build_client(dead, clock=CLOCK, retry=FAST_CLIENT_RETRY), policy=FAST_POLICY,
    )
    outcome = await asyncio.to_thread(worker.run_once)
    assert outcome == 1
    rows = attempts(db_engine, declaration_id)
    assert [r.outcome for r in rows] == [AttemptState.NOT_SENT]
    assert "no connection" in (rows[0].error or "")
    assert mock_deposits(mock_url) == []

    await drain(wsettings, db_engine)
    detail = await gateway.detail(declaration_id)
    assert_deposited(detail)
    assert [a["outcome"] for a in detail["transmission"]["attempts"]] == ["not_sent", "accepted"]
    assert detail["transmission"]["job_status"] == "done"
    assert len(mock_deposits(mock_url)) == 1


async def test_are_is_permanent_with_the_deposit_points_message(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    configure_mock(mock_url, force="ARE")
    declaration_id = await gateway.upload(seed=4)
    await drain(wsettings, db_engine)
    detail = await gateway.detail(declaration_id)
    assert detail["status"] == "refused_by_deposit_point"
    [attempt] = detail["transmission"]["attempts"]
    assert attempt["outcome"] == "refused" and attempt["http_status"] == 422
    assert attempt["error"]
    refused = [e for e in detail["timeline"] if e["status"] == "refused_by_deposit_point"]
    assert refused[0]["detail"]["message"] == attempt["error"]
    assert len(mock_deposits(mock_url)) == 1  # the ARE flow; never sent again


async def test_deposit_then_503_is_reconciled_without_resending(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    configure_mock(mock_url, deposit_then_fail="503", deposit_then_fail_count=1)
    declaration_id = await gateway.upload(seed=5)
    await drain(wsettings, db_engine)
    detail = await gateway.detail(declaration_id)
    # Adopted once its bilan proved it ours: by then the bilan (a CCO) may have been applied.
    assert detail["status"] in {"deposited", "conform"}
    assert "deposited" in [e["status"] for e in detail["timeline"]]
    transmission = detail["transmission"]
    assert [a["outcome"] for a in transmission["attempts"]] == ["reconciled"]
    assert transmission["reconciled"] is True
    [flow] = mock_deposits(mock_url)
    assert transmission["idflux"] == flow["idflux"]
    assert "reconciling" in [e["status"] for e in detail["timeline"]]


class LosesFirstDeposit(httpx.HTTPTransport):
    """A network that swallows the first deposit: the client sees a read timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "/deposer-dsn/" in request.url.path and not self.lost:
            self.lost += 1
            raise httpx.ReadTimeout("simulated: the answer never came", request=request)
        return super().handle_request(request)


async def test_ambiguous_but_never_received_is_sent_again_after_the_grace(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    declaration_id = await gateway.upload(seed=6)
    transport = LosesFirstDeposit()
    client = build_client(wsettings, clock=CLOCK, transport=transport, retry=FAST_CLIENT_RETRY)
    worker = fast_worker(wsettings, db_engine, CLOCK)
    worker.context.client = client
    started = time.monotonic()
    assert await asyncio.to_thread(worker.drain, timeout=20)
    elapsed = time.monotonic() - started
    detail = await gateway.detail(declaration_id)
    assert_deposited(detail)
    outcomes = [a["outcome"] for a in detail["transmission"]["attempts"]]
    assert outcomes == ["lost", "accepted"]
    # Not resent before sent_at + deposit read timeout (1 s) + grace (0.3 s).
    assert elapsed >= 1.3
    assert len(mock_deposits(mock_url)) == 1


async def test_one_deposit_in_flight_per_declarant_and_every_file_once(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    ids = [await gateway.upload(seed=10 + i) for i in range(4)]
    await drain(wsettings, db_engine)
    for declaration_id in ids:
        assert_deposited(await gateway.detail(declaration_id))
    counts = Counter(d["sha256"] for d in mock_deposits(mock_url))
    assert len(counts) == 4 and set(counts.values()) == {1}
    rows = attempts(db_engine)  # every declaration: one declarant
    spans = sorted((r.sent_at, r.finished_at) for r in rows)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end is not None and end <= start  # never two deposits at once for the declarant
