"""Receipts that prove something: what the intake receipt names, a rejected file never
guaranteed, the deposit receipt absent before the deposit (the deposit itself: tests/webhooks)."""

from __future__ import annotations

from typing import Any

import httpx

from dsnlink.security.receipts import verify_receipt
from tests.api.dsn_files import NIC_A, SIREN_A, dsn

OCTET = {"Content-Type": "application/octet-stream"}


async def test_a_rejected_file_has_a_receipt_that_guarantees_nothing(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    spoilt = dsn(seed=3).replace(b"S90.G00.90.001,'", b"S90.G00.90.001,'9")
    created = await client.post(
        "/v1/declarations", content=spoilt, headers={**tenant_a.headers, **OCTET}
    )
    assert created.status_code == 201 and created.json()["status"] == "rejected"
    receipt = (
        await client.get(
            f"/v1/declarations/{created.json()['id']}/receipt", headers=tenant_a.headers
        )
    ).json()
    payload = receipt["payload"]
    assert (payload["status"], payload["guaranteed"]) == ("rejected", False)
    assert (payload["siren"], payload["nic"], payload["month"]) == (SIREN_A, NIC_A, "2026-10")
    assert (payload["nature"], payload["type"], payload["kind"]) == ("01", "01", "intake")
    public = (await client.get("/v1/receipts/public-key")).json()["public_key_pem"]
    assert verify_receipt(payload, receipt["signature"], public)
    assert not verify_receipt({**payload, "guaranteed": True}, receipt["signature"], public)

    deposit = await client.get(
        f"/v1/declarations/{created.json()['id']}/deposit-receipt", headers=tenant_a.headers
    )
    assert deposit.status_code == 404
    assert deposit.json()["type"] == "https://dsnlink.example/problems/not-deposited"


async def test_another_tenant_gets_no_receipt(
    client: httpx.AsyncClient, tenant_a: Any, tenant_b: Any, company_a: dict[str, Any]
) -> None:
    created = await client.post(
        "/v1/declarations", content=dsn(), headers={**tenant_a.headers, **OCTET}
    )
    for path in ("receipt", "deposit-receipt"):
        response = await client.get(
            f"/v1/declarations/{created.json()['id']}/{path}", headers=tenant_b.headers
        )
        assert response.status_code == 404
