"""Helpers of the worker tests: the mock deposit point on loopback, a tenant set up through the
gateway's API, fast protocol timings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.app import create_app
from dsnlink import db
from dsnlink.clock import Clock
from dsnlink.config import Settings
from dsnlink.deposit_point.endpoints import RetryPolicy
from dsnlink.norm.sample import sample_bytes
from dsnlink.tenants import service as tenants_service
from dsnlink.transmission.context import TransmissionPolicy, build_client
from dsnlink.transmission.worker import TransmissionWorker, build_worker

SIREN, NIC = "732829320", "00074"
MONTH = "2026-10"
DECLARANT = {
    "siret": "73282932000074",
    "nom": "PAIE",
    "prenom": "SERVICE",
    "password": "s3cret-Paie-2026",
}

FAST_POLICY = TransmissionPolicy(
    retry_base=timedelta(milliseconds=20),
    retry_max=timedelta(milliseconds=200),
    declarant_wait=timedelta(milliseconds=20),
    deposit_read_timeout=timedelta(seconds=1),
    reconcile_grace=timedelta(milliseconds=300),
    reconcile_recheck=timedelta(milliseconds=100),
    reconcile_proof=timedelta(seconds=5),
    returns_lag=timedelta(0),
)
FAST_CLIENT_RETRY = RetryPolicy(
    max_attempts=6, initial_backoff=0.005, max_backoff=0.02, jitter=0.005
)


def fast_worker(settings: Settings, engine: Engine, clock: Clock) -> TransmissionWorker:
    client = build_client(settings, clock=clock, retry=FAST_CLIENT_RETRY)
    return build_worker(settings, engine, clock=clock, client=client, policy=FAST_POLICY)


@dataclass
class Gateway:
    """The gateway's API in-process, with one activated tenant, company and declarant."""

    http: httpx.AsyncClient
    headers: dict[str, str]
    siren: str = SIREN
    nic: str = NIC
    uploads: int = 0

    async def upload(
        self, seed: int, *, transmit: bool = True, employees: int = 2, month: str | None = None
    ) -> str:
        if month is None:
            # One normal declaration per month and establishment: each upload files an earlier
            # month unless the test names one.
            year, index = divmod(int(MONTH[:4]) * 12 + int(MONTH[5:]) - 1 - self.uploads, 12)
            self.uploads += 1
            month = f"{year}-{index + 1:02d}"
        body = sample_bytes(
            employees=employees, month=month, seed=seed, siren=self.siren, nic=self.nic
        )
        response = await self.http.post(
            "/v1/declarations",
            params={"transmit": str(transmit).lower(), "accept_late": "true"},
            content=body,
            headers={**self.headers, "Content-Type": "application/octet-stream"},
        )
        assert response.status_code == 201, response.text
        declaration_id: str = response.json()["id"]
        return declaration_id

    async def detail(self, declaration_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/v1/declarations/{declaration_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def gateway_app(settings: Settings, engine: Engine, clock: Clock) -> FastAPI:
    return create_app(settings, engine=engine, clock=clock)


async def open_gateway(
    app: FastAPI,
    settings: Settings,
    engine: Engine,
    clock: Clock,
    *,
    name: str = "Alpha",
    siren: str = SIREN,
    nic: str = NIC,
    declarant: dict[str, str] | None = None,
) -> Gateway:
    with db.unit_of_work(db.session_factory(engine)) as session:
        created = tenants_service.create_tenant(
            session, name=name, admin_email=f"admin@{name.lower()}.example",
            secret=settings.secret_key, clock=clock,
        )
    headers = {"Authorization": f"Bearer {created.api_key}"}
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    created_declarant = await http.post(
        "/v1/declarants", headers=headers, json=declarant or DECLARANT
    )
    assert created_declarant.status_code == 201, created_declarant.text
    company = await http.post(
        "/v1/companies",
        headers=headers,
        json={
            "siren": siren,
            "name": f"{name} SA",
            "due_day": 5,
            "declarant_id": created_declarant.json()["id"],
            "establishments": [{"nic": nic, "name": "Siège"}],
        },
    )
    assert company.status_code == 201, company.text
    return Gateway(http=http, headers=headers, siren=siren, nic=nic)


def assert_deposited(detail: dict[str, Any]) -> None:
    """The declaration was deposited. Returns may already have moved it on: the mock publishes
    its bilan (a CCO) within a second, and draining polls returns, so `conform` is as good."""
    assert detail["status"] in {"deposited", "conform"}, detail["status"]
    assert "deposited" in [event["status"] for event in detail["timeline"]]
