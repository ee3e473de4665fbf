"""API keys: scopes (read, upload, transmit, admin), expiry, the last administration key, and
`dsnlink tenant issue-key` for the operator."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dsnlink.cli import main
from dsnlink.clock import FrozenClock
from tests.api.dsn_files import dsn

OCTET = {"Content-Type": "application/octet-stream"}
PROBLEMS = "https://dsnlink.example/problems/"


async def new_key(client: httpx.AsyncClient, tenant: Any, **body: Any) -> dict[str, Any]:
    response = await client.post("/v1/api-keys", headers=tenant.headers, json={"name": "k", **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def bearer(key: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {key['key']}"}


async def test_scopes_limit_what_a_key_may_do(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    reader = await new_key(client, tenant_a, scopes=["read"])
    assert reader["scopes"] == ["read"]
    uploader = await new_key(client, tenant_a, scopes=["read", "upload"])

    assert (await client.get("/v1/declarations", headers=bearer(reader))).status_code == 200
    refused = await client.post(
        "/v1/declarations", content=dsn(), headers={**bearer(reader), **OCTET}
    )
    assert refused.status_code == 403
    assert refused.json()["type"] == PROBLEMS + "scope-required"
    assert refused.json()["required_scope"] == "upload"
    assert "« upload »" in refused.json()["detail"]

    created = await client.post(
        "/v1/declarations", content=dsn(), headers={**bearer(uploader), **OCTET}
    )
    assert created.status_code == 201
    order = await client.post(
        f"/v1/declarations/{created.json()['id']}/transmit", headers=bearer(uploader)
    )
    assert order.status_code == 403 and order.json()["required_scope"] == "transmit"
    webhook = await client.post(
        "/v1/webhooks", headers=bearer(uploader), json={"url": "https://paie.example/h"}
    )
    assert webhook.status_code == 403 and webhook.json()["required_scope"] == "admin"


async def test_an_expired_key_is_refused(
    client: httpx.AsyncClient, tenant_a: Any, clock: FrozenClock
) -> None:
    expiring = await new_key(
        client, tenant_a, expires_at=(clock.now() + timedelta(hours=1)).isoformat()
    )
    assert (await client.get("/v1/declarations", headers=bearer(expiring))).status_code == 200
    clock.advance(timedelta(hours=1))
    expired = await client.get("/v1/declarations", headers=bearer(expiring))
    assert expired.status_code == 401
    past = await client.post(
        "/v1/api-keys",
        headers=tenant_a.headers,
        json={"name": "old", "expires_at": (clock.now() - timedelta(days=1)).isoformat()},
    )
    assert past.status_code == 422


async def test_the_last_admin_key_cannot_be_revoked(
    client: httpx.AsyncClient, tenant_a: Any
) -> None:
    keys = (await client.get("/v1/api-keys", headers=tenant_a.headers)).json()
    (first,) = keys
    reader = await new_key(client, tenant_a, scopes=["read"])
    refused = await client.delete(f"/v1/api-keys/{first['id']}", headers=tenant_a.headers)
    assert refused.status_code == 409
    assert refused.json()["type"] == PROBLEMS + "last-admin-key"
    assert (
        await client.delete(f"/v1/api-keys/{reader['id']}", headers=tenant_a.headers)
    ).status_code == 200
    second_admin = await new_key(client, tenant_a)
    revoked = await client.delete(f"/v1/api-keys/{first['id']}", headers=bearer(second_admin))
    assert revoked.status_code == 200


async def test_two_admin_keys_revoked_at_once_leave_one(
    client: httpx.AsyncClient, tenant_a: Any, db_engine: Engine
) -> None:
    (first,) = (await client.get("/v1/api-keys", headers=tenant_a.headers)).json()
    second = await new_key(client, tenant_a)
    answers = await asyncio.gather(
        client.delete(f"/v1/api-keys/{first['id']}", headers=bearer(second)),
        client.delete(f"/v1/api-keys/{second['id']}", headers=tenant_a.headers),
    )
    # The loser either finds its own key revoked (401) or is the last admin key (409).
    codes = sorted(a.status_code for a in answers)
    assert codes[0] == 200 and codes[1] in {401, 409}, [a.text for a in answers]
    with db_engine.connect() as connection:
        live = connection.execute(
            sa.text("SELECT count(*) FROM api_key WHERE revoked_at IS NULL")
        ).scalar_one()
    assert live == 1


async def test_the_operator_issues_a_key(
    client: httpx.AsyncClient,
    tenant_a: Any,
    cli_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["tenant", "issue-key", "Alpha", "--scopes", "read,upload", "--json"])
    assert code == 0
    issued = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    headers = {"Authorization": f"Bearer {issued['api_key']}"}
    assert (await client.get("/v1/declarations", headers=headers)).status_code == 200
    assert (
        await client.post("/v1/webhooks", headers=headers, json={"url": "https://x.example/h"})
    ).status_code == 403
    assert main(["tenant", "issue-key", "Alpha", "--scopes", "everything"]) != 0
