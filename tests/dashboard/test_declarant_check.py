"""Administrators check a declarant's credentials at the deposit point from the dashboard."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from benchmarks.harness import mock_deposit_point
from dsnlink.config import Settings
from tests.dashboard.conftest import Tenant, csrf_of, sign_in_with_key


@pytest.fixture
def settings(settings: Settings) -> Iterator[Settings]:
    """The gateway talking to a mock that knows only its own test identities."""
    with mock_deposit_point(accept_unknown_declarants=False) as url:
        yield settings.model_copy(
            update={"deposit_point_url": url, "deposit_point_cache_max_seconds": 0.0}
        )


async def test_an_administrator_checks_a_declarant_and_reads_the_verdict(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    for identity in (
        {"siret": "73282932000074", "nom": "PAIE", "prenom": "SERVICE", "password": "pw"},
        {"siret": "99900000300015", "nom": "declarant", "prenom": "declarant", "password": "pw"},
    ):
        created = await api.post("/v1/declarants", headers=tenant.headers, json=identity)
        assert created.status_code == 201, created.text
    unknown, known = (await api.get("/v1/declarants", headers=tenant.headers)).json()
    await sign_in_with_key(browser, tenant.key)
    for declarant in (unknown, known):
        page = await browser.get("/app/administration")
        action = f"/app/administration/declarants/{declarant['id']}/verifier"
        assert action in page.text
        checked = await browser.post(action, data={"csrf": csrf_of(page.text)})
        assert checked.status_code == 303, checked.text

    listed = await browser.get("/app/administration")
    assert "Inconnu du point de dépôt" in listed.text
    assert "Reconnu par le point de dépôt" in listed.text
    statuses = {
        d["siret"]: d["check_status"]
        for d in (await api.get("/v1/declarants", headers=tenant.headers)).json()
    }
    assert statuses == {"73282932000074": "unknown", "99900000300015": "ok"}
    refused = await browser.post(
        f"/app/administration/declarants/{unknown['id']}/verifier", data={"csrf": "faux"}
    )
    assert refused.status_code in {400, 403}
