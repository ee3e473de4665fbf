"""Lifecycle through the HTTP API: delete a declaration never ordered, download the original
file (tenant-scoped, audited)."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dsnlink.config import Settings
from tests.api.dsn_files import dsn

OCTET = {"Content-Type": "application/octet-stream"}
PROBLEMS = "https://dsnlink.example/problems/"


async def upload(client: httpx.AsyncClient, tenant: Any, body: bytes, **headers: str) -> Any:
    response = await client.post(
        "/v1/declarations", content=body, headers={**tenant.headers, **OCTET, **headers}
    )
    assert response.status_code == 201, response.text
    return response.json()


def audit(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT action, declaration_id FROM declaration_access ORDER BY id")
        ).all()
    return [(action, str(declaration_id).replace("-", "")) for action, declaration_id in rows]


def blob_files(settings: Settings) -> list[Any]:
    root = settings.data_dir / "blobs"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def test_a_validated_declaration_never_ordered_can_be_deleted(
    client: httpx.AsyncClient,
    tenant_a: Any,
    tenant_b: Any,
    company_a: dict[str, Any],
    db_engine: Engine,
    settings: Settings,
) -> None:
    created = await upload(client, tenant_a, dsn())
    assert len(blob_files(settings)) == 1
    other_tenant = await client.delete(
        f"/v1/declarations/{created['id']}", headers=tenant_b.headers
    )
    assert other_tenant.status_code == 404
    deleted = await client.delete(f"/v1/declarations/{created['id']}", headers=tenant_a.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"/v1/declarations/{created['id']}", headers=tenant_a.headers)
    assert gone.status_code == 404
    assert blob_files(settings) == []
    assert audit(db_engine) == [("delete", created["id"].replace("-", ""))]
    # The month is free again: a corrected normal declaration can be sent.
    assert (await upload(client, tenant_a, dsn(seed=2)))["status"] == "validated"


async def test_an_ordered_declaration_cannot_be_deleted(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    created = await upload(client, tenant_a, dsn())
    ordered = await client.post(
        f"/v1/declarations/{created['id']}/transmit", headers=tenant_a.headers
    )
    assert ordered.status_code == 200
    refused = await client.delete(f"/v1/declarations/{created['id']}", headers=tenant_a.headers)
    assert refused.status_code == 409
    assert refused.json()["type"] == PROBLEMS + "not-cancellable"
    assert refused.json()["title"] == "Suppression impossible"


async def test_delete_and_order_racing_never_both_win(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any], db_engine: Engine
) -> None:
    created = await upload(client, tenant_a, dsn())
    url = f"/v1/declarations/{created['id']}"
    deleted, ordered = await asyncio.gather(
        client.delete(url, headers=tenant_a.headers),
        client.post(url + "/transmit", headers=tenant_a.headers),
    )
    assert (deleted.status_code == 204) != (ordered.status_code == 200), (
        deleted.text,
        ordered.text,
    )
    assert deleted.status_code < 500 and ordered.status_code < 500
    with db_engine.connect() as connection:
        jobs = connection.execute(sa.text("SELECT count(*) FROM transmission_job")).scalar_one()
        rows = connection.execute(sa.text("SELECT count(*) FROM declaration")).scalar_one()
    assert (rows, jobs) in {(0, 0), (1, 1)}


async def test_the_original_file_can_be_downloaded_by_its_tenant_only(
    client: httpx.AsyncClient,
    tenant_a: Any,
    tenant_b: Any,
    company_a: dict[str, Any],
    db_engine: Engine,
) -> None:
    body = dsn()
    created = await upload(client, tenant_a, gzip.compress(body), **{"Content-Encoding": "gzip"})
    url = f"/v1/declarations/{created['id']}/file"
    assert (await client.get(url, headers=tenant_b.headers)).status_code == 404
    response = await client.get(url, headers=tenant_a.headers)
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["content-type"] == "application/octet-stream"
    assert "attachment" in response.headers["content-disposition"]
    assert audit(db_engine) == [("download", created["id"].replace("-", ""))]
