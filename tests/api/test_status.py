"""Maintenance announced through the operator API: refused writes, the status page, /v1/status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.app import create_app
from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import PLACEHOLDER_SECRET, Settings
from dsnlink.service_status import service as service_status
from dsnlink.service_status.models import Component
from tests.conftest import production_settings

PROBLEM = "application/problem+json"
OPERATOR = {"Authorization": f"Bearer {PLACEHOLDER_SECRET}"}
# DEFAULT_NOW is Monday 2026-11-02 10:00 UTC: Thursday 01:00-03:00 UTC is in the window, > 48 h.
PLANNED = {
    "start": "2026-11-05T01:00:00Z",
    "end": "2026-11-05T03:00:00Z",
    "kind": "planned",
    "reason": "montée de version de la base",
}


async def _announce(client: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/v1/operator/maintenances", headers=OPERATOR, json=body)


async def test_planned_maintenance_appears_on_the_status_page(
    client: httpx.AsyncClient,
) -> None:
    announced = await _announce(client, PLANNED)
    assert announced.status_code == 201, announced.text
    assert announced.json()["announced_at"] == "2026-11-02T10:00:00Z"

    page = await client.get("/status")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<html lang="fr">' in html
    assert "Maintenances planifiées" in html
    assert "montée de version de la base" in html
    # Shown in Paris time: 01:00 UTC in November is 02:00 in Paris.
    assert "05/11/2026 02:00 (heure de Paris)" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html

    status = (await client.get("/v1/status")).json()
    assert [m["reason"] for m in status["planned_maintenances"]] == [PLANNED["reason"]]
    assert status["maintenance_in_progress"] is None
    states = {c["name"]: c["state"] for c in status["components"]}
    assert states == {"api": "operational", "worker": "unknown", "deposit_point": "unknown"}
    assert status["availability"]["month"] == "2026-11"
    assert status["availability"]["availability_percent"] == 100


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"start": "2026-11-03T01:00:00Z", "end": "2026-11-03T02:00:00Z"}, "notice_too_short"),
        ({"start": "2026-11-05T06:00:00Z", "end": "2026-11-05T08:00:00Z"}, "outside_window"),
        ({"start": "2026-11-05T03:00:00Z", "end": "2026-11-05T01:00:00Z"}, "empty"),
    ],
)
async def test_invalid_planned_maintenance_is_refused_with_its_reason(
    client: httpx.AsyncClient, change: dict[str, str], reason: str
) -> None:
    response = await _announce(client, {**PLANNED, **change})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["type"] == "https://dsnlink.example/problems/maintenance-refused"
    assert body["reason"] == reason
    assert (await client.get("/v1/status")).json()["planned_maintenances"] == []


async def test_urgent_maintenance_blocks_writes_not_reads_nor_operator(
    client: httpx.AsyncClient, tenant_a: Any, clock: FrozenClock
) -> None:
    urgent = {
        "start": "2026-11-02T10:00:00Z",
        "end": "2026-11-02T10:30:00Z",
        "kind": "urgent",
        "reason": "incident de stockage",
    }
    assert (await _announce(client, urgent)).status_code == 201

    refused = await client.post(
        "/v1/users", headers=tenant_a.headers, json={"email": "x@alpha.example"}
    )
    assert refused.status_code == 503
    assert refused.headers["content-type"] == PROBLEM
    assert refused.headers["retry-after"] == "1800"
    assert refused.json()["type"] == "https://dsnlink.example/problems/maintenance"

    assert (await client.get("/v1/tenant", headers=tenant_a.headers)).status_code == 200
    assert (await client.get("/v1/operator/maintenances", headers=OPERATOR)).status_code == 200
    still = await client.post(
        "/v1/operator/incidents",
        headers=OPERATOR,
        json={"start": "2026-11-02T09:00:00Z", "cause": "urgent_maintenance"},
    )
    assert still.status_code == 201

    status = (await client.get("/v1/status")).json()
    assert status["maintenance_in_progress"]["reason"] == "incident de stockage"
    page = await client.get("/status")
    assert "Maintenance urgente en cours" in page.text

    clock.advance(timedelta(minutes=30))
    allowed = await client.post(
        "/v1/users", headers=tenant_a.headers, json={"email": "x@alpha.example"}
    )
    assert allowed.status_code == 201, allowed.text


async def test_operator_endpoints_need_the_operator_token(
    client: httpx.AsyncClient, tenant_a: Any
) -> None:
    for headers in ({}, tenant_a.headers, {"Authorization": "Bearer wrong"}):
        response = await client.post("/v1/operator/maintenances", headers=headers, json=PLANNED)
        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM


async def test_operator_api_is_disabled_in_production_without_a_token(
    settings: Settings, db_engine: Engine, clock: FrozenClock
) -> None:
    production = production_settings(settings)
    app: FastAPI = create_app(production, engine=db_engine, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.post("/v1/operator/maintenances", headers=OPERATOR, json=PLANNED)
    assert response.status_code == 403
    assert response.json()["type"] == "https://dsnlink.example/problems/operator-disabled"

    token = "operator-" + "".join(reversed(settings.secret_key)) + "-2026"
    configured = production.model_copy(update={"operator_token": token})
    app = create_app(configured, engine=db_engine, clock=clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        response = await client.post(
            "/v1/operator/maintenances",
            headers={"Authorization": f"Bearer {token}"},
            json=PLANNED,
        )
    assert response.status_code == 201, response.text


async def test_probes_show_on_the_status_page(
    client: httpx.AsyncClient, db_engine: Engine, clock: FrozenClock
) -> None:
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        service_status.record_probe(session, component=Component.WORKER, ok=True, at=clock.now())
        service_status.record_probe(
            session,
            component=Component.DEPOSIT_POINT,
            ok=False,
            at=clock.now() - timedelta(minutes=5),
            detail="HTTP 503",
        )
    status = (await client.get("/v1/status")).json()
    states = {c["name"]: c["state"] for c in status["components"]}
    assert states == {"api": "operational", "worker": "operational", "deposit_point": "down"}
    # The deposit point is a third party: its outage does not lower the availability rate.
    assert status["availability"]["downtime_minutes"] == 0
    page = (await client.get("/status")).text
    assert "Point de dépôt net-entreprises.fr" in page and "Indisponible" in page

    clock.set(datetime(2026, 11, 2, 10, 30, tzinfo=UTC))
    status = (await client.get("/v1/status")).json()
    assert {c["name"]: c["state"] for c in status["components"]}["worker"] == "unknown"
