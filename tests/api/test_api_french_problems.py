"""Problems a payroll user reads are French (English on request), times in Paris with offset;
a wrong SIREN key says so; a missing establishment says how to add it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from dsnlink.clock import FrozenClock
from tests.api.dsn_files import NIC_A, SIREN_A, dsn

OCTET = {"Content-Type": "application/octet-stream"}
PROBLEMS = "https://dsnlink.example/problems/"


async def upload(
    client: httpx.AsyncClient, tenant: Any, body: bytes, **headers: str
) -> httpx.Response:
    return await client.post(
        "/v1/declarations", content=body, headers={**tenant.headers, **OCTET, **headers}
    )


async def test_cutoff_problem_in_french_with_paris_times(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any], clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 11, 4, 16, 0, 1, tzinfo=UTC))
    refused = await upload(client, tenant_a, dsn())
    problem = refused.json()
    assert problem["title"] == "Heure limite de dépôt garanti dépassée"
    assert "04/11/2026 à 17:00 (heure de Paris, UTC+01:00)" in problem["detail"]
    assert "05/11/2026 à 12:00 (heure de Paris, UTC+01:00)" in problem["detail"]
    assert "accept_late=true" in problem["detail"]
    # The machine-readable members stay as they were.
    assert problem["cutoff"] == "2026-11-04T16:00:00+00:00"

    english = await upload(client, tenant_a, dsn(), **{"Accept-Language": "en-GB,en;q=0.9"})
    assert english.json()["title"] == "Cutoff passed"
    assert "the cut-off for this declaration" in english.json()["detail"]
    preferred_french = await upload(
        client, tenant_a, dsn(), **{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"}
    )
    assert preferred_french.json()["title"].startswith("Heure limite")


async def test_a_wrong_siren_key_says_so(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    wrong = dsn().replace(SIREN_A.encode(), b"732829321")
    refused = await upload(client, tenant_a, wrong)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == PROBLEMS + "invalid-siren"
    assert problem["title"] == "SIREN invalide"
    assert "clé de contrôle est fausse" in problem["detail"] and "732829321" in problem["detail"]


async def test_a_missing_establishment_says_how_to_add_it(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    refused = await upload(client, tenant_a, dsn(nic="00082"))
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["title"] == "Établissement non enregistré"
    assert f"PATCH /v1/companies/{company_a['id']}" in problem["detail"]
    assert '"nic": "00082"' in problem["detail"]
    unknown_company = await upload(client, tenant_a, dsn(siren="552100554", nic="00013"))
    assert "POST /v1/companies" in unknown_company.json()["detail"]


async def test_framework_problems_are_french_too(client: httpx.AsyncClient, tenant_a: Any) -> None:
    missing = await client.get("/v1/nothing-here", headers=tenant_a.headers)
    assert missing.status_code == 404
    assert missing.json()["title"] == "Introuvable"
    assert "/v1/nothing-here" in missing.json()["detail"]
    invalid = await client.get("/v1/declarations", headers=tenant_a.headers, params={"limit": "0"})
    assert invalid.status_code == 422
    assert invalid.json()["title"] == "Requête invalide"
    assert "« limit »" in invalid.json()["detail"]
    unauthenticated = await client.get("/v1/declarations")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["title"] == "Authentification requise"


async def test_every_problem_title_is_french_for_a_refused_upload(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any]
) -> None:
    first = await upload(client, tenant_a, dsn())
    again = await upload(client, tenant_a, dsn().replace(b"\n", b"\r\n"))
    assert again.json()["title"] == "Déclaration déjà reçue"
    assert first.json()["id"] in again.json()["detail"]
    other = await upload(client, tenant_a, dsn(seed=4))
    assert other.json()["title"] == "Déclaration déjà déposée pour ce mois"
    assert "annule et remplace" in other.json()["detail"]
    assert NIC_A in other.json()["detail"]
