"""Support requests: deadlines from the tenant's offering, operator transitions, compliance."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import PLACEHOLDER_SECRET, Settings
from dsnlink.tenants import service as tenants_service

OPERATOR = {"Authorization": f"Bearer {PLACEHOLDER_SECRET}"}
REQUEST = {
    "title": "Dépôt refusé",
    "description": "Le dépôt de la DSN d'octobre échoue.",
    "criticity": 1,
}


async def _open(client: httpx.AsyncClient, tenant: Any, **change: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/support-requests", headers=tenant.headers, json={**REQUEST, **change}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_request_lifecycle_with_deadlines_and_events(
    client: httpx.AsyncClient, tenant_a: Any, clock: FrozenClock
) -> None:
    opened = await _open(client, tenant_a)
    # Open formula: 8 working hours of the support calendar (09:00-18:00 Paris, Mon-Fri) from
    # Monday 11:00 Paris: 7 h on Monday, 1 h on Tuesday.
    assert opened["take_charge_by"] == "2026-11-03T09:00:00Z"
    assert opened["status"] == "open"
    request_id = opened["id"]
    base = f"/v1/operator/support-requests/{request_id}"

    clock.advance(timedelta(hours=1))
    taken = await client.post(f"{base}/take-charge", headers=OPERATOR)
    assert taken.status_code == 200, taken.text
    assert taken.json()["taken_in_charge_at"] == "2026-11-02T11:00:00Z"

    clock.advance(timedelta(hours=1))
    qualified = await client.post(f"{base}/qualify", headers=OPERATOR, json={"criticity": 2})
    assert qualified.status_code == 200, qualified.text
    body = qualified.json()
    assert body["criticity"] == 2
    # Criticity 2: a fix within 6 working days, same local time (13:00 Paris) on the 6th.
    assert body["fix_by"] == "2026-11-10T12:00:00Z" and body["plan_by"] is None

    for action in ("resolve", "close"):
        clock.advance(timedelta(hours=1))
        assert (await client.post(f"{base}/{action}", headers=OPERATOR)).status_code == 200
    again = await client.post(f"{base}/close", headers=OPERATOR)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"

    final = await client.get(f"/v1/support-requests/{request_id}", headers=tenant_a.headers)
    events = final.json()["events"]
    assert [e["status"] for e in events] == [
        "open",
        "taken_in_charge",
        "qualified",
        "resolved",
        "closed",
    ]
    assert [e["at"][11:16] for e in events] == ["10:00", "11:00", "12:00", "13:00", "14:00"]
    assert events[1]["detail"] == {"on_time": True}


async def test_another_tenants_request_is_not_found(
    client: httpx.AsyncClient, tenant_a: Any, tenant_b: Any
) -> None:
    opened = await _open(client, tenant_a)
    response = await client.get(f"/v1/support-requests/{opened['id']}", headers=tenant_b.headers)
    assert response.status_code == 404
    assert (await client.get("/v1/support-requests", headers=tenant_b.headers)).json() == []
    mine = (await client.get("/v1/support-requests", headers=tenant_a.headers)).json()
    assert [r["id"] for r in mine] == [opened["id"]]
    # Tenants cannot move requests along: that is the operator's desk.
    refused = await client.post(
        f"/v1/operator/support-requests/{opened['id']}/take-charge", headers=tenant_a.headers
    )
    assert refused.status_code == 401


async def test_compliance_over_twelve_months(
    client: httpx.AsyncClient, tenant_a: Any, clock: FrozenClock
) -> None:
    on_time = await _open(client, tenant_a)
    await client.post(
        f"/v1/operator/support-requests/{on_time['id']}/take-charge", headers=OPERATOR
    )
    await _open(client, tenant_a, criticity=3)
    compliance = (
        await client.get("/v1/support-requests/compliance", headers=tenant_a.headers)
    ).json()
    assert (compliance["on_time"], compliance["late"], compliance["pending"]) == (1, 0, 1)
    assert compliance["share_percent"] == 100 and compliance["met"] is True

    clock.advance(timedelta(days=3))
    compliance = (
        await client.get("/v1/support-requests/compliance", headers=tenant_a.headers)
    ).json()
    assert (compliance["on_time"], compliance["late"]) == (1, 1)
    assert compliance["share_percent"] == 50 and compliance["target_percent"] == 75
    assert compliance["met"] is False

    clock.advance(timedelta(days=400))
    compliance = (
        await client.get("/v1/support-requests/compliance", headers=tenant_a.headers)
    ).json()
    assert compliance["share_percent"] is None


async def test_criticity_labels_and_deadlines_follow_the_tenants_offering(
    client: httpx.AsyncClient, settings: Settings, db_engine: Engine, clock: FrozenClock
) -> None:
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        created = tenants_service.create_tenant(
            session,
            name="Quadra",
            admin_email="a@quadra.example",
            offering="quadra-expert",
            secret=settings.secret_key,
            clock=clock,
        )
    headers = {"Authorization": f"Bearer {created.api_key}"}
    response = await client.post(
        "/v1/support-requests", headers=headers, json={**REQUEST, "criticity": "critique"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["criticity"] == 1
    assert response.json()["criticity_label"] == "Critique"
    unknown = await client.post(
        "/v1/support-requests", headers=headers, json={**REQUEST, "criticity": "urgent"}
    )
    assert unknown.status_code == 422
    assert unknown.json()["type"].endswith("/unknown-criticity")
