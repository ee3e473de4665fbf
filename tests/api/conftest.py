"""API fixtures: the app in-process (httpx.ASGITransport) and tenants with their keys."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
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
from dsnlink.tenants import service as tenants_service

SIREN_A, NIC_A = "732829320", "00074"
SIREN_B, NIC_B = "552100554", "00013"


@dataclass
class TenantHandle:
    id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture
def app(settings: Settings, db_engine: Engine, clock: FrozenClock) -> FastAPI:
    return create_app(settings, engine=db_engine, clock=clock)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


TenantFactory = Callable[..., TenantHandle]
CompanyFactory = Callable[..., Awaitable[dict[str, Any]]]


def _make_tenant(
    settings: Settings, engine: Engine, clock: FrozenClock, name: str, *, with_key: bool = True
) -> TenantHandle:
    with db.unit_of_work(db.session_factory(engine)) as session:
        created = tenants_service.create_tenant(
            session,
            name=name,
            admin_email=f"admin@{name.lower()}.example",
            secret=settings.secret_key,
            clock=clock,
            with_key=with_key,
        )
        return TenantHandle(id=str(created.tenant.id), api_key=created.api_key or "")


@pytest.fixture
def make_tenant(settings: Settings, db_engine: Engine, clock: FrozenClock) -> TenantFactory:
    """Create a tenant as the operator would (`dsnlink tenant create`)."""
    return functools.partial(_make_tenant, settings, db_engine, clock)


@pytest.fixture
def tenant_a(make_tenant: TenantFactory) -> TenantHandle:
    return make_tenant("Alpha")


@pytest.fixture
def tenant_b(make_tenant: TenantFactory) -> TenantHandle:
    return make_tenant("Bravo")


async def _register_company(
    client: httpx.AsyncClient,
    tenant: TenantHandle,
    *,
    siren: str = SIREN_A,
    nics: tuple[str, ...] = (NIC_A,),
    due_day: int = 5,
    with_declarant: bool = True,
) -> dict[str, Any]:
    declarant_id = None
    if with_declarant:  # a transmission can only be ordered for a company with a declarant
        declarant = await client.post(
            "/v1/declarants",
            headers=tenant.headers,
            json={"siret": siren + nics[0], "nom": "PAIE", "prenom": "SERVICE", "password": "pw-1"},
        )
        assert declarant.status_code == 201, declarant.text
        declarant_id = declarant.json()["id"]
    response = await client.post(
        "/v1/companies",
        headers=tenant.headers,
        json={
            "siren": siren,
            "name": f"Company {siren}",
            "due_day": due_day,
            "declarant_id": declarant_id,
            "establishments": [{"nic": nic, "name": f"Establishment {nic}"} for nic in nics],
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def register_company(client: httpx.AsyncClient) -> CompanyFactory:
    """`await register_company(tenant, siren=..., nics=(...), due_day=...)` through the API."""
    return functools.partial(_register_company, client)


@pytest.fixture
async def company_a(register_company: CompanyFactory, tenant_a: TenantHandle) -> dict[str, Any]:
    return await register_company(tenant_a)
