"""Fixtures of the mock deposit point tests: an in-process app on a manual clock, sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from mock_helpers import CONCENTRATOR, DECLARANT, START, Session, declarant_part, login

from mock_netentreprises import ManualClock, MockConfig, create_app


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def config() -> MockConfig:
    return MockConfig(seed=1)


@pytest.fixture
def app(config: MockConfig, clock: ManualClock) -> FastAPI:
    return create_app(config, clock=clock)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
        yield http


@pytest.fixture
async def declarant(client: httpx.AsyncClient) -> Session:
    token = await login(client, DECLARANT, "97")
    return Session(client, f"DSNLogin jeton={token}")


@pytest.fixture
async def concentrator(client: httpx.AsyncClient) -> Session:
    token = await login(client, CONCENTRATOR, "98")
    part = declarant_part(*DECLARANT[:3])
    return Session(client, f"DSNLogin concentrateur={token},declarant={part}")


@pytest.fixture
async def concentrator_only(client: httpx.AsyncClient) -> Session:
    token = await login(client, CONCENTRATOR, "98")
    return Session(client, f"DSNLogin concentrateur={token}")
