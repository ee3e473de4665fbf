"""Issue 16's findings on the API, each answered (in-process, SQLite and PostgreSQL).

Metric labels bounded and readiness details kept private (5), the key-prefix DoS (6), acting
as another administrator (7), oracles for restricted users (8), NUL in a path (9), a database
outage (10), rate-limit rows hashed and expiring (13), the storage quota (17).
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from api.app import create_app
from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.norm.sample import sample_bytes
from dsnlink.observability.health import DepositPointProbe
from tests.api.conftest import NIC_A, NIC_B, SIREN_A, SIREN_B, CompanyFactory, TenantHandle

PROBLEMS = "https://dsnlink.example/problems/"
OCTET = {"Content-Type": "application/octet-stream"}


async def _open(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://gateway",
    )


# --- 5. metric labels, readiness details ----------------------------------------------------------


async def test_client_chosen_methods_do_not_grow_the_metrics(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    for index in range(60):
        await client.request(f"X{uuid.uuid4().hex[:10].upper()}{index}", "/v1/tenant")
    metrics = (await client.get("/metrics")).text
    methods = {
        line.split('method="')[1].split('"')[0]
        for line in metrics.splitlines()
        if line.startswith("dsnlink_http_requests_total{")
    }
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"}
    assert "OTHER" in methods
    assert len(metrics) < 100_000


async def test_public_readiness_names_failed_checks_but_not_hosts_or_urls(
    settings: Settings, db_engine: Engine, clock: FrozenClock
) -> None:
    token = "scrape-" + uuid.uuid4().hex
    app = create_app(
        settings.model_copy(
            update={
                "deposit_point_url": "http://deposit.internal.example:8443",
                "metrics_token": SecretStr(token),
            }
        ),
        engine=db_engine,
        clock=clock,
    )

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"{request.url} refused the connection", request=request)

    app.state.deposit_probe = DepositPointProbe(
        "http://deposit.internal.example:8443",
        timeout=1,
        cache_seconds=0,
        transport=httpx.MockTransport(refuse),
    )
    async with await _open(app) as client:
        public = await client.get("/health/ready")
        detailed = await client.get("/health/ready", headers={"Authorization": f"Bearer {token}"})
    assert public.status_code == 503
    assert public.json()["failed"] == ["deposit_point"]
    assert "deposit.internal.example" not in public.text
    assert db_engine.url.database and db_engine.url.database not in public.text
    assert "detail" not in public.json()["checks"]["database"]
    assert "deposit.internal.example" in detailed.text


async def test_metrics_need_a_token_outside_development(
    settings: Settings, db_engine: Engine, clock: FrozenClock
) -> None:
    from tests.conftest import production_settings

    production = production_settings(settings)
    async with await _open(create_app(production, engine=db_engine, clock=clock)) as client:
        assert (await client.get("/metrics")).status_code == 404
    token = uuid.uuid4().hex + uuid.uuid4().hex
    with_token = production.model_copy(update={"metrics_token": SecretStr(token)})
    async with await _open(create_app(with_token, engine=db_engine, clock=clock)) as client:
        scraped = await client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200


# --- 6. key-prefix DoS --------------------------------------------------------------------------


async def test_junk_sent_with_a_victims_prefix_never_uses_its_quota(
    settings: Settings, db_engine: Engine, clock: FrozenClock, make_tenant: Any
) -> None:
    victim = make_tenant("Victim")
    prefix = victim.api_key.split("_")[1]
    junk = {"Authorization": f"Bearer dsnl_{prefix}_{'A' * 43}"}
    limited = settings.model_copy(update={"rate_limit_per_minute": 3})
    app = create_app(limited, engine=db_engine, clock=clock)
    attacker = httpx.AsyncClient(
        transport=httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=("203.0.113.66", 4000)
        ),
        base_url="http://gateway",
    )
    async with attacker, await _open(app) as owner:
        attempts = [(await attacker.get("/v1/tenant", headers=junk)).status_code for _ in range(8)]
        # Failed attempts count against the attacker's address, not against the key.
        assert attempts[:3] == [401, 401, 401] and set(attempts[3:]) == {429}
        for _ in range(3):
            assert (await owner.get("/v1/tenant", headers=victim.headers)).status_code == 200
        assert (await owner.get("/v1/tenant", headers=victim.headers)).status_code == 429


# --- 7. acting as another administrator ---------------------------------------------------------


async def test_an_administrator_cannot_act_as_another(
    client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    other_admin = (
        await client.post(
            "/v1/users",
            headers=tenant_a.headers,
            json={"email": "other@alpha.example", "role": "saas_admin"},
        )
    ).json()
    plain_user = (
        await client.post(
            "/v1/users", headers=tenant_a.headers, json={"email": "u@alpha.example", "role": "user"}
        )
    ).json()
    me = (await client.get("/v1/users", headers=tenant_a.headers)).json()
    my_id = next(u["id"] for u in me if u["email"] == "admin@alpha.example")

    as_admin = await client.post(
        "/v1/api-keys", headers=tenant_a.headers, json={"name": "x", "user_id": other_admin["id"]}
    )
    reset = await client.patch(
        f"/v1/users/{other_admin['id']}",
        headers=tenant_a.headers,
        json={"password": "a new password for them"},
    )
    for_user = await client.post(
        "/v1/api-keys", headers=tenant_a.headers, json={"name": "y", "user_id": plain_user["id"]}
    )
    own_password = await client.patch(
        f"/v1/users/{my_id}", headers=tenant_a.headers, json={"password": "my own new password"}
    )

    assert as_admin.status_code == 403
    assert as_admin.json()["type"] == PROBLEMS + "acting-as-another-administrator"
    assert reset.status_code == 403
    assert for_user.status_code == 201
    assert for_user.json()["user_id"] == plain_user["id"]
    assert for_user.json()["created_by_user_id"] == my_id
    assert own_password.status_code == 200
    listed = (await client.get("/v1/api-keys", headers=tenant_a.headers)).json()
    assert {k["created_by_user_id"] for k in listed} == {my_id}


# --- 8. oracles for restricted users ------------------------------------------------------------


async def test_restricted_user_gets_one_answer_for_unknown_and_foreign(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    register_company: CompanyFactory,
) -> None:
    mine = await register_company(tenant_a)
    await register_company(tenant_a, siren=SIREN_B, nics=(NIC_B,))
    user = (
        await client.post(
            "/v1/users",
            headers=tenant_a.headers,
            json={"email": "client@alpha.example", "role": "user", "company_ids": [mine["id"]]},
        )
    ).json()
    key = (
        await client.post(
            "/v1/api-keys", headers=tenant_a.headers, json={"name": "c", "user_id": user["id"]}
        )
    ).json()["key"]
    restricted = {"Authorization": f"Bearer {key}", **OCTET}
    foreign_file = sample_bytes(employees=2, month="2026-10", siren=SIREN_B, nic=NIC_B)
    by_admin = await client.post(
        "/v1/declarations", content=foreign_file, headers={**tenant_a.headers, **OCTET}
    )
    assert by_admin.status_code == 201, by_admin.text

    duplicate = await client.post("/v1/declarations", content=foreign_file, headers=restricted)
    foreign = await client.post(
        "/v1/declarations",
        content=sample_bytes(employees=3, month="2026-10", siren=SIREN_B, nic=NIC_B),
        headers=restricted,
    )
    unknown = await client.post(
        "/v1/declarations",
        content=sample_bytes(employees=3, month="2026-10", siren="443061841", nic="00047"),
        headers=restricted,
    )

    assert duplicate.status_code == foreign.status_code == unknown.status_code == 403
    assert by_admin.json()["id"] not in duplicate.text
    texts = {
        r.json()["detail"].replace(r.json()["siret"], "<siret>")
        for r in (duplicate, foreign, unknown)
    }
    assert len(texts) == 1, texts
    assert len({r.json()["type"] for r in (duplicate, foreign, unknown)}) == 1


# --- 9. NUL in a path ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v1/declarations/%00",
        "/v1/declarations/abc%00def",
        "/v1/users/%00",
        "/v1/companies/%00/establishments",
        "/app/declarations/%00",
        "/v1/declarations/%01x",
    ],
)
async def test_nul_in_a_path_is_404(
    client: httpx.AsyncClient, tenant_a: TenantHandle, path: str
) -> None:
    response = await client.get(path, headers=tenant_a.headers)
    assert response.status_code == 404, response.text
    expected = "text/html" if path.startswith("/app") else "application/problem+json"
    assert response.headers["content-type"].startswith(expected)


# --- 10. database outage ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/tenant", "/v1/status", "/status", "/v1/declarations"])
async def test_database_outage_is_503_with_retry_after(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantHandle, path: str
) -> None:
    broken = db.create_db_engine(f"sqlite:///{Path('/nonexistent-dir/nowhere.sqlite3')}")
    app.state.runtime = dataclasses.replace(
        app.state.runtime, engine=broken, sessions=db.session_factory(broken)
    )
    response = await client.get(path, headers=tenant_a.headers)
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["type"] == PROBLEMS + "database-unavailable"
    assert "réessayez" in body["detail"] and body["title"] == "Service momentanément indisponible"
    assert "nowhere" not in response.text


async def test_database_outage_on_a_write_under_maintenance_guard_is_503(
    app: FastAPI, client: httpx.AsyncClient, tenant_a: TenantHandle
) -> None:
    broken = db.create_db_engine(f"sqlite:///{Path('/nonexistent-dir/nowhere.sqlite3')}")
    app.state.runtime = dataclasses.replace(
        app.state.runtime, engine=broken, sessions=db.session_factory(broken)
    )
    response = await client.post(
        "/v1/users", headers=tenant_a.headers, json={"email": "a@b.example", "role": "user"}
    )
    assert response.status_code == 503
    assert "retry-after" in response.headers


# --- 13. rate-limit rows ------------------------------------------------------------------------


async def test_rate_limit_rows_are_hashed_and_expire(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    db_engine: Engine,
    clock: FrozenClock,
) -> None:
    await client.get("/v1/tenant", headers=tenant_a.headers)
    await client.get("/v1/tenant")  # by address
    await client.post(
        "/app/connexion", data={"email": "typed@somewhere.example", "mot_de_passe": "x"}
    )

    def rows() -> list[tuple[str, int]]:
        with db_engine.connect() as connection:
            return [
                (str(subject), int(start))
                for subject, start in connection.execute(
                    sa.text("SELECT subject, window_start FROM rate_limit_window")
                )
            ]

    first = rows()
    assert len(first) >= 2
    prefix = tenant_a.api_key.split("_")[1]
    for subject, _ in first:
        assert prefix not in subject and "127.0.0.1" not in subject and "@" not in subject
        assert subject.split(":")[0] in {"key", "ip", "signin-ip"}
    clock.advance(timedelta(minutes=5))
    await client.get("/v1/tenant", headers=tenant_a.headers)
    later = rows()
    assert {start for _, start in later} == {max(start for _, start in later)}, later


# --- 17. storage quota --------------------------------------------------------------------------


async def test_storage_quota_counts_rejected_files_too(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    company_a: dict[str, Any],
    db_engine: Engine,
    clock: FrozenClock,
) -> None:
    from dsnlink.tenants import limits

    valid = sample_bytes(employees=3, month="2026-10", siren=SIREN_A, nic=NIC_A)
    rejected = valid.replace(b"S90.G00.90.001,'", b"S90.G00.90.001,'9")
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        limits.set_tenant_limit(
            session,
            tenant_id=uuid.UUID(tenant_a.id),
            name="storage_bytes",
            value=len(rejected) + len(valid) // 2,
            clock=clock,
        )
    first = await client.post(
        "/v1/declarations", content=rejected, headers={**tenant_a.headers, **OCTET}
    )
    assert first.status_code == 201 and first.json()["status"] == "rejected", first.text
    second = await client.post(
        "/v1/declarations", content=valid, headers={**tenant_a.headers, **OCTET}
    )
    assert second.status_code == 422, second.text
    assert second.json()["type"] == PROBLEMS + "storage-quota-exceeded"
    assert second.json()["used"] == len(rejected)


async def test_rejected_declarations_are_purged_after_their_retention(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    company_a: dict[str, Any],
    db_engine: Engine,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    from dsnlink.ops import retention

    valid = sample_bytes(employees=3, month="2026-10", siren=SIREN_A, nic=NIC_A)
    rejected = valid.replace(b"S90.G00.90.001,'", b"S90.G00.90.001,'9")
    kept = await client.post(
        "/v1/declarations", content=valid, headers={**tenant_a.headers, **OCTET}
    )
    gone = await client.post(
        "/v1/declarations", content=rejected, headers={**tenant_a.headers, **OCTET}
    )
    assert kept.status_code == gone.status_code == 201
    assert gone.json()["status"] == "rejected"
    blobs = settings.data_dir / "blobs"
    assert len(list(blobs.rglob("*.dsn.enc"))) == 2

    keep = timedelta(days=settings.rejected_retention_days)
    sessions = db.session_factory(db_engine)
    with db.unit_of_work(sessions) as session:
        early = retention.purge_history(
            session, now=clock.now() + keep - timedelta(hours=1), rejected_retention=keep
        )
    assert early.deleted == {}
    with db.unit_of_work(sessions) as session:
        report = retention.purge_history(
            session, now=clock.now() + keep + timedelta(hours=1), rejected_retention=keep
        )
    assert report.deleted["declaration"] == 1
    assert retention.remove_files(blobs, report.blob_paths) == 1
    for declaration, status in ((gone, 404), (kept, 200)):
        path = f"/v1/declarations/{declaration.json()['id']}"
        assert (await client.get(path, headers=tenant_a.headers)).status_code == status
    assert len(list(blobs.rglob("*.dsn.enc"))) == 1


async def test_the_timeline_names_who_created_the_key_used(
    client: httpx.AsyncClient, tenant_a: TenantHandle, company_a: dict[str, Any]
) -> None:
    user = (
        await client.post(
            "/v1/users", headers=tenant_a.headers, json={"email": "k@alpha.example", "role": "user"}
        )
    ).json()
    minted = (
        await client.post(
            "/v1/api-keys", headers=tenant_a.headers, json={"name": "k", "user_id": user["id"]}
        )
    ).json()
    uploaded = await client.post(
        "/v1/declarations",
        content=sample_bytes(employees=2, month="2026-10", siren=SIREN_A, nic=NIC_A),
        headers={"Authorization": f"Bearer {minted['key']}", **OCTET},
    )
    assert uploaded.status_code == 201, uploaded.text
    detail = await client.get(
        f"/v1/declarations/{uploaded.json()['id']}", headers=tenant_a.headers
    )
    (received, *_) = detail.json()["timeline"]
    assert received["user_id"] == user["id"]
    assert received["api_key_id"] == minted["id"]
    assert received["api_key_created_by_user_id"] == minted["created_by_user_id"]
    assert minted["created_by_user_id"] != user["id"]
