"""Incidents recorded by the operator and the tenant's monthly availability."""

from __future__ import annotations

from typing import Any

import httpx

from dsnlink.config import PLACEHOLDER_SECRET

OPERATOR = {"Authorization": f"Bearer {PLACEHOLDER_SECRET}"}


async def test_availability_counts_only_outages_inside_the_reference_period(
    client: httpx.AsyncClient, tenant_a: Any
) -> None:
    incidents = [
        # Monday 2026-11-02, 09:00-10:00 Paris (08:00-09:00 UTC): inside the PRT, counted.
        {"start": "2026-11-02T08:00:00Z", "end": "2026-11-02T09:00:00Z", "cause": "outage"},
        # Overlaps the previous one by 30 min: counted once.
        {"start": "2026-11-02T08:30:00Z", "end": "2026-11-02T09:30:00Z", "cause": "outage"},
        # The deposit point (a third party) does not count.
        {"start": "2026-11-03T08:00:00Z", "end": "2026-11-03T12:00:00Z", "cause": "third_party"},
        # Night (outside 07:00-20:00 Paris): not counted.
        {"start": "2026-11-04T22:00:00Z", "end": "2026-11-05T03:00:00Z", "cause": "outage"},
    ]
    for incident in incidents:
        created = await client.post("/v1/operator/incidents", headers=OPERATOR, json=incident)
        assert created.status_code == 201, created.text
        assert created.json()["source"] == "operator"

    response = await client.get("/v1/sla/availability?month=2026-11", headers=tenant_a.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["offering"] == "hr-sprint"
    assert body["downtime_minutes"] == 90
    # November 2026: 20 working days (11 November is a holiday) of 13 hours.
    assert body["prt_minutes"] == 20 * 13 * 60
    assert body["availability_percent"] == round((15600 - 90) / 15600 * 100, 4)
    assert body["target_percent"] == 99 and body["met"] is True

    october = await client.get("/v1/sla/availability?month=2026-10", headers=tenant_a.headers)
    assert october.json()["downtime_minutes"] == 0


async def test_an_ongoing_incident_counts_until_now_and_can_be_ended(
    client: httpx.AsyncClient, tenant_a: Any
) -> None:
    # The clock is Monday 2026-11-02 10:00 UTC (11:00 Paris).
    created = await client.post(
        "/v1/operator/incidents",
        headers=OPERATOR,
        json={"start": "2026-11-02T09:00:00Z", "cause": "outage", "note": "base saturée"},
    )
    assert created.json()["end"] is None
    body = (await client.get("/v1/sla/availability?month=2026-11", headers=tenant_a.headers)).json()
    assert body["downtime_minutes"] == 60

    incident_id = created.json()["id"]
    ended = await client.post(
        f"/v1/operator/incidents/{incident_id}/end",
        headers=OPERATOR,
        json={"end": "2026-11-02T09:15:00Z"},
    )
    assert ended.status_code == 200
    again = await client.post(
        f"/v1/operator/incidents/{incident_id}/end",
        headers=OPERATOR,
        json={"end": "2026-11-02T09:20:00Z"},
    )
    assert again.status_code == 409
    body = (await client.get("/v1/sla/availability?month=2026-11", headers=tenant_a.headers)).json()
    assert body["downtime_minutes"] == 15
    listed = (await client.get("/v1/operator/incidents", headers=OPERATOR)).json()
    assert [(i["note"], i["end"]) for i in listed] == [("base saturée", "2026-11-02T09:15:00Z")]


async def test_bad_month_and_bad_incident_are_problems(
    client: httpx.AsyncClient, tenant_a: Any
) -> None:
    bad = await client.get("/v1/sla/availability?month=2026-13", headers=tenant_a.headers)
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    unknown = await client.post(
        "/v1/operator/incidents",
        headers=OPERATOR,
        json={"start": "2026-11-02T09:00:00Z", "cause": "gremlins"},
    )
    assert unknown.status_code == 422
    backwards = await client.post(
        "/v1/operator/incidents",
        headers=OPERATOR,
        json={"start": "2026-11-02T09:00:00Z", "end": "2026-11-02T08:00:00Z", "cause": "outage"},
    )
    assert backwards.status_code == 422
    assert (await client.get("/v1/sla/availability?month=2026-11")).status_code == 401
