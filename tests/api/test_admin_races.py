"""Rules counting a tenant's users hold under concurrent requests, on SQLite and PostgreSQL.

Each test sends its requests at once (routes run in the server's thread pool, each with its own
database connection) and widens the window between the count and the write with a pause in
the count query: without the tenant's row lock every request counts the same figure and the
rule is broken (the adversarial pass got 6 users for a limit of 3, two external administrators,
and a tenant with no administrator left).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.tenants import limits, repository
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.models import Role
from dsnlink.tenants.schemas import Principal
from tests.api.conftest import TenantHandle

PAUSE_SECONDS = 0.3


def _slowed(function: Callable[..., Any]) -> Callable[..., Any]:
    def slow(*args: Any, **kwargs: Any) -> Any:
        result = function(*args, **kwargs)
        time.sleep(PAUSE_SECONDS)  # the window between counting and writing, made wide
        return result

    return slow


@pytest.fixture
def slow_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("count_active_with_role", "list_active_users"):
        monkeypatch.setattr(repository, name, _slowed(getattr(repository, name)))


def _active(engine: Engine, tenant_id: str, role: str | None = None) -> int:
    query = "SELECT count(*) FROM app_user WHERE tenant_id = :t AND removed_at IS NULL"
    params: dict[str, Any] = {"t": uuid.UUID(tenant_id)}
    if role:
        query += " AND role = :r"
        params["r"] = role
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            params["t"] = uuid.UUID(tenant_id).hex
        return int(connection.execute(sa.text(query), params).scalar_one())


async def test_user_limit_holds_under_concurrent_creations(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    db_engine: Engine,
    clock: FrozenClock,
    slow_counts: None,
) -> None:
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        limits.set_tenant_limit(
            session, tenant_id=uuid.UUID(tenant_a.id), name="users", value=3, clock=clock
        )
    responses = await asyncio.gather(
        *(
            client.post(
                "/v1/users",
                headers=tenant_a.headers,
                json={"email": f"user{i}@alpha.example", "role": "user"},
            )
            for i in range(8)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 201] + [422] * 6, [r.text for r in responses]
    assert _active(db_engine, tenant_a.id) == 3


async def test_at_most_one_external_administrator_under_concurrency(
    client: httpx.AsyncClient, tenant_a: TenantHandle, db_engine: Engine, slow_counts: None
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(
                "/v1/users",
                headers=tenant_a.headers,
                json={"email": f"ext{i}@alpha.example", "role": "external_saas_admin"},
            )
            for i in range(2)
        )
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    assert _active(db_engine, tenant_a.id, "external_saas_admin") == 1


async def test_two_administrators_removing_each_other_leave_one(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    db_engine: Engine,
    settings: Settings,
    clock: FrozenClock,
    slow_counts: None,
) -> None:
    created = await client.post(
        "/v1/users",
        headers=tenant_a.headers,
        json={"email": "second@alpha.example", "role": "saas_admin"},
    )
    assert created.status_code == 201, created.text
    second_id = uuid.UUID(created.json()["id"])
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        first = repository.get_user_by_email(
            session, tenant_id=uuid.UUID(tenant_a.id), email="admin@alpha.example"
        )
        assert first is not None
        first_id = first.id
        _, second_key = tenants_service.create_api_key(
            session,
            principal=Principal(
                tenant_id=uuid.UUID(tenant_a.id), user_id=second_id, role=Role.SAAS_ADMIN
            ),
            name="second's own",
            user_id=None,
            secret=settings.secret_key,
            clock=clock,
        )

    first_removes, second_removes = await asyncio.gather(
        client.delete(f"/v1/users/{second_id}", headers=tenant_a.headers),
        client.delete(
            f"/v1/users/{first_id}", headers={"Authorization": f"Bearer {second_key}"}
        ),
    )

    statuses = sorted([first_removes.status_code, second_removes.status_code])
    assert statuses[0] == 204 and statuses[1] in {401, 409}, (
        first_removes.text,
        second_removes.text,
    )
    assert _active(db_engine, tenant_a.id, "saas_admin") == 1
