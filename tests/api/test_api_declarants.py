"""Declarants through the API: corrected, checked at the deposit point, removed; an order that
could only fail is refused up front; a file meant for the MSA is refused at intake."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from benchmarks.harness import mock_deposit_point
from dsnlink.config import Settings
from dsnlink.norm.sample import sample_bytes
from tests.api.conftest import NIC_A, SIREN_A, TenantHandle

MONTH = "2026-10"
KNOWN = {"siret": "99900000300015", "nom": "declarant", "prenom": "declarant"}
PROBLEM = "application/problem+json"


@pytest.fixture
def mock_url() -> Iterator[str]:
    with mock_deposit_point(accept_unknown_declarants=False) as url:
        yield url


@pytest.fixture
def settings(settings: Settings, mock_url: str) -> Settings:
    """The gateway's settings, talking to a mock that knows only its own test identities."""
    return settings.model_copy(
        update={"deposit_point_url": mock_url, "deposit_point_cache_max_seconds": 0.0}
    )


async def _declarant_of(client: httpx.AsyncClient, tenant: TenantHandle) -> dict[str, Any]:
    [declarant] = (await client.get("/v1/declarants", headers=tenant.headers)).json()
    return dict(declarant)


async def _upload(client: httpx.AsyncClient, tenant: TenantHandle, body: bytes) -> httpx.Response:
    return await client.post(
        "/v1/declarations",
        params={"accept_late": "true"},
        content=body,
        headers={**tenant.headers, "Content-Type": "application/octet-stream"},
    )


async def test_an_unknown_declarant_is_found_by_the_check_and_blocks_ordering_until_fixed(
    client: httpx.AsyncClient, tenant_a: TenantHandle, company_a: dict[str, Any]
) -> None:
    declarant = await _declarant_of(client, tenant_a)
    checked = await client.post(f"/v1/declarants/{declarant['id']}/check", headers=tenant_a.headers)
    assert checked.status_code == 200, checked.text
    assert checked.json()["check_status"] == "unknown"
    assert "ne connaît pas ce déclarant" in checked.json()["check_message"]
    upload = await _upload(
        client, tenant_a, sample_bytes(employees=2, month=MONTH, seed=3, siren=SIREN_A, nic=NIC_A)
    )
    assert upload.status_code == 201, upload.text
    declaration_id = upload.json()["id"]

    refused = await client.post(
        f"/v1/declarations/{declaration_id}/transmit", headers=tenant_a.headers
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["type"].endswith("/declarant-not-ready")
    assert f"/v1/declarants/{declarant['id']}/check" in refused.json()["detail"]

    fixed = await client.patch(
        f"/v1/declarants/{declarant['id']}", headers=tenant_a.headers, json=KNOWN
    )
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["nom"], fixed.json()["check_status"]) == ("declarant", None)
    rechecked = await client.post(
        f"/v1/declarants/{declarant['id']}/check", headers=tenant_a.headers
    )
    assert rechecked.json()["check_status"] == "ok"
    ordered = await client.post(
        f"/v1/declarations/{declaration_id}/transmit", headers=tenant_a.headers
    )
    assert ordered.status_code == 200, ordered.text
    assert ordered.json()["status"] == "ordered"


async def test_a_corrected_password_is_encrypted_again_and_the_identity_key_cleared(
    client: httpx.AsyncClient, tenant_a: TenantHandle, company_a: dict[str, Any], db_engine: Engine
) -> None:
    declarant = await _declarant_of(client, tenant_a)
    with db_engine.begin() as connection:
        connection.execute(sa.text("UPDATE declarant SET identity_key = 'stale'"))
    response = await client.patch(
        f"/v1/declarants/{declarant['id']}",
        headers=tenant_a.headers,
        json={"password": "Nouveau-Mot-2026"},
    )
    assert response.status_code == 200, response.text
    assert "password" not in response.json()
    with db_engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT password_encrypted, identity_key FROM declarant")
        ).one()
    assert "Nouveau-Mot-2026" not in row[0] and row[1] is None
    empty = await client.patch(
        f"/v1/declarants/{declarant['id']}", headers=tenant_a.headers, json={}
    )
    assert empty.status_code == 422


async def test_a_declarant_is_removed_unless_its_transmissions_are_under_way(
    client: httpx.AsyncClient, tenant_a: TenantHandle, company_a: dict[str, Any]
) -> None:
    declarant = await _declarant_of(client, tenant_a)
    body = sample_bytes(employees=2, month=MONTH, seed=4, siren=SIREN_A, nic=NIC_A)
    upload = await client.post(
        "/v1/declarations",
        params={"accept_late": "true", "transmit": "true"},
        content=body,
        headers={**tenant_a.headers, "Content-Type": "application/octet-stream"},
    )
    assert upload.json()["status"] == "ordered"
    busy = await client.delete(f"/v1/declarants/{declarant['id']}", headers=tenant_a.headers)
    assert busy.status_code == 409
    assert busy.json()["type"].endswith("/declarant-in-use")

    assert (await _declarant_of(client, tenant_a))["id"] == declarant["id"]  # still there
    company = (
        await client.get(f"/v1/companies/{company_a['id']}", headers=tenant_a.headers)
    ).json()
    assert company["declarant_id"] == declarant["id"]


async def test_removing_a_declarant_leaves_its_companies_without_one(
    client: httpx.AsyncClient, tenant_a: TenantHandle, company_a: dict[str, Any]
) -> None:
    declarant = await _declarant_of(client, tenant_a)
    removed = await client.delete(f"/v1/declarants/{declarant['id']}", headers=tenant_a.headers)
    assert removed.status_code == 204
    assert (await client.get("/v1/declarants", headers=tenant_a.headers)).json() == []
    company = (
        await client.get(f"/v1/companies/{company_a['id']}", headers=tenant_a.headers)
    ).json()
    assert company["declarant_id"] is None
    again = await client.delete(f"/v1/declarants/{declarant['id']}", headers=tenant_a.headers)
    assert again.status_code == 404
    upload = await client.post(
        "/v1/declarations",
        params={"accept_late": "true", "transmit": "true"},
        content=sample_bytes(employees=2, month=MONTH, seed=6, siren=SIREN_A, nic=NIC_A),
        headers={**tenant_a.headers, "Content-Type": "application/octet-stream"},
    )
    assert upload.status_code == 422
    assert upload.json()["reason"] == "no-declarant"
    listed = (await client.get("/v1/declarations", headers=tenant_a.headers)).json()
    assert listed["total"] == 0  # nothing stored by the refused upload


async def test_another_tenants_declarant_is_absent(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    tenant_b: TenantHandle,
    company_a: dict[str, Any],
) -> None:
    declarant = await _declarant_of(client, tenant_a)
    path = f"/v1/declarants/{declarant['id']}"
    assert (await client.patch(path, headers=tenant_b.headers, json=KNOWN)).status_code == 404
    assert (await client.delete(path, headers=tenant_b.headers)).status_code == 404
    assert (await client.post(f"{path}/check", headers=tenant_b.headers)).status_code == 404
    assert (await _declarant_of(client, tenant_a))["nom"] == declarant["nom"]


async def test_a_file_for_the_msa_deposit_point_is_refused_at_intake(
    client: httpx.AsyncClient, tenant_a: TenantHandle, company_a: dict[str, Any]
) -> None:
    body = sample_bytes(employees=2, month=MONTH, seed=7, siren=SIREN_A, nic=NIC_A)
    assert b"S10.G00.00.007,'01'" in body
    msa = body.replace(b"S10.G00.00.007,'01'", b"S10.G00.00.007,'02'")
    refused = await _upload(client, tenant_a, msa)
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("/msa-deposit-point")
    assert "msa.fr" in refused.json()["detail"]
    assert (await client.get("/v1/declarations", headers=tenant_a.headers)).json()["total"] == 0
