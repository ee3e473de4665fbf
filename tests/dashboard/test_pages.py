"""The dashboard over HTTP, as a browser without JavaScript uses it: sign-in, pages, form posts,
CSRF, tenant isolation and client-company scoping (the same services as the API)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from dsnlink.norm.sample import sample_bytes
from tests.dashboard.conftest import (
    NIC_A,
    NIC_B,
    PASSWORD,
    SIREN_A,
    SIREN_B,
    Tenant,
    csrf_of,
    make_tenant,
    register_company,
    sign_in,
    sign_in_with_key,
    upload,
)


async def _restricted_user(api: httpx.AsyncClient, tenant: Tenant, company_id: str) -> dict:
    response = await api.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": "gerant@client-a.example",
            "role": "user",
            "company_ids": [company_id],
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_client_company_user_sees_only_its_own_dossiers(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    company_a = await register_company(api, tenant, SIREN_A, NIC_A, "Alpha Boulangerie")
    company_b = await register_company(api, tenant, SIREN_B, NIC_B, "Bravo Transports")
    mine = (await upload(api, tenant, SIREN_A, NIC_A, seed=1)).json()
    theirs = (await upload(api, tenant, SIREN_B, NIC_B, seed=2)).json()
    user = await _restricted_user(api, tenant, company_a["id"])
    assert user["company_ids"] == [company_a["id"]] and user["has_password"] is True

    signed_in = await sign_in(browser, "gerant@client-a.example")
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/app/declarations"
    listing = await browser.get("/app/declarations")
    assert listing.status_code == 200
    assert f"/app/declarations/{mine['id']}" in listing.text
    assert f"/app/declarations/{theirs['id']}" not in listing.text
    assert "Bravo Transports" not in listing.text  # not even in the company filter
    assert (await browser.get(f"/app/declarations/{mine['id']}")).status_code == 200
    foreign = await browser.get(f"/app/declarations/{theirs['id']}")
    assert foreign.status_code == 404
    assert "Bravo" not in foreign.text
    deadlines = await browser.get("/app/echeances", params={"mois": "2026-10"})
    assert "Alpha Boulangerie" in deadlines.text and "Bravo Transports" not in deadlines.text
    assert "1 entreprise" in deadlines.text
    ordered = await browser.post(
        f"/app/declarations/{theirs['id']}/transmettre", data={"csrf": csrf_of(listing.text)}
    )
    assert ordered.status_code == 404

    # The API applies the same scope to the same user's key.
    admin_key = await api.post(
        "/v1/api-keys", headers=tenant.headers, json={"name": "gérant", "user_id": user["id"]}
    )
    assert admin_key.status_code == 201, admin_key.text
    headers = {"Authorization": f"Bearer {admin_key.json()['key']}"}
    listed = (await api.get("/v1/declarations", headers=headers)).json()
    assert [d["id"] for d in listed["items"]] == [mine["id"]]
    assert [c["id"] for c in (await api.get("/v1/companies", headers=headers)).json()] == [
        company_a["id"]
    ]
    assert (await api.get(f"/v1/companies/{company_b['id']}", headers=headers)).status_code == 404
    for path in (
        f"/v1/declarations/{theirs['id']}",
        f"/v1/declarations/{theirs['id']}/receipt",
        f"/v1/declarations/{theirs['id']}/returns/anything",
    ):
        assert (await api.get(path, headers=headers)).status_code == 404, path
    assert (
        await api.post(f"/v1/declarations/{theirs['id']}/transmit", headers=headers)
    ).status_code == 404
    deadlines_api = (
        await api.get("/v1/deadlines", params={"month": "2026-10"}, headers=headers)
    ).json()
    assert [c["company"]["siren"] for c in deadlines_api["companies"]] == [SIREN_A]
    refused = await upload(api, tenant, SIREN_B, NIC_B, seed=3, headers=headers)
    assert refused.status_code == 403, refused.text
    # Another month: one normal declaration per establishment and month.
    other_month = await upload(
        api, tenant, SIREN_A, NIC_A, seed=4, month="2026-11", headers=headers
    )
    assert other_month.status_code == 201

    # Lifting the restriction (PATCH company_ids=[]) shows every company again.
    lifted = await api.patch(
        f"/v1/users/{user['id']}", headers=tenant.headers, json={"company_ids": []}
    )
    assert lifted.status_code == 200 and lifted.json()["company_ids"] == []
    assert f"/app/declarations/{theirs['id']}" in (await browser.get("/app/declarations")).text


async def test_company_scope_is_for_users_of_the_tenant_only(
    api: httpx.AsyncClient, app: FastAPI, tenant: Tenant, settings, db_engine, clock
) -> None:
    company = await register_company(api, tenant, SIREN_A, NIC_A, "Alpha")
    admin = await api.post(
        "/v1/users",
        headers=tenant.headers,
        json={"email": "a2@x.example", "role": "saas_admin", "company_ids": [company["id"]]},
    )
    assert admin.status_code == 422
    assert admin.json()["type"].endswith("/company-scope-for-administrator")
    other = make_tenant(settings, db_engine, clock, "Autre")
    foreign = await register_company(api, other, SIREN_B, NIC_B, "Bravo")
    response = await api.post(
        "/v1/users",
        headers=tenant.headers,
        json={"email": "u@x.example", "company_ids": [foreign["id"]]},
    )
    assert response.status_code == 404
    weak = await api.post(
        "/v1/users", headers=tenant.headers, json={"email": "w@x.example", "password": "short"}
    )
    assert weak.status_code == 422


async def test_another_tenant_sees_nothing_of_ours(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant, settings, db_engine, clock
) -> None:
    await register_company(api, tenant, SIREN_A, NIC_A, "Alpha")
    ours = (await upload(api, tenant, SIREN_A, NIC_A, seed=5)).json()
    other = make_tenant(settings, db_engine, clock, "Concurrent")
    assert (await sign_in_with_key(browser, other.key)).status_code == 303
    listing = await browser.get("/app/declarations")
    assert listing.status_code == 200 and "0 déclaration" in listing.text
    assert (await browser.get(f"/app/declarations/{ours['id']}")).status_code == 404
    assert "Alpha" not in (await browser.get("/app/echeances")).text


async def test_pages_require_sign_in_and_sign_out_ends_the_session(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    anonymous = await browser.get("/app/echeances", params={"mois": "2026-10"})
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == (
        "/app/connexion?suivant=%2Fapp%2Fecheances%3Fmois%3D2026-10"
    )
    page = await browser.get(anonymous.headers["location"])
    assert 'name="suivant" value="/app/echeances?mois=2026-10"' in page.text
    wrong = await browser.post(
        "/app/connexion",
        data={"csrf": csrf_of(page.text), "email": "admin@cabinet.example", "mot_de_passe": "x"},
    )
    assert wrong.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect" in wrong.text
    bad_key = await browser.post(
        "/app/connexion/cle", data={"csrf": csrf_of(wrong.text), "cle": "dsnl_nope_nope"}
    )
    assert bad_key.status_code == 401
    good = await browser.post(
        "/app/connexion/cle",
        data={"csrf": csrf_of(bad_key.text), "cle": tenant.key, "suivant": "/app/echeances"},
    )
    assert good.status_code == 303 and good.headers["location"] == "/app/echeances"
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/app" in cookie
    assert "Secure" not in cookie  # http://localhost only; see test_cookie_is_secure_elsewhere
    home = await browser.get("/app/declarations")
    assert home.status_code == 200 and "admin@cabinet.example" in home.text
    out = await browser.post("/app/deconnexion", data={"csrf": csrf_of(home.text)})
    assert out.status_code == 303
    assert (await browser.get("/app/declarations")).status_code == 303


async def test_cookie_is_secure_elsewhere_than_localhost(app: FastAPI, tenant: Tenant) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://dsn.example") as client:
        page = await client.get("/app/connexion")
        assert "Secure" in page.headers["set-cookie"]


async def test_a_revoked_key_or_a_new_password_ends_dashboard_sessions(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    created = await api.post(
        "/v1/users", headers=tenant.headers, json={"email": "paie@x.example", "password": PASSWORD}
    )
    user_id = created.json()["id"]
    assert (await sign_in(browser, "paie@x.example")).status_code == 303
    assert (await browser.get("/app/declarations")).status_code == 200
    await api.patch(
        f"/v1/users/{user_id}", headers=tenant.headers, json={"password": "another long secret"}
    )
    assert (await browser.get("/app/declarations")).status_code == 303
    assert (await sign_in(browser, "paie@x.example", "another long secret")).status_code == 303

    key = (await api.post("/v1/api-keys", headers=tenant.headers, json={"name": "k"})).json()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as other:
        assert (await sign_in_with_key(other, key["key"])).status_code == 303
        assert (await other.get("/app/declarations")).status_code == 200
        await api.delete(f"/v1/api-keys/{key['id']}", headers=tenant.headers)
        assert (await other.get("/app/declarations")).status_code == 303


async def test_posts_without_the_session_csrf_token_are_refused(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, app: FastAPI, tenant: Tenant
) -> None:
    await register_company(api, tenant, SIREN_A, NIC_A, "Alpha")
    declaration = (await upload(api, tenant, SIREN_A, NIC_A, seed=6)).json()
    # A token from another (anonymous) session is worth nothing in ours.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as attacker:
        foreign_token = csrf_of((await attacker.get("/app/connexion")).text)
    no_token = await browser.post("/app/connexion", data={"email": "a@b.example"})
    assert no_token.status_code == 403
    await sign_in_with_key(browser, tenant.key)
    target = f"/app/declarations/{declaration['id']}/transmettre"
    for data in ({}, {"csrf": ""}, {"csrf": foreign_token}):
        refused = await browser.post(target, data=data)
        assert refused.status_code == 403, data
        assert "Formulaire expiré" in refused.text
    refused_upload = await browser.post(
        "/app/depot",
        data={"csrf": foreign_token},
        files={"fichier": ("a.dsn", b"S10.G00.00.001,'x'\n", "application/octet-stream")},
    )
    assert refused_upload.status_code == 403
    detail = (await api.get(f"/v1/declarations/{declaration['id']}", headers=tenant.headers)).json()
    assert detail["status"] == "validated"
    assert (await api.get("/v1/declarations", headers=tenant.headers)).json()["total"] == 1


async def test_upload_then_transmettre_without_javascript(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    await register_company(api, tenant, SIREN_A, NIC_A, "Alpha")
    await sign_in_with_key(browser, tenant.key)
    form = await browser.get("/app/depot")
    token = csrf_of(form.text)
    body = sample_bytes(employees=3, month="2026-10", seed=11, siren=SIREN_A, nic=NIC_A)
    result = await browser.post(
        "/app/depot",
        data={"csrf": token},
        files={"fichier": ("octobre.dsn", body, "application/octet-stream")},
    )
    assert result.status_code == 201, result.text
    assert "Validée, à transmettre" in result.text and ">Transmettre</button>" in result.text
    listed = (await api.get("/v1/declarations", headers=tenant.headers)).json()["items"]
    assert [d["status"] for d in listed] == ["validated"]  # nothing sent before the order
    ordered = await browser.post(
        f"/app/declarations/{listed[0]['id']}/transmettre", data={"csrf": csrf_of(result.text)}
    )
    assert ordered.status_code == 303
    page = await browser.get(ordered.headers["location"])
    assert "Transmission ordonnée" in page.text
    assert "admin@cabinet.example (clé d'API)" in page.text
    again = await browser.post(
        "/app/depot",
        data={"csrf": token},
        files={"fichier": ("octobre.dsn", body, "application/octet-stream")},
    )
    assert again.status_code == 409 and f"/app/declarations/{listed[0]['id']}" in again.text


@pytest.mark.parametrize("confirmed", [False, True])
async def test_a_late_upload_needs_an_explicit_confirmation(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant, confirmed: bool
) -> None:
    await register_company(api, tenant, SIREN_A, NIC_A, "Alpha")
    await sign_in_with_key(browser, tenant.key)
    token = csrf_of((await browser.get("/app/depot")).text)
    body = sample_bytes(employees=1, month="2026-08", seed=12, siren=SIREN_A, nic=NIC_A)
    data = {"csrf": token, **({"accepter_retard": "oui"} if confirmed else {})}
    response = await browser.post(
        "/app/depot", data=data, files={"fichier": ("aout.dsn", body, "application/octet-stream")}
    )
    stored = (await api.get("/v1/declarations", headers=tenant.headers)).json()["items"]
    if not confirmed:
        assert response.status_code == 422
        assert (
            "Heure limite dépassée" in response.text and 'name="accepter_retard"' in response.text
        )
        assert stored == []
    else:
        assert response.status_code == 201
        assert "sans garantie" in response.text
        assert [d["guaranteed"] for d in stored] == [False]


async def test_a_rejected_file_shows_its_anomalies_by_rubric_with_lines(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    await register_company(api, tenant, SIREN_A, NIC_A, "Alpha")
    await sign_in_with_key(browser, tenant.key)
    token = csrf_of((await browser.get("/app/depot")).text)
    body = sample_bytes(employees=1, month="2026-10", seed=13, siren=SIREN_A, nic=NIC_A)
    broken = body.replace(b"S21.G00.30.001,'", b"S21.G00.30.001,'X", 1)
    response = await browser.post(
        "/app/depot",
        data={"csrf": token},
        files={"fichier": ("casse.dsn", broken, "application/octet-stream")},
    )
    assert response.status_code == 201, response.text
    assert "Rejetée" in response.text and ">Transmettre</button>" not in response.text
    assert 'aria-label="Rubrique S21.G00.30.001"' in response.text
    line = (
        broken.split(b"\n").index(
            next(x for x in broken.split(b"\n") if x.startswith(b"S21.G00.30.001"))
        )
        + 1
    )
    assert f"<td>{line}</td>" in response.text


async def test_deadlines_page_searches_and_paginates_many_companies(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    from stdnum.fr import siren as stdnum_siren

    sirens = []
    candidate = 100000000
    while len(sirens) < 55:
        candidate += 1
        text = str(candidate)
        if stdnum_siren.is_valid(text):
            sirens.append(text)
    for index, siren in enumerate(sirens):
        await api.post(
            "/v1/companies",
            headers=tenant.headers,
            json={"siren": siren, "name": f"Dossier {index:03d}", "due_day": 15},
        )
    await sign_in_with_key(browser, tenant.key)
    first = await browser.get("/app/echeances", params={"mois": "2026-10"})
    assert "55 entreprises" in first.text and "Page 1 sur 2" in first.text
    assert "Dossier 049" in first.text and "Dossier 050" not in first.text
    second = await browser.get("/app/echeances", params={"mois": "2026-10", "page": "2"})
    assert "Dossier 054" in second.text and "Dossier 000" not in second.text
    found = await browser.get("/app/echeances", params={"mois": "2026-10", "q": sirens[7]})
    assert "1 entreprise" in found.text and "Dossier 007" in found.text
    pending = await browser.get("/app/echeances", params={"mois": "2026-10", "a_faire": "oui"})
    assert "55 entreprises" in pending.text
