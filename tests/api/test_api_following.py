"""Following declarations: updated_since, keyset cursor, new filters, unknown filters refused,
status_changed_at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from dsnlink.clock import FrozenClock
from tests.api.dsn_files import NIC_A, SIREN_A, dsn

OCTET = {"Content-Type": "application/octet-stream"}
PROBLEMS = "https://dsnlink.example/problems/"
NICS = (NIC_A, "00082", "00090", "00017", "00009")


async def listing(client: httpx.AsyncClient, tenant: Any, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/declarations", headers=tenant.headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _five(
    client: httpx.AsyncClient, tenant: Any, register_company: Any, clock: FrozenClock
) -> list[dict[str, Any]]:
    await register_company(tenant, nics=NICS)
    created = []
    for seed, nic in enumerate(NICS):
        response = await client.post(
            "/v1/declarations",
            content=dsn(seed=seed, nic=nic),
            headers={**tenant.headers, **OCTET},
        )
        assert response.status_code == 201, response.text
        created.append(response.json())
        clock.advance(timedelta(minutes=1))
    return created


async def test_cursor_pages_are_stable_while_declarations_arrive(
    client: httpx.AsyncClient, tenant_a: Any, register_company: Any, clock: FrozenClock
) -> None:
    created = await _five(client, tenant_a, register_company, clock)
    first = await listing(client, tenant_a, limit=2)
    assert [d["id"] for d in first["items"]] == [created[4]["id"], created[3]["id"]]
    # A new declaration arrives between two pages: the next page neither repeats nor skips.
    newer = await client.post(
        "/v1/declarations",
        content=dsn(seed=9, month="2026-11"),
        headers={**tenant_a.headers, **OCTET},
    )
    assert newer.status_code == 201
    seen = [d["id"] for d in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = await listing(client, tenant_a, limit=2, cursor=cursor)
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [d["id"] for d in reversed(created)]


async def test_updated_since_follows_status_changes(
    client: httpx.AsyncClient, tenant_a: Any, register_company: Any, clock: FrozenClock
) -> None:
    created = await _five(client, tenant_a, register_company, clock)
    since = clock.now()
    assert (await listing(client, tenant_a, updated_since=since.isoformat()))["items"] == []
    clock.advance(timedelta(minutes=5))
    ordered = await client.post(
        f"/v1/declarations/{created[1]['id']}/transmit", headers=tenant_a.headers
    )
    assert ordered.status_code == 200
    assert ordered.json()["status_changed_at"] == clock.now().isoformat().replace("+00:00", "Z")
    feed = await listing(client, tenant_a, updated_since=since.isoformat())
    assert [(d["id"], d["status"]) for d in feed["items"]] == [(created[1]["id"], "ordered")]
    everything = await listing(
        client, tenant_a, updated_since=datetime(2020, 1, 1, tzinfo=UTC).isoformat(), limit=4
    )
    assert [d["id"] for d in everything["items"]] == [created[i]["id"] for i in (0, 2, 3, 4)]
    rest = await listing(
        client,
        tenant_a,
        updated_since=datetime(2020, 1, 1, tzinfo=UTC).isoformat(),
        limit=4,
        cursor=everything["next_cursor"],
    )
    assert [d["id"] for d in rest["items"]] == [created[1]["id"]]
    assert rest["next_cursor"] is None


async def test_new_filters(
    client: httpx.AsyncClient, tenant_a: Any, register_company: Any, clock: FrozenClock
) -> None:
    created = await _five(client, tenant_a, register_company, clock)
    by_siret = await listing(client, tenant_a, siret=SIREN_A + "00090")
    assert [d["id"] for d in by_siret["items"]] == [created[2]["id"]]
    assert (await listing(client, tenant_a, type="01"))["total"] == 5
    assert (await listing(client, tenant_a, type="03"))["total"] == 0
    received = [datetime.fromisoformat(d["received_at"]) for d in created]
    window = await listing(
        client,
        tenant_a,
        received_after=received[1].isoformat(),
        received_before=received[3].isoformat(),
    )
    assert {d["id"] for d in window["items"]} == {created[1]["id"], created[2]["id"]}


async def test_unknown_filters_and_bad_cursors_are_refused(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    for params in ({"sirett": "1"}, {"siren": "732829320"}, {"cursor": "garbage"}):
        response = await client.get("/v1/declarations", headers=tenant_a.headers, params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
    unknown = await client.get("/v1/declarations", headers=tenant_a.headers, params={"sirett": "1"})
    assert unknown.json()["type"] == PROBLEMS + "unknown-filter"
    assert unknown.json()["unknown"] == ["sirett"]
    naive = await client.get(
        "/v1/declarations",
        headers=tenant_a.headers,
        params={"updated_since": "2026-11-01T00:00:00"},
    )
    assert naive.status_code == 422
