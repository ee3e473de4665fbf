"""Fixtures of the worker tests: the mock deposit point on loopback and the gateway in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.engine import Engine
from transmission_harness import Gateway, gateway_app, open_gateway

from benchmarks.harness import mock_deposit_point, worker_settings
from dsnlink.clock import SystemClock
from dsnlink.config import Settings

CLOCK = SystemClock()


@pytest.fixture
def mock_url() -> Iterator[str]:
    with mock_deposit_point() as url:
        yield url


@pytest.fixture
def wsettings(settings: Settings, mock_url: str) -> Settings:
    return worker_settings(settings, mock_url)


@pytest.fixture
async def gateway(wsettings: Settings, db_engine: Engine) -> AsyncIterator[Gateway]:
    gateway = await open_gateway(
        gateway_app(wsettings, db_engine, CLOCK), wsettings, db_engine, CLOCK
    )
    yield gateway
    await gateway.http.aclose()
