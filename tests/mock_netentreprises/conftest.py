"""Fixtures of the mock deposit point tests: an in-process app on a manual clock, sessions."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

# This folder has the package's name and no __init__.py; once tests/ is on sys.path it would be
# imported as a namespace package in place of the real one, unless the repository root is there
# too (a regular package anywhere on sys.path wins over a namespace portion).
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.append(_ROOT)
if getattr(sys.modules.get("mock_netentreprises"), "__file__", "") is None:
    del sys.modules["mock_netentreprises"]

import httpx  # noqa: E402
import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from mock_helpers import (  # noqa: E402
    CONCENTRATOR,
    DECLARANT,
    START,
    Session,
    declarant_part,
    login,
)

from mock_netentreprises import ManualClock, MockConfig, create_app  # noqa: E402


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
