"""Intake, tracking, the transmission order, receipts, cut-off, quota, through the HTTP API."""

from __future__ import annotations

import gzip
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.norm.sample import sample_bytes
from dsnlink.security.receipts import verify_receipt
from dsnlink.tenants import limits
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.limits import PAYSLIP_LIMIT

SIREN_A, NIC_A = "732829320", "00074"
OCTET = {"Content-Type": "application/octet-stream"}
PROBLEMS = "https://dsnlink.example/problems/"
# October 2026, due day 5: deadline Thu 2026-11-05 12:00 Paris; cut-off 2026-11-04 16:00 UTC.
OCTOBER_DEADLINE = "2026-11-05T11:00:00Z"
OCTOBER_CUTOFF = "2026-11-04T16:00:00Z"


def dsn(
    *,
    employees: int = 3,
    month: str = "2026-10",
    seed: int = 0,
    nic: str = NIC_A,
    siren: str = SIREN_A,
) -> bytes:
    return sample_bytes(employees=employees, month=month, seed=seed, siren=siren, nic=nic)


def rejected_dsn(seed: int = 0) -> bytes:
    """A file the norm controls reject (wrong S90 line count) that still names its company."""
    return dsn(seed=seed).replace(b"S90.G00.90.001,'", b"S90.G00.90.001,'9")


async def upload(
    client: httpx.AsyncClient,
    tenant: Any,
    body: bytes,
    *,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        "/v1/declarations",
        content=body,
        params=params,
        headers={**tenant.headers, **OCTET, **(headers or {})},
    )


def stored(engine: Engine, settings: Settings) -> tuple[int, list[Path]]:
    """Rows in `declaration` and files under data_dir/blobs (staging included)."""
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT count(*) FROM declaration")).scalar_one()
    root = settings.data_dir / "blobs"
    files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return rows, files


async def test_valid_upload_is_stored_encrypted_and_tracked(
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    db_engine: Engine,
    settings: Settings,
) -> None:
    body = dsn()
    response = await upload(client, tenant_a, body, params={"filename": "oct.dsn"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "validated"
    assert (created["nature"], created["type"], created["month"]) == ("01", "01", "2026-10")
    assert created["company"]["siren"] == SIREN_A
    assert created["establishment"]["siret"] == SIREN_A + NIC_A
    assert created["individuals"] == 3
    assert (created["deadline"], created["cutoff"]) == (OCTOBER_DEADLINE, OCTOBER_CUTOFF)
    assert created["guaranteed"] is True and created["late"] is False
    assert created["anomalies"] == []

    rows, files = stored(db_engine, settings)
    assert rows == 1 and len(files) == 1
    on_disk = files[0].read_bytes()
    assert body[:200] not in on_disk and b"S10.G00.00" not in on_disk

    from dsnlink.declarations.tracking import read_file
    from dsnlink.security.blobs import BlobStore
    from dsnlink.security.keys import keyring_from_settings

    blobs = BlobStore(settings.data_dir / "blobs", keyring_from_settings(settings))
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        decrypted = b"".join(
            read_file(session, declaration_id=uuid.UUID(created["id"]), blobs=blobs)
        )
    assert decrypted == body

    detail = await client.get(f"/v1/declarations/{created['id']}", headers=tenant_a.headers)
    assert detail.status_code == 200
    assert [e["status"] for e in detail.json()["timeline"]] == ["received", "validated"]
    assert detail.json()["filename"] == "oct.dsn"


async def test_gzip_upload_hashes_the_decompressed_bytes(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    import hashlib

    body = dsn(seed=4)
    compressed = gzip.compress(body[:5000]) + gzip.compress(body[5000:])  # two gzip members
    response = await upload(client, tenant_a, compressed, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 201, response.text
    assert response.json()["sha256"] == hashlib.sha256(body).hexdigest()
    assert response.json()["size"] == len(body)
    again = await upload(client, tenant_a, body)
    assert again.status_code == 409
    assert again.json()["declaration_id"] == response.json()["id"]


async def test_identical_bytes_are_refused_with_the_existing_id(
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    db_engine: Engine,
    settings: Settings,
) -> None:
    first = await upload(client, tenant_a, dsn())
    second = await upload(client, tenant_a, dsn())
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    assert second.json()["type"] == PROBLEMS + "duplicate-declaration"
    assert second.json()["declaration_id"] == first.json()["id"]
    assert first.json()["id"] in second.json()["detail"]
    rows, files = stored(db_engine, settings)
    assert (rows, len(files)) == (1, 1)


@pytest.mark.parametrize(
    ("siren", "nic", "named"),
    [("552100554", "00013", "SIREN 552100554"), (SIREN_A, "00082", "SIRET 73282932000082")],
)
async def test_foreign_siren_or_siret_is_403_and_stores_nothing(
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    db_engine: Engine,
    settings: Settings,
    siren: str,
    nic: str,
    named: str,
) -> None:
    response = await upload(client, tenant_a, dsn(siren=siren, nic=nic))
    assert response.status_code == 403
    assert response.json()["type"] == PROBLEMS + "establishment-not-registered"
    assert named in response.json()["detail"]
    assert response.json()["siret"] == siren + nic
    assert stored(db_engine, settings) == (0, [])


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"", {}, 400, "empty-upload"),
        (b"not gzip at all", {"Content-Encoding": "gzip"}, 400, "unreadable-input"),
        (
            gzip.compress(b"S10.G00.00.001,'x'\n", mtime=0)[:-6],
            {"Content-Encoding": "gzip"},
            400,
            "unreadable-input",
        ),
        (b"S10", {"Content-Encoding": "br"}, 415, "unsupported-upload"),
        (b"S10", {"Content-Type": "application/json"}, 415, "unsupported-upload"),
        (b"hello world\n", {}, 422, "unidentifiable-declaration"),
        (b"\xff\xfe\x00garbage", {}, 422, "unidentifiable-declaration"),
    ],
)
async def test_unreadable_uploads_are_refused_and_store_nothing(
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    db_engine: Engine,
    settings: Settings,
    body: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    response = await upload(client, tenant_a, body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEMS + code
    assert stored(db_engine, settings) == (0, [])


async def test_too_large_and_gzip_bomb_are_413(
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    db_engine: Engine,
    settings: Settings,
) -> None:
    too_big = b"S" * (settings.max_upload_bytes + 1)
    response = await upload(client, tenant_a, too_big)
    assert response.status_code == 413
    assert response.json()["max_bytes"] == settings.max_upload_bytes

    bomb = gzip.compress(b"\0" * (settings.max_upload_bytes * 4))
    assert len(bomb) < settings.max_upload_bytes // 100
    response = await upload(client, tenant_a, bomb, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413
    assert response.json()["type"] == PROBLEMS + "upload-too-large"
    assert stored(db_engine, settings) == (0, [])


async def test_rejected_declaration_is_stored_but_never_transmitted(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    response = await upload(client, tenant_a, rejected_dsn(), params={"transmit": "true"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "rejected"
    assert body["ordered_at"] is None
    assert body["anomaly_count"] >= 1
    assert {a["category"] for a in body["anomalies"]} >= {"bloquant"}

    order = await client.post(f"/v1/declarations/{body['id']}/transmit", headers=tenant_a.headers)
    assert order.status_code == 422
    assert order.json()["type"] == PROBLEMS + "declaration-rejected"
    assert order.json()["anomalies"][0]["rubric"] == "S90.G00.90.001"


async def test_transmission_order_is_recorded_and_queued_once(
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    db_engine: Engine,
    clock: FrozenClock,
) -> None:
    created = (await upload(client, tenant_a, dsn())).json()
    order = await client.post(
        f"/v1/declarations/{created['id']}/transmit", headers=tenant_a.headers
    )
    assert order.status_code == 200, order.text
    assert order.json()["status"] == "ordered"
    assert order.json()["ordered_at"] is not None
    with db_engine.connect() as connection:
        jobs = connection.execute(
            sa.text("SELECT status, attempts, ordered_by_user_id FROM transmission_job")
        ).all()
    assert [(j.status, j.attempts) for j in jobs] == [("queued", 0)]
    assert uuid.UUID(str(jobs[0].ordered_by_user_id)) == uuid.UUID(
        order.json()["ordered_by_user_id"]
    )

    twice = await client.post(
        f"/v1/declarations/{created['id']}/transmit", headers=tenant_a.headers
    )
    assert twice.status_code == 409
    assert twice.json()["type"] == PROBLEMS + "already-ordered"

    detail = await client.get(f"/v1/declarations/{created['id']}", headers=tenant_a.headers)
    timeline = detail.json()["timeline"]
    assert [e["status"] for e in timeline] == ["received", "validated", "ordered"]
    assert timeline[-1]["user_id"] == order.json()["ordered_by_user_id"]
    assert timeline[-1]["api_key_id"] is not None


async def test_upload_with_transmit_orders_at_once(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any], db_engine: Engine
) -> None:
    response = await upload(client, tenant_a, dsn(), params={"transmit": "true"})
    assert response.status_code == 201
    assert response.json()["status"] == "ordered"
    with db_engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM transmission_job")).scalar() == 1


async def test_after_cutoff_refused_unless_accept_late(
    client: httpx.AsyncClient,
    tenant_a: Any,
    register_company: Any,
    clock: FrozenClock,
    db_engine: Engine,
    settings: Settings,
) -> None:
    await register_company(tenant_a, nics=(NIC_A, "00082"))
    clock.set(datetime(2026, 11, 4, 16, 0, 1, tzinfo=UTC))
    refused = await upload(client, tenant_a, dsn())
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"] == PROBLEMS + "cutoff-passed"
    assert (problem["deadline"], problem["cutoff"]) == (
        "2026-11-05T11:00:00+00:00",
        "2026-11-04T16:00:00+00:00",
    )
    assert stored(db_engine, settings) == (0, [])

    late = await upload(client, tenant_a, dsn(), params={"accept_late": "true"})
    assert late.status_code == 201
    assert (late.json()["guaranteed"], late.json()["late"]) == (False, False)

    clock.set(datetime(2026, 11, 5, 11, 0, 1, tzinfo=UTC))
    after_deadline = await upload(
        client, tenant_a, dsn(seed=2, nic="00082"), params={"accept_late": "true"}
    )
    assert (after_deadline.json()["guaranteed"], after_deadline.json()["late"]) == (False, True)


async def test_signed_receipt_verifies_and_detects_tampering(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    created = (await upload(client, tenant_a, dsn())).json()
    receipt = (
        await client.get(f"/v1/declarations/{created['id']}/receipt", headers=tenant_a.headers)
    ).json()
    public = (await client.get("/v1/receipts/public-key")).json()
    assert receipt["key_id"] == public["key_id"]
    payload = receipt["payload"]
    assert payload == {
        "declaration_id": created["id"],
        "sha256": created["sha256"],
        "received_at": "2026-11-02T10:00:00+00:00",
        "deadline": "2026-11-05T11:00:00+00:00",
        "cutoff": "2026-11-04T16:00:00+00:00",
        "guaranteed": True,
        "kind": "intake",
        "version": 2,
        "status": "validated",
        "siren": SIREN_A,
        "nic": NIC_A,
        "month": "2026-10",
        "nature": "01",
        "type": "01",
    }
    assert verify_receipt(payload, receipt["signature"], public["public_key_pem"])
    assert not verify_receipt(
        {**payload, "guaranteed": False}, receipt["signature"], public["public_key_pem"]
    )
    assert not verify_receipt(
        {**payload, "received_at": "2026-11-01T10:00:00+00:00"},
        receipt["signature"],
        public["public_key_pem"],
    )


async def test_listing_filters_and_pagination(
    client: httpx.AsyncClient, tenant_a: Any, register_company: Any, clock: FrozenClock
) -> None:
    company = await register_company(tenant_a, nics=(NIC_A, "00082", "00090", "00017"))
    for seed, nic in enumerate((NIC_A, "00090", "00017")):
        assert (await upload(client, tenant_a, dsn(seed=seed, nic=nic))).status_code == 201
    assert (await upload(client, tenant_a, dsn(nic="00082"))).status_code == 201
    assert (await upload(client, tenant_a, dsn(month="2026-11"))).status_code == 201
    assert (await upload(client, tenant_a, rejected_dsn(seed=9))).status_code == 201

    async def listing(**params: Any) -> dict[str, Any]:
        response = await client.get("/v1/declarations", headers=tenant_a.headers, params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    assert (await listing())["total"] == 6
    page = await listing(limit=2, offset=1)
    assert (page["total"], len(page["items"]), page["limit"], page["offset"]) == (6, 2, 2, 1)
    assert (await listing(month="2026-11"))["total"] == 1
    assert (await listing(status="rejected"))["total"] == 1
    assert (await listing(nature="01", month="2026-10", status="validated"))["total"] == 4
    second = next(e for e in company["establishments"] if e["nic"] == "00082")
    assert (await listing(establishment_id=second["id"]))["total"] == 1
    assert (await listing(company_id=company["id"]))["total"] == 6
    assert (await listing(company_id=str(uuid.uuid4())))["total"] == 0
    bad = await client.get(
        "/v1/declarations", headers=tenant_a.headers, params={"status": "nonsense"}
    )
    assert bad.status_code == 422 and bad.json()["type"] == PROBLEMS + "invalid-request"


async def test_quota_of_payslips_per_company_per_year(
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    db_engine: Engine,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        tenant = tenants_service.get_tenant_by_reference_or_raise(session, reference="Alpha")
        limits.set_tenant_limit(
            session, tenant_id=tenant.id, name=PAYSLIP_LIMIT, value=5, clock=clock
        )
    assert (await upload(client, tenant_a, dsn(employees=3, month="2026-11"))).status_code == 201
    # Rejected declarations are not counted.
    assert (await upload(client, tenant_a, rejected_dsn(seed=3))).json()["status"] == "rejected"
    refused = await upload(client, tenant_a, dsn(employees=3, month="2026-12"))
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"] == PROBLEMS + "quota-exceeded"
    assert (problem["limit"], problem["used"], problem["requested"], problem["year"]) == (
        5,
        3,
        3,
        2026,
    )
    assert stored(db_engine, settings)[0] == 2
    assert (await upload(client, tenant_a, dsn(employees=2, month="2026-12"))).status_code == 201
    # Another year starts from zero.
    previous_year = await upload(
        client, tenant_a, dsn(employees=3, month="2025-12"), params={"accept_late": "true"}
    )
    assert previous_year.status_code == 201, previous_year.text


async def test_month_deadlines(
    client: httpx.AsyncClient, tenant_a: Any, register_company: Any
) -> None:
    await register_company(tenant_a, due_day=5)
    await register_company(tenant_a, siren="552100554", nics=("00013",), due_day=15)
    created = (await upload(client, tenant_a, dsn())).json()
    response = await client.get(
        "/v1/deadlines", headers=tenant_a.headers, params={"month": "2026-10"}
    )
    assert response.status_code == 200, response.text
    by_siren = {c["company"]["siren"]: c for c in response.json()["companies"]}
    assert by_siren[SIREN_A]["deadline"] == OCTOBER_DEADLINE
    assert by_siren[SIREN_A]["cutoff"] == OCTOBER_CUTOFF
    assert [(d["id"], d["status"]) for d in by_siren[SIREN_A]["declarations"]] == [
        (created["id"], "validated")
    ]
    assert by_siren["552100554"]["deadline"] == "2026-11-16T11:00:00Z"  # the 15th is a Sunday
    assert by_siren["552100554"]["declarations"] == []
    bad = await client.get("/v1/deadlines", headers=tenant_a.headers, params={"month": "2026-13"})
    assert bad.status_code == 422


async def test_another_tenants_declaration_is_404(
    client: httpx.AsyncClient, tenant_a: Any, tenant_b: Any, company_a: dict[str, Any]
) -> None:
    created = (await upload(client, tenant_a, dsn())).json()
    for method, path in [
        ("GET", f"/v1/declarations/{created['id']}"),
        ("GET", f"/v1/declarations/{created['id']}/receipt"),
        ("POST", f"/v1/declarations/{created['id']}/transmit"),
    ]:
        response = await client.request(method, path, headers=tenant_b.headers)
        assert response.status_code == 404, path
        assert response.json()["type"] == PROBLEMS + "not-found"
    assert (await client.get("/v1/declarations", headers=tenant_b.headers)).json()["total"] == 0
    # B cannot file for A's company, and identical bytes in B are no duplicate of A's.
    assert (await upload(client, tenant_b, dsn())).status_code == 403


async def test_announced_planned_maintenance_moves_the_cutoff_earlier(
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    db_engine: Engine,
    clock: FrozenClock,
) -> None:
    from dsnlink.service_status.models import Maintenance

    with db.unit_of_work(db.session_factory(db_engine)) as session:
        session.add(
            Maintenance(
                start=datetime(2026, 11, 4, 18, 0, tzinfo=UTC),
                end=datetime(2026, 11, 4, 22, 0, tzinfo=UTC),
                kind="planned",
                announced_at=datetime(2026, 11, 1, tzinfo=UTC),
                reason="database upgrade",
            )
        )
    # Four service hours lost inside the 12 before the deadline: the cut-off moves 4 h earlier.
    deadlines = await client.get(
        "/v1/deadlines", headers=tenant_a.headers, params={"month": "2026-10"}
    )
    assert deadlines.json()["companies"][0]["cutoff"] == "2026-11-04T12:00:00Z"
    created = (await upload(client, tenant_a, dsn())).json()
    assert created["cutoff"] == "2026-11-04T12:00:00Z"
