"""Password guessing on the dashboard's sign-in is slowed down: per address, and per (address,
e-mail) pair with a growing back-off; never by locking an e-mail out from every address."""

from __future__ import annotations

from datetime import timedelta

import httpx

from dsnlink.clock import FrozenClock
from dsnlink.tenants.signin import SIGN_IN_ATTEMPTS_PER_MINUTE
from tests.dashboard.conftest import Tenant, csrf_of, sign_in, sign_in_with_key


async def test_sign_in_attempts_are_throttled_then_allowed_again(
    browser: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    for attempt in range(SIGN_IN_ATTEMPTS_PER_MINUTE):
        # Many accounts guessed from one address: the address's limit applies.
        wrong = await sign_in(browser, f"guess{attempt}@cabinet.example", "not the password")
        assert wrong.status_code == 401

    refused = await sign_in(browser, "admin@cabinet.example")  # even the right password
    by_key = await browser.post(
        "/app/connexion/cle", data={"csrf": csrf_of(refused.text), "cle": tenant.key}
    )

    assert refused.status_code == 429
    assert "Trop de tentatives de connexion" in refused.text
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert by_key.status_code == 429  # same address: keys cannot be guessed either

    clock.advance(timedelta(minutes=1))
    allowed = await sign_in_with_key(browser, tenant.key)
    assert allowed.status_code == 303
