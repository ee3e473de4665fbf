"""Metrics, health probes, rate limit, security headers and body size limit, through the API."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from api.app import create_app
from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.norm.sample import sample_bytes
from dsnlink.observability.health import DepositPointProbe
from dsnlink.transmission.models import DepositAttempt, DepositedFlow
from tests.api.conftest import NIC_A, SIREN_A, TenantHandle

MONTH = "2026-10"


async def _open(app: FastAPI, base_url: str = "http://gateway") -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url=base_url
    )


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def _upload(client: httpx.AsyncClient, tenant: TenantHandle, seed: int, **params: str) -> str:
    response = await client.post(
        "/v1/declarations",
        params={"accept_late": "true", **params},
        # One normal declaration per month: each seed files its own month of 2026.
        content=sample_bytes(
            employees=1, month=f"2026-{seed:02d}", seed=seed, siren=SIREN_A, nic=NIC_A
        ),
        headers={**tenant.headers, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    declaration_id: str = response.json()["id"]
    return declaration_id


# --- metrics -------------------------------------------------------------------------------------


async def test_metrics_are_read_from_the_database_by_any_replica(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    company_a: dict[str, Any],
    settings: Settings,
    db_engine: Engine,
    clock: FrozenClock,
) -> None:
    queued = await _upload(client, tenant_a, seed=1, transmit="true")
    await _upload(client, tenant_a, seed=2)
    declarant = await client.post(
        "/v1/declarants", headers=tenant_a.headers,
        json={"siret": "73282932000074", "nom": "PAIE", "prenom": "SERVICE", "password": "pw"},
    )
    assert declarant.status_code == 201, declarant.text
    clock.advance(timedelta(minutes=5))
    now = clock.now()
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        for outcome in ("not_sent", "not_sent", "accepted"):
            session.add(DepositAttempt(
                declaration_id=uuid.UUID(queued), declarant_id=uuid.UUID(declarant.json()["id"]),
                worker_id="w", started_at=now, sent_at=now, outcome=outcome,
            ))
        session.add(DepositedFlow(
            idflux="F1", declaration_id=uuid.UUID(queued),
            declarant_id=uuid.UUID(declarant.json()["id"]), deposited_at=now,
        ))
    await client.get("/v1/declarations", headers=tenant_a.headers)

    # A second API replica (another process in production) over the same database.
    replica = create_app(settings, engine=db_engine, clock=clock)
    async with await _open(replica) as other:
        text = (await other.get("/metrics")).text
    found = _samples(text)
    assert found[("dsnlink_declarations", (("status", "validated"),))] == 1
    assert found[("dsnlink_declarations", (("status", "ordered"),))] == 1
    assert found[("dsnlink_transmission_queue_depth", ())] == 1
    assert found[("dsnlink_transmission_queue_oldest_age_seconds", ())] == 300
    assert found[("dsnlink_deposit_attempts_total", (("outcome", "not_sent"),))] == 2
    assert found[("dsnlink_deposit_attempts_total", (("outcome", "accepted"),))] == 1
    assert found[("dsnlink_order_to_aee_seconds", (("quantile", "0.5"),))] == 300
    assert found[("dsnlink_order_to_aee_count", ())] == 1
    assert found[("dsnlink_metrics_database_up", ())] == 1
    # HTTP figures are the answering process's own: this replica served no /v1 request.
    assert not any(name == "dsnlink_http_requests_total" and dict(labels).get("route", "")
                   .startswith("/v1") for name, labels in found)

    own = _samples((await client.get("/metrics")).text)
    key = ("dsnlink_http_requests_total",
           (("method", "GET"), ("route", "/v1/declarations"), ("status", "200")))
    assert own[key] == 1
    upload = ("dsnlink_http_request_duration_seconds_count",
              (("method", "POST"), ("route", "/v1/declarations")))
    assert own[upload] == 2


async def test_metrics_token_and_switch(settings: Settings, db_engine: Engine,
                                        clock: FrozenClock) -> None:
    guarded = settings.model_copy(update={"metrics_token": SecretStr("scrape-me")})
    async with await _open(create_app(guarded, engine=db_engine, clock=clock)) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert right.status_code == 200
        assert "dsnlink_declarations" in right.text
    disabled = settings.model_copy(update={"metrics_enabled": False})
    async with await _open(create_app(disabled, engine=db_engine, clock=clock)) as client:
        assert (await client.get("/metrics")).status_code == 404


# --- health --------------------------------------------------------------------------------------


class _Platform:
    """A deposit point answering 404 on its root (reachable), or refusing connections."""

    def __init__(self) -> None:
        self.calls = 0
        self.up = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if not self.up:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(404)


@pytest.fixture
def platform(app: FastAPI, settings: Settings) -> _Platform:
    platform = _Platform()
    app.state.deposit_probe = DepositPointProbe(
        settings.deposit_point_url, timeout=1, cache_seconds=60,
        transport=httpx.MockTransport(platform),
    )
    return platform


async def test_liveness_needs_nothing(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


async def test_ready_when_database_queue_and_deposit_point_answer(
    client: httpx.AsyncClient, app: FastAPI, platform: _Platform
) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready" and body["failed"] == []
    assert set(body["checks"]) == {"database", "queue", "deposit_point"}
    # The probe result is cached: a load balancer's polling does not reach net-entreprises.
    await client.get("/health/ready")
    assert platform.calls == 1
    status = (await client.get("/v1/status")).json()
    assert "deposit_point" in str(status)


async def test_not_ready_names_the_failed_check(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, platform: _Platform
) -> None:
    platform.up = False
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["failed"] == ["deposit_point"]

    platform.up = True
    app.state.deposit_probe = DepositPointProbe(
        settings.deposit_point_url, timeout=1, cache_seconds=0,
        transport=httpx.MockTransport(platform),
    )
    broken = db.create_db_engine(f"sqlite:///{Path('/nonexistent-dir/nowhere.sqlite3')}")
    runtime = app.state.runtime
    app.state.runtime = dataclasses.replace(
        runtime, engine=broken, sessions=db.session_factory(broken)
    )
    response = await client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["database", "queue"]
    assert body["checks"]["deposit_point"]["ok"] is True


# --- rate limit ----------------------------------------------------------------------------------


@pytest.fixture
def limited(settings: Settings) -> Settings:
    return settings.model_copy(update={"rate_limit_per_minute": 3})


@pytest.fixture
async def limited_client(
    limited: Settings, db_engine: Engine, clock: FrozenClock
) -> AsyncIterator[httpx.AsyncClient]:
    async with await _open(create_app(limited, engine=db_engine, clock=clock)) as client:
        yield client


async def test_rate_limit_per_key_shared_by_replicas(
    limited_client: httpx.AsyncClient,
    limited: Settings,
    db_engine: Engine,
    clock: FrozenClock,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
) -> None:
    clock.set(clock.now().replace(second=30, microsecond=0))
    replica = create_app(limited, engine=db_engine, clock=clock)
    async with await _open(replica) as other:
        statuses = [
            (await c.get("/v1/declarations", headers=tenant_a.headers)).status_code
            for c in (limited_client, other, limited_client)
        ]
        assert statuses == [200, 200, 200]
        refused = await other.get("/v1/declarations", headers=tenant_a.headers)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/rate-limited")
    assert refused.headers["retry-after"] == "30"
    # Another key has its own budget; the health probes are not limited.
    assert (await limited_client.get("/v1/declarations", headers=tenant_b.headers)).status_code \
        == 200
    assert (await limited_client.get("/health/live")).status_code == 200
    # The next window starts afresh.
    clock.advance(timedelta(seconds=31))
    again = await limited_client.get("/v1/declarations", headers=tenant_a.headers)
    assert again.status_code == 200


async def test_rate_limit_applies_to_unauthenticated_callers_by_address(
    limited_client: httpx.AsyncClient,
) -> None:
    statuses = [(await limited_client.get("/v1/declarations")).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


# --- headers and sizes ---------------------------------------------------------------------------


async def test_security_headers_on_api_and_html(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    api = await client.get("/v1/declarations", headers=tenant_a.headers)
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["x-frame-options"] == "DENY"
    assert api.headers["referrer-policy"] == "no-referrer"
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    assert api.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in api.headers

    page = await client.get("/status")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert script_src.strip() == "script-src 'self'"  # no inline script can run
    assert "<script" not in page.text

    public = await client.get("/v1/receipts/public-key")
    assert "cache-control" not in public.headers  # no credentials sent: cacheable


async def test_hsts_over_https(app: FastAPI) -> None:
    async with await _open(app, base_url="https://gateway") as client:
        response = await client.get("/health/live")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_json_bodies_are_limited_but_not_the_upload(
    settings: Settings,
    db_engine: Engine,
    clock: FrozenClock,
    tenant_a: TenantHandle,
) -> None:
    small = settings.model_copy(update={"max_json_body_bytes": 2048})
    async with await _open(create_app(small, engine=db_engine, clock=clock)) as client:
        big = {"siren": SIREN_A, "name": "x" * 4000, "due_day": 5, "establishments": []}
        declared = await client.post("/v1/companies", headers=tenant_a.headers, json=big)
        assert declared.status_code == 413
        assert declared.json()["type"].endswith("/body-too-large")

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(10):
                yield b" " * 1000

        streamed = await client.post(
            "/v1/companies", content=chunks(),
            headers={**tenant_a.headers, "Content-Type": "application/json"},
        )
        assert streamed.status_code == 413

        company = await client.post(
            "/v1/companies", headers=tenant_a.headers,
            json={"siren": SIREN_A, "name": "A", "due_day": 5,
                  "establishments": [{"nic": NIC_A, "name": "Siège"}]},
        )
        assert company.status_code == 201, company.text
        dsn = sample_bytes(employees=3, month=MONTH, seed=5, siren=SIREN_A, nic=NIC_A)
        assert len(dsn) > 2048
        upload = await client.post(
            "/v1/declarations", params={"accept_late": "true"}, content=dsn,
            headers={**tenant_a.headers, "Content-Type": "application/octet-stream"},
        )
        assert upload.status_code == 201, upload.text
        # The upload's own bound: the intake's limit plus framing slack, refused before reading.
        huge = await client.post(
            "/v1/declarations", content=b"S" * (small.max_upload_bytes + 1024 * 1024 + 1),
            headers={**tenant_a.headers, "Content-Type": "application/octet-stream"},
        )
        assert huge.status_code == 413
        assert huge.json()["type"].endswith("/body-too-large")
