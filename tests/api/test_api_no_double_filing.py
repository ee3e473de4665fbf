"""No double filing, through the HTTP API: Idempotency-Key, identical content, a second normal
declaration of the same month, annule-et-remplace rules."""

from __future__ import annotations

import asyncio
import gzip
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dsnlink.clock import FrozenClock
from tests.api.dsn_files import NIC_A, correction, dsn, order_number

OCTET = {"Content-Type": "application/octet-stream"}
PROBLEMS = "https://dsnlink.example/problems/"


async def upload(
    client: httpx.AsyncClient,
    tenant: Any,
    body: bytes,
    *,
    key: str | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await client.post(
        "/v1/declarations",
        content=body,
        params=params,
        headers={**tenant.headers, **OCTET, **extra, **(headers or {})},
    )


def count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


async def test_same_key_same_body_gives_the_original_answer(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any], db_engine: Engine
) -> None:
    key = str(uuid.uuid4())
    first = await upload(client, tenant_a, dsn(), key=key)
    assert first.status_code == 201, first.text
    again = await upload(client, tenant_a, dsn(), key=key)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert count(db_engine, "declaration") == 1

    other = await upload(client, tenant_a, dsn(seed=5), key=key)
    assert other.status_code == 422
    assert other.json()["type"] == PROBLEMS + "idempotency-key-reused"
    assert count(db_engine, "declaration") == 1


async def test_keys_are_per_tenant_and_kept_24_hours(
    client: httpx.AsyncClient,
    tenant_a: Any,
    tenant_b: Any,
    register_company: Any,
    clock: FrozenClock,
) -> None:
    await register_company(tenant_a, nics=(NIC_A, "00082"))
    await register_company(tenant_b, siren="552100554", nics=("00013",))
    key = "publisher-run-42"
    assert (await upload(client, tenant_a, dsn(), key=key)).status_code == 201
    other_tenant = await upload(
        client, tenant_b, dsn(siren="552100554", nic="00013"), key=key
    )
    assert other_tenant.status_code == 201 and "Idempotent-Replayed" not in other_tenant.headers
    clock.advance(timedelta(hours=24, seconds=1))
    reused = await upload(
        client, tenant_a, dsn(seed=3, nic="00082"), key=key, params={"accept_late": "true"}
    )
    assert reused.status_code == 201, reused.text
    assert "Idempotent-Replayed" not in reused.headers


async def test_a_refused_request_stores_no_answer(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any], clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 11, 4, 17, 0, tzinfo=UTC))
    refused = await upload(client, tenant_a, dsn(), key="k1")
    assert refused.status_code == 422 and refused.json()["type"] == PROBLEMS + "cutoff-passed"
    accepted = await upload(client, tenant_a, dsn(), key="k1", params={"accept_late": "true"})
    assert accepted.status_code == 201, accepted.text


async def test_concurrent_twins_with_one_key_file_once(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any], db_engine: Engine
) -> None:
    key = str(uuid.uuid4())
    answers = await asyncio.gather(*(upload(client, tenant_a, dsn(), key=key) for _ in range(4)))
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum("Idempotent-Replayed" in a.headers for a in answers) == 3
    assert count(db_engine, "declaration") == 1


async def test_transmit_is_idempotent(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any], db_engine: Engine
) -> None:
    created = (await upload(client, tenant_a, dsn())).json()
    second = (await upload(client, tenant_a, dsn(month="2026-11"))).json()
    url = f"/v1/declarations/{created['id']}/transmit"
    headers = {**tenant_a.headers, "Idempotency-Key": "order-1"}
    first = await client.post(url, headers=headers)
    assert first.status_code == 200, first.text
    again = await client.post(url, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == created["id"] and again.json()["status"] == "ordered"
    without_key = await client.post(url, headers=tenant_a.headers)
    assert without_key.status_code == 409
    other = await client.post(f"/v1/declarations/{second['id']}/transmit", headers=headers)
    assert other.status_code == 422
    assert other.json()["type"] == PROBLEMS + "idempotency-key-reused"
    assert count(db_engine, "transmission_job") == 1


async def test_other_line_endings_or_compression_are_the_same_file(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    body = dsn()
    created = await upload(client, tenant_a, body)
    assert created.status_code == 201
    for variant, headers in (
        (body.replace(b"\n", b"\r\n"), {}),
        (body.rstrip(b"\n"), {}),
        (body.replace(b"\n", b"\r"), {}),
        (gzip.compress(body.replace(b"\n", b"\r\n")), {"Content-Encoding": "gzip"}),
        (gzip.compress(body), {}),  # gzip recognised by its magic bytes
    ):
        again = await upload(client, tenant_a, variant, headers=headers)
        assert again.status_code == 409, again.text
        assert again.json()["type"] == PROBLEMS + "duplicate-declaration"
        assert again.json()["declaration_id"] == created.json()["id"]


async def test_gzip_without_content_encoding_is_read(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    body = dsn(seed=8)
    created = await upload(client, tenant_a, gzip.compress(body))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "validated" and created.json()["size"] == len(body)


async def test_a_second_normal_declaration_of_the_month_is_refused(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    first = await upload(client, tenant_a, dsn())
    second = await upload(client, tenant_a, dsn(seed=1))
    assert second.status_code == 409
    problem = second.json()
    assert problem["type"] == PROBLEMS + "declaration-already-filed"
    assert problem["declaration_id"] == first.json()["id"]
    assert first.json()["id"] in problem["detail"]
    # Another month is another declaration.
    assert (await upload(client, tenant_a, dsn(seed=1, month="2026-11"))).status_code == 201


async def test_a_rejected_file_does_not_hold_the_month(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    spoilt = dsn(seed=2).replace(b"S90.G00.90.001,'", b"S90.G00.90.001,'9")
    rejected = await upload(client, tenant_a, spoilt)
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["guaranteed"] is False
    assert (await upload(client, tenant_a, dsn())).status_code == 201


async def test_concurrent_normal_declarations_of_one_month(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any], db_engine: Engine
) -> None:
    answers = await asyncio.gather(*(upload(client, tenant_a, dsn(seed=s)) for s in range(4)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409, 409], [a.text for a in answers]
    assert count(db_engine, "declaration") == 1


async def test_annule_et_remplace_refers_to_a_filed_declaration(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    original = dsn()
    first = await upload(client, tenant_a, original)
    assert first.status_code == 201
    unknown = await upload(client, tenant_a, correction(dsn(seed=1), replaces="03112026999999"))
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["type"] == PROBLEMS + "replaced-declaration-unknown"
    replacing = await upload(
        client, tenant_a, correction(dsn(seed=1), replaces=order_number(original))
    )
    assert replacing.status_code == 201, replacing.text
    assert replacing.json()["type"] == "03" and replacing.json()["status"] == "validated"


async def test_annule_et_remplace_without_any_declaration_is_refused(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    refused = await upload(client, tenant_a, correction(dsn(seed=1), replaces="03112026123456"))
    assert refused.status_code == 422
    assert refused.json()["type"] == PROBLEMS + "replaced-declaration-unknown"


async def test_annule_et_remplace_after_its_limit_is_refused_even_late(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any], clock: FrozenClock
) -> None:
    original = dsn()
    assert (await upload(client, tenant_a, original)).status_code == 201
    # October 2026, due day 5: deadline Thu 5 Nov 12:00 Paris; A&R until Thu 5 Nov 00:00 Paris.
    clock.set(datetime(2026, 11, 4, 23, 0, 1, tzinfo=UTC))
    refused = await upload(
        client,
        tenant_a,
        correction(dsn(seed=1), replaces=order_number(original)),
        params={"accept_late": "true"},
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == PROBLEMS + "replacement-too-late"
    assert problem["limit"] == "2026-11-04T23:00:00+00:00"
