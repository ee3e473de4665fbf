"""Dashboard sessions: sign-out ends them on the server (12), the cookie key is never the public
placeholder (4), and wrong passwords slow down the (address, e-mail) pair that sent them without
locking the account's owner out (16)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.app import create_app
from api.dashboard import session as cookies
from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import PLACEHOLDER_SECRET, Settings
from dsnlink.security import ratelimit
from dsnlink.tenants import repository, signin
from dsnlink.tenants import service as tenants_service
from tests.dashboard.conftest import PASSWORD, Tenant, csrf_of, make_tenant, sign_in

EMAIL = "admin@cabinet.example"


@pytest.fixture
def with_password(tenant: Tenant, db_engine: Engine) -> Tenant:
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        tenants_service.set_password(
            session, tenant_reference="Cabinet", email=EMAIL, password=PASSWORD
        )
    return tenant


def _from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=False, client=(address, 50000)
    )
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


async def test_a_copied_cookie_is_worthless_after_sign_out(
    browser: httpx.AsyncClient, with_password: Tenant
) -> None:
    assert (await sign_in(browser, EMAIL)).status_code == 303
    stolen = browser.cookies.get(cookies.COOKIE, path="/app")
    assert stolen
    page = await browser.get("/app/declarations")
    assert page.status_code == 200
    signed_out = await browser.post("/app/deconnexion", data={"csrf": csrf_of(page.text)})
    assert signed_out.status_code == 303

    browser.cookies.clear()
    browser.cookies.set(cookies.COOKIE, stolen, domain="localhost", path="/app")
    replayed = await browser.get("/app/declarations")
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/app/connexion")
    # Signing in again works, with a new session.
    assert (await sign_in(browser, EMAIL)).status_code == 303
    assert (await browser.get("/app/declarations")).status_code == 200


async def test_a_key_session_ends_at_sign_out_too(
    browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    page = await browser.get("/app/connexion")
    signed = await browser.post(
        "/app/connexion/cle", data={"csrf": csrf_of(page.text), "cle": tenant.key}
    )
    assert signed.status_code == 303
    stolen = browser.cookies.get(cookies.COOKIE, path="/app")
    page = await browser.get("/app/declarations")
    await browser.post("/app/deconnexion", data={"csrf": csrf_of(page.text)})
    browser.cookies.clear()
    browser.cookies.set(cookies.COOKIE, str(stolen), domain="localhost", path="/app")
    assert (await browser.get("/app/declarations")).status_code == 303


async def test_a_cookie_signed_with_the_placeholder_secret_is_refused(
    settings: Settings, db_engine: Engine, clock: FrozenClock
) -> None:
    """With DSNLINK_ENVIRONMENT unset and no secret set, the placeholder is public: a cookie
    signed with it (by a restricted user forging an administrator's session) must not open."""
    development = settings.model_copy(
        update={"environment": "development", "secret_key": PLACEHOLDER_SECRET}
    )
    tenant = make_tenant(development, db_engine, clock, "Forged")
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        admin = repository.get_user_by_email(
            session, tenant_id=uuid.UUID(tenant.id), email="admin@forged.example"
        )
        assert admin is not None
        stamp = signin.session_stamp(admin)
    forged = dataclasses.replace(
        cookies.SessionData.anonymous(),
        tenant_id=uuid.UUID(tenant.id),
        user_id=admin.id,
        stamp=stamp,
    )
    app = create_app(development, engine=db_engine, clock=clock)
    async with _from(app, "127.0.0.1") as browser:
        for guess in (PLACEHOLDER_SECRET, development.secret_key):
            browser.cookies.set(
                cookies.COOKIE,
                cookies.encode(forged, secret=guess),
                domain="localhost",
                path="/app",
            )
            page = await browser.get("/app/declarations")
            assert page.status_code == 303, "a cookie signed with a public key was accepted"
    key_file = development.data_dir / "keys" / "session-key"
    assert key_file.stat().st_mode & 0o777 == 0o600


@pytest.fixture
async def two_places(app: FastAPI) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    async with _from(app, "198.51.100.9") as guesser, _from(app, "192.0.2.20") as owner:
        yield guesser, owner


async def test_wrong_passwords_slow_the_guesser_not_the_owner(
    two_places: tuple[httpx.AsyncClient, httpx.AsyncClient],
    with_password: Tenant,
    clock: FrozenClock,
) -> None:
    guesser, owner = two_places
    statuses = [
        (await sign_in(guesser, EMAIL, "not the password")).status_code
        for _ in range(ratelimit.BACKOFF_FREE_FAILURES + 2)
    ]
    # Five free failures, the sixth starts the back-off: the seventh attempt must wait.
    assert statuses[: ratelimit.BACKOFF_FREE_FAILURES + 1] == [401] * (
        ratelimit.BACKOFF_FREE_FAILURES + 1
    )
    assert statuses[-1] == 429
    refused = await sign_in(guesser, EMAIL)  # even the right password, from there
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == ratelimit.backoff_seconds(
        ratelimit.BACKOFF_FREE_FAILURES + 1
    )

    # The owner, elsewhere, is not locked out.
    assert (await sign_in(owner, EMAIL)).status_code == 303

    # The back-off doubles with each further failure, then lets the guesser try again.
    clock.advance(timedelta(seconds=3))
    assert (await sign_in(guesser, EMAIL, "still wrong")).status_code == 401
    waiting = await sign_in(guesser, EMAIL)
    assert waiting.status_code == 429
    assert int(waiting.headers["retry-after"]) == 4
    clock.advance(timedelta(minutes=1))
    assert (await sign_in(guesser, EMAIL)).status_code == 303


def test_backoff_grows_and_is_capped() -> None:
    waits = [ratelimit.backoff_seconds(n) for n in range(1, 30)]
    assert waits[:5] == [0] * 5
    assert waits[5:9] == [2, 4, 8, 16]
    assert max(waits) == ratelimit.BACKOFF_MAX_SECONDS
