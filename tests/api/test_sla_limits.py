"""Contractual limits on users and companies: a clear problem, and the operator's override."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy.engine import Engine

from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.tenants import limits

LIMIT = "https://dsnlink.example/problems/limit-exceeded"


def _set_limit(engine: Engine, tenant: Any, name: str, value: int, clock: FrozenClock) -> None:
    with db.unit_of_work(db.session_factory(engine)) as session:
        limits.set_tenant_limit(
            session, tenant_id=uuid.UUID(tenant.id), name=name, value=value, clock=clock
        )


async def test_user_limit_is_enforced_and_can_be_raised(
    client: httpx.AsyncClient, tenant_a: Any, db_engine: Engine, clock: FrozenClock
) -> None:
    _set_limit(db_engine, tenant_a, "users", 2, clock)
    first = await client.post("/v1/users", headers=tenant_a.headers, json={"email": "u1@a.example"})
    assert first.status_code == 201, first.text
    refused = await client.post(
        "/v1/users", headers=tenant_a.headers, json={"email": "u2@a.example"}
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert (body["type"], body["limit"], body["value"], body["requested"]) == (LIMIT, "users", 2, 3)
    assert "set-limit" in body["detail"]

    _set_limit(db_engine, tenant_a, "users", 3, clock)
    again = await client.post("/v1/users", headers=tenant_a.headers, json={"email": "u2@a.example"})
    assert again.status_code == 201


async def test_company_limit_is_enforced(
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    db_engine: Engine,
    clock: FrozenClock,
) -> None:
    _set_limit(db_engine, tenant_a, "companies", 1, clock)
    refused = await client.post(
        "/v1/companies",
        headers=tenant_a.headers,
        json={"siren": "552100554", "name": "B", "due_day": 5, "establishments": []},
    )
    assert refused.status_code == 422
    assert (refused.json()["type"], refused.json()["limit"]) == (LIMIT, "companies")
    listed = await client.get("/v1/companies", headers=tenant_a.headers)
    assert [c["siren"] for c in listed.json()] == [company_a["siren"]]
