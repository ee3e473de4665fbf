"""Tenant, users, API keys, companies and declarants through the HTTP API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from dsnlink.clock import FrozenClock
from dsnlink.config import Settings

PROBLEM = "application/problem+json"
SIREN_A, NIC_A = "732829320", "00074"


async def test_tenant_is_activated_by_its_first_key(
    client: httpx.AsyncClient, tenant_a: Any, clock: FrozenClock
) -> None:
    response = await client.get("/v1/tenant", headers=tenant_a.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Alpha"
    assert body["offering"] == "hr-sprint"
    assert body["formula"] == "open"
    assert body["payslips_per_company_per_year"] == 9600
    assert body["activated_at"] == clock.now().isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer nope", "Basic abc", "Bearer dsnl_abcdefgh_" + "x" * 43],
)
async def test_missing_or_bad_key_is_401_problem(
    client: httpx.AsyncClient, tenant_a: Any, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/v1/tenant", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"] == "https://dsnlink.example/problems/unauthenticated"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_key_lifecycle_create_list_use_revoke(
    client: httpx.AsyncClient, tenant_a: Any, clock: FrozenClock
) -> None:
    created = await client.post("/v1/api-keys", headers=tenant_a.headers, json={"name": "paie"})
    assert created.status_code == 201, created.text
    new_key = created.json()["key"]
    assert new_key.startswith(f"dsnl_{created.json()['prefix']}_")

    listed = await client.get("/v1/api-keys", headers=tenant_a.headers)
    assert [k["name"] for k in listed.json()] == ["activation", "paie"]
    assert all("key" not in k and "key_hash" not in k for k in listed.json())

    used = await client.get("/v1/tenant", headers={"Authorization": f"Bearer {new_key}"})
    assert used.status_code == 200
    listed = await client.get("/v1/api-keys", headers=tenant_a.headers)
    assert {k["name"]: k["last_used_at"] is not None for k in listed.json()}["paie"]

    revoked = await client.delete(f"/v1/api-keys/{created.json()['id']}", headers=tenant_a.headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    refused = await client.get("/v1/tenant", headers={"Authorization": f"Bearer {new_key}"})
    assert refused.status_code == 401
    again = await client.delete(f"/v1/api-keys/{created.json()['id']}", headers=tenant_a.headers)
    assert again.status_code == 409


async def test_key_hash_depends_on_server_secret(
    client: httpx.AsyncClient,
    tenant_a: Any,
    settings: Settings,
    db_engine: Engine,
    clock: FrozenClock,
) -> None:
    from api.app import create_app

    other = create_app(
        settings.model_copy(update={"secret_key": "another-secret"}), engine=db_engine, clock=clock
    )
    transport = httpx.ASGITransport(app=other)
    async with httpx.AsyncClient(transport=transport, base_url="http://g") as other_client:
        response = await other_client.get("/v1/tenant", headers=tenant_a.headers)
    assert response.status_code == 401


async def test_users_roles_and_last_administrator(client: httpx.AsyncClient, tenant_a: Any) -> None:
    users = (await client.get("/v1/users", headers=tenant_a.headers)).json()
    assert [u["role"] for u in users] == ["saas_admin"]
    admin_id = users[0]["id"]

    refused = await client.delete(f"/v1/users/{admin_id}", headers=tenant_a.headers)
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/last-administrator")

    plain = await client.post(
        "/v1/users", headers=tenant_a.headers, json={"email": "paie@alpha.example"}
    )
    assert plain.status_code == 201 and plain.json()["role"] == "user"
    external = await client.post(
        "/v1/users",
        headers=tenant_a.headers,
        json={"email": "partner@other.example", "role": "external_saas_admin"},
    )
    assert external.status_code == 201
    second_external = await client.post(
        "/v1/users",
        headers=tenant_a.headers,
        json={"email": "x@other.example", "role": "external_saas_admin"},
    )
    assert second_external.status_code == 409
    duplicate = await client.post(
        "/v1/users", headers=tenant_a.headers, json={"email": "paie@alpha.example"}
    )
    assert duplicate.status_code == 409

    # The external administrator does not count as "the last SaaS administrator".
    still_refused = await client.delete(f"/v1/users/{admin_id}", headers=tenant_a.headers)
    assert still_refused.status_code == 409
    second_admin = await client.post(
        "/v1/users",
        headers=tenant_a.headers,
        json={"email": "boss@alpha.example", "role": "saas_admin"},
    )
    assert second_admin.status_code == 201
    removed = await client.delete(f"/v1/users/{admin_id}", headers=tenant_a.headers)
    assert removed.status_code == 204
    # The removed admin's own key (the activation key) is revoked with them.
    assert (await client.get("/v1/tenant", headers=tenant_a.headers)).status_code == 401


async def test_administrator_changes_are_audited(client: httpx.AsyncClient, tenant_a: Any) -> None:
    await client.post(
        "/v1/users",
        headers=tenant_a.headers,
        json={"email": "boss@alpha.example", "role": "saas_admin"},
    )
    await client.post("/v1/users", headers=tenant_a.headers, json={"email": "u@alpha.example"})
    changes = (await client.get("/v1/administrator-changes", headers=tenant_a.headers)).json()
    assert [(c["kind"], c["role"]) for c in changes] == [
        ("granted", "saas_admin"),
        ("granted", "saas_admin"),
    ]
    assert changes[0]["changed_by_user_id"] is None  # created by the operator
    assert changes[1]["changed_by_user_id"] is not None


async def test_plain_user_cannot_administer(client: httpx.AsyncClient, tenant_a: Any) -> None:
    user = (
        await client.post("/v1/users", headers=tenant_a.headers, json={"email": "u@a.example"})
    ).json()
    key = (
        await client.post(
            "/v1/api-keys", headers=tenant_a.headers, json={"name": "u", "user_id": user["id"]}
        )
    ).json()["key"]
    headers = {"Authorization": f"Bearer {key}"}
    for method, path, body in [
        ("POST", "/v1/api-keys", {"name": "x"}),
        ("GET", "/v1/users", None),
        ("POST", "/v1/companies", {"siren": SIREN_A, "name": "x", "due_day": 5}),
        ("GET", "/v1/declarants", None),
    ]:
        response = await client.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["type"].endswith("/administrator-required")
    assert (await client.get("/v1/companies", headers=headers)).status_code == 200


async def test_company_registration_checks_keys(
    client: httpx.AsyncClient, tenant_a: Any, register_company: Any
) -> None:
    company = await register_company(tenant_a, nics=(NIC_A,))
    assert company["establishments"][0]["siret"] == SIREN_A + NIC_A  # type: ignore[index]

    bad_siren = await client.post(
        "/v1/companies",
        headers=tenant_a.headers,
        json={"siren": "732829321", "name": "x", "due_day": 5},
    )
    assert bad_siren.status_code == 422
    assert bad_siren.json()["type"].endswith("/invalid-siren")
    assert bad_siren.json()["siren"] == "732829321"

    bad_siret = await client.patch(
        f"/v1/companies/{company['id']}",
        headers=tenant_a.headers,
        json={"establishments": [{"nic": "00075", "name": "x"}]},
    )
    assert bad_siret.status_code == 422
    assert bad_siret.json()["siret"] == SIREN_A + "00075"

    twice = await client.post(
        "/v1/companies",
        headers=tenant_a.headers,
        json={"siren": SIREN_A, "name": "again", "due_day": 15},
    )
    assert twice.status_code == 409


async def test_la_poste_sirets_follow_the_digit_sum_rule(
    client: httpx.AsyncClient, tenant_a: Any, register_company: Any
) -> None:
    # 35600000049837: digit sum 45, a multiple of 5, valid although Luhn fails.
    ok = await register_company(tenant_a, siren="356000000", nics=("00048", "49837"))
    assert len(ok["establishments"]) == 2  # type: ignore[arg-type]
    refused = await client.patch(
        f"/v1/companies/{ok['id']}",
        headers=tenant_a.headers,
        json={"establishments": [{"nic": "49838", "name": "x"}]},
    )
    assert refused.status_code == 422


async def test_company_update_and_declarant(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, object]
) -> None:
    declarant = await client.post(
        "/v1/declarants",
        headers=tenant_a.headers,
        json={"siret": SIREN_A + NIC_A, "nom": "MARTIN", "prenom": "CLAIRE", "password": "s3cret"},
    )
    assert declarant.status_code == 201, declarant.text
    assert "password" not in declarant.json()
    updated = await client.patch(
        f"/v1/companies/{company_a['id']}",
        headers=tenant_a.headers,
        json={
            "name": "Renamed",
            "due_day": 15,
            "declarant_id": declarant.json()["id"],
            "establishments": [{"nic": "00082", "name": "Second"}],
        },
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert (body["name"], body["due_day"], body["declarant_id"]) == (
        "Renamed",
        15,
        declarant.json()["id"],
    )
    assert sorted(e["nic"] for e in body["establishments"]) == ["00074", "00082"]
    listed = (await client.get("/v1/declarants", headers=tenant_a.headers)).json()
    assert [d["nom"] for d in listed] == ["PAIE", "MARTIN"]  # the fixture's, then this one


async def test_tenant_isolation(
    client: httpx.AsyncClient,
    tenant_a: Any,
    tenant_b: Any,
    company_a: dict[str, object],
    register_company: Any,
) -> None:
    keys_a = (await client.get("/v1/api-keys", headers=tenant_a.headers)).json()
    users_a = (await client.get("/v1/users", headers=tenant_a.headers)).json()
    assert (
        await client.get(f"/v1/companies/{company_a['id']}", headers=tenant_b.headers)
    ).status_code == 404
    assert (
        await client.patch(
            f"/v1/companies/{company_a['id']}", headers=tenant_b.headers, json={"name": "mine"}
        )
    ).status_code == 404
    assert (
        await client.delete(f"/v1/api-keys/{keys_a[0]['id']}", headers=tenant_b.headers)
    ).status_code == 404
    assert (
        await client.delete(f"/v1/users/{users_a[0]['id']}", headers=tenant_b.headers)
    ).status_code == 404
    assert (await client.get("/v1/companies", headers=tenant_b.headers)).json() == []
    # Tenant B may register the same SIREN for itself (e.g. its accounting firm's dossier).
    await register_company(tenant_b)


async def test_tenant_without_key_is_not_activated(make_tenant: Any, db_engine: Engine) -> None:
    from dsnlink import db
    from dsnlink.tenants import service

    handle = make_tenant("Dormant", with_key=False)
    assert handle.api_key == ""
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        tenant = service.get_tenant_by_reference_or_raise(session, reference="Dormant")
        assert tenant.activated_at is None
        from dsnlink.tenants.errors import TenantNotActivated

        with pytest.raises(TenantNotActivated):
            service.require_activated(session, tenant_id=tenant.id)
