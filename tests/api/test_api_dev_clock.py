"""The sandbox clock: set in development to test cut-off behaviour, refused in production."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from api.app import create_app
from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.tenants import service as tenants_service
from tests.api.dsn_files import dsn
from tests.conftest import production_settings

OCTET = {"Content-Type": "application/octet-stream"}


async def test_setting_the_clock_moves_the_cutoff(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    moved = await client.post(
        "/_dev/clock", headers=tenant_a.headers, json={"at": "2026-11-04T18:00:00+01:00"}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["now"].startswith("2026-11-04T17:00:00")
    late = await client.post(
        "/v1/declarations", content=dsn(), headers={**tenant_a.headers, **OCTET}
    )
    assert late.status_code == 422 and late.json()["type"].endswith("/cutoff-passed")
    back = await client.delete("/_dev/clock", headers=tenant_a.headers)
    assert back.json()["offset_seconds"] == 0
    on_time = await client.post(
        "/v1/declarations", content=dsn(), headers={**tenant_a.headers, **OCTET}
    )
    assert on_time.status_code == 201
    absurd = await client.post(
        "/_dev/clock", headers=tenant_a.headers, json={"at": "9999-12-31T23:59:59+00:00"}
    )
    assert absurd.status_code == 422
    anonymous = await client.post("/_dev/clock", json={"at": "2026-11-04T18:00:00+01:00"})
    assert anonymous.status_code == 401


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
async def test_the_clock_cannot_be_set_in_production(
    method: str,
    settings: Settings,
    db_engine: Engine,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Settings, "check_secrets", lambda self: None)
    production = production_settings(settings)
    app = create_app(production, engine=db_engine, clock=clock)
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        created = tenants_service.create_tenant(
            session,
            name="Prod",
            admin_email="a@prod.example",
            secret=production.secret_key,
            clock=clock,
        )
    headers = {"Authorization": f"Bearer {created.api_key}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://gateway") as client:
        response = await client.request(
            method,
            "/_dev/clock",
            headers=headers,
            json={"at": "2026-11-04T18:00:00+01:00"} if method == "POST" else None,
        )
    assert response.status_code == 403, response.text
    assert response.json()["type"].endswith("/dev-clock-refused")
    assert clock.now().year == 2026 and clock.now().month == 11 and clock.now().day == 2
