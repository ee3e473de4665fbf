"""Helpers of the worker tests: the mock deposit point on loopback, a tenant set up through the
gateway's API, fast protocol timings."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.app import create_app
from dsnlink import db
from dsnlink.clock import Clock
from dsnlink.config import Settings
from dsnlink.norm.sample import sample_bytes
from dsnlink.tenants import service as tenants_service
from dsnlink.transmission.client import RetryPolicy
from dsnlink.transmission.service import TransmissionPolicy, build_client
from dsnlink.transmission.worker import TransmissionWorker, build_worker
from mock_netentreprises import MockConfig
from mock_netentreprises import create_app as create_mock

SIREN, NIC = "732829320", "00074"
MONTH = "2026-10"
DECLARANT = {"siret": "73282932000074", "nom": "PAIE", "prenom": "SERVICE", "password": "s3cret"}

FAST_POLICY = TransmissionPolicy(
    retry_base=timedelta(milliseconds=20),
    retry_max=timedelta(milliseconds=200),
    declarant_wait=timedelta(milliseconds=20),
    deposit_read_timeout=timedelta(seconds=1),
    reconcile_grace=timedelta(milliseconds=300),
    reconcile_recheck=timedelta(milliseconds=100),
    returns_lag=timedelta(0),
)
FAST_CLIENT_RETRY = RetryPolicy(
    max_attempts=6, initial_backoff=0.005, max_backoff=0.02, jitter=0.005
)
FAST_RETURNS = {"10": 0.0, "11": 0.3, "60": 0.5, "61": 0.6, "92": 0.5, "94": 0.7}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(app: Any, port: int | None = None) -> Iterator[str]:
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical",
                       timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@contextmanager
def mock_deposit_point(**config: Any) -> Iterator[str]:
    """The mock on loopback, accepting our test declarant, with fast returns."""
    settings = {"accept_unknown_declarants": True, "return_delays": FAST_RETURNS,
                "overwrite_after": None, "seed": 7, **config}
    with serve(create_mock(MockConfig(**settings))) as url:
        yield url


def mock_deposits(base_url: str) -> list[dict[str, Any]]:
    deposits: list[dict[str, Any]] = httpx.get(f"{base_url}/_mock/deposits", timeout=10).json()
    return deposits


def configure_mock(base_url: str, **changes: Any) -> None:
    httpx.post(f"{base_url}/_mock/config", json=changes, timeout=10).raise_for_status()


def worker_settings(settings: Settings, base_url: str) -> Settings:
    return settings.model_copy(
        update={
            "deposit_point_url": base_url,
            "deposit_read_timeout_seconds": 1.0,
            "worker_lease_seconds": 2.0,
            "returns_poll_seconds": 0.0,
            "returns_lag_seconds": 0.0,
        }
    )


def fast_worker(settings: Settings, engine: Engine, clock: Clock) -> TransmissionWorker:
    client = build_client(settings, clock=clock, retry=FAST_CLIENT_RETRY)
    return build_worker(settings, engine, clock=clock, client=client, policy=FAST_POLICY)


@dataclass
class Gateway:
    """The gateway's API in-process, with one activated tenant, company and declarant."""

    http: httpx.AsyncClient
    headers: dict[str, str]

    async def upload(self, seed: int, *, transmit: bool = True, employees: int = 2) -> str:
        body = sample_bytes(employees=employees, month=MONTH, seed=seed, siren=SIREN, nic=NIC)
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
    app: FastAPI, settings: Settings, engine: Engine, clock: Clock, *, name: str = "Alpha"
) -> Gateway:
    with db.unit_of_work(db.session_factory(engine)) as session:
        created = tenants_service.create_tenant(
            session, name=name, admin_email=f"admin@{name.lower()}.example",
            secret=settings.secret_key, clock=clock,
        )
    headers = {"Authorization": f"Bearer {created.api_key}"}
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    declarant = await http.post("/v1/declarants", headers=headers, json=DECLARANT)
    assert declarant.status_code == 201, declarant.text
    company = await http.post(
        "/v1/companies",
        headers=headers,
        json={
            "siren": SIREN,
            "name": "Alpha SA",
            "due_day": 5,
            "declarant_id": declarant.json()["id"],
            "establishments": [{"nic": NIC, "name": "Siège"}],
        },
    )
    assert company.status_code == 201, company.text
    return Gateway(http=http, headers=headers)
