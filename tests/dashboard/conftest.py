"""Dashboard fixtures: the app in-process on http://localhost (so the session cookie is not
`Secure`), a tenant with two companies, and helpers that sign in and post forms like a browser
without JavaScript."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.app import create_app
from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.norm.sample import sample_bytes
from dsnlink.tenants import service as tenants_service

SIREN_A, NIC_A = "732829320", "00074"
SIREN_B, NIC_B = "552100554", "00013"
PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


@dataclass
class Tenant:
    id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def app(settings: Settings, db_engine: Engine, clock: FrozenClock) -> FastAPI:
    return create_app(settings, engine=db_engine, clock=clock)


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(app) as client:
        yield client


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A second client with its own cookie jar: the person in front of the dashboard."""
    async with _client(app) as client:
        yield client


def make_tenant(settings: Settings, engine: Engine, clock: FrozenClock, name: str) -> Tenant:
    with db.unit_of_work(db.session_factory(engine)) as session:
        created = tenants_service.create_tenant(
            session,
            name=name,
            admin_email=f"admin@{name.lower()}.example",
            secret=settings.secret_key,
            clock=clock,
        )
        assert created.api_key
        return Tenant(id=str(created.tenant.id), key=created.api_key)


@pytest.fixture
def tenant(settings: Settings, db_engine: Engine, clock: FrozenClock) -> Tenant:
    return make_tenant(settings, db_engine, clock, "Cabinet")


async def register_company(
    api: httpx.AsyncClient, tenant: Tenant, siren: str, nic: str, name: str
) -> dict[str, Any]:
    # A transmission can only be ordered for a company with a declarant.
    declarant = await api.post(
        "/v1/declarants",
        headers=tenant.headers,
        json={"siret": siren + nic, "nom": "PAIE", "prenom": "SERVICE", "password": "pw-1"},
    )
    assert declarant.status_code == 201, declarant.text
    response = await api.post(
        "/v1/companies",
        headers=tenant.headers,
        json={
            "siren": siren,
            "name": name,
            "due_day": 5,
            "declarant_id": declarant.json()["id"],
            "establishments": [{"nic": nic, "name": "Siège"}],
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def upload(
    api: httpx.AsyncClient,
    tenant: Tenant,
    siren: str,
    nic: str,
    *,
    seed: int,
    month: str = "2026-10",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await api.post(
        "/v1/declarations",
        headers={**(headers or tenant.headers), "Content-Type": "application/octet-stream"},
        content=sample_bytes(employees=2, month=month, seed=seed, siren=siren, nic=nic),
    )


async def sign_in(
    browser: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    page = await browser.get("/app/connexion")
    assert page.status_code == 200
    return await browser.post(
        "/app/connexion",
        data={"csrf": csrf_of(page.text), "email": email, "mot_de_passe": password},
    )


async def sign_in_with_key(browser: httpx.AsyncClient, key: str) -> httpx.Response:
    page = await browser.get("/app/connexion")
    return await browser.post("/app/connexion/cle", data={"csrf": csrf_of(page.text), "cle": key})
