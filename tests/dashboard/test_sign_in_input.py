"""The sign-in form refuses text no database can store like a wrong password, not with a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.dashboard.conftest import Tenant, sign_in


@pytest.mark.parametrize("email", ["admin\x00@cabinet.example", "admin\x1b@cabinet.example"])
async def test_unstorable_email_is_a_failed_sign_in(
    browser: httpx.AsyncClient, tenant: Tenant, email: str
) -> None:
    response = await sign_in(browser, email)

    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect" in response.text
