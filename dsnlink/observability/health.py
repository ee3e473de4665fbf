"""Liveness and readiness: is the process up; can it reach its database, queue and deposit point.

Each readiness check has a short timeout. The deposit-point probe (one HTTP request, any answer
below 500 counts as reachable) is cached a few seconds so a load balancer polling every replica
does not turn into traffic towards net-entreprises; each fresh result is recorded with
`record_probe`, which is what the status page shows for the deposit point.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.deposit_point.endpoints import Endpoints
from dsnlink.observability import repository
from dsnlink.service_status.models import Component
from dsnlink.service_status.service import record_probe

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    duration_ms: int
    required: bool = True


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: list[Check]

    def as_dict(self, *, with_details: bool = False) -> dict[str, object]:
        """The answer of /health/ready. Without `with_details` (the public answer) the checks'
        texts are left out: they name database hosts, ports and the deposit point's URL."""
        hidden = {"name"} if with_details else {"name", "detail"}
        return {
            "status": "ready" if self.ready else "not_ready",
            "failed": [c.name for c in self.checks if not c.ok and c.required],
            "checks": {c.name: {k: v for k, v in asdict(c).items() if k not in hidden}
                       for c in self.checks},
        }


def _timed(name: str, probe: Callable[[], str], *, required: bool = True) -> Check:
    started = time.monotonic()
    try:
        detail, ok = probe(), True
    except Exception as exc:
        detail, ok = f"{type(exc).__name__}: {exc}"[:300], False
    return Check(name, ok, detail, int((time.monotonic() - started) * 1000), required)


def deposit_probe_url(deposit_point_url: str) -> str:
    if deposit_point_url == "net-entreprises":
        return Endpoints.net_entreprises().deposit
    return deposit_point_url


class DepositPointProbe:
    """One cheap request to the deposit point, its result reused for `cache_seconds`."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float,
        cache_seconds: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = deposit_probe_url(url)
        self._timeout = timeout
        self._cache_seconds = cache_seconds
        self._transport = transport
        self._lock = threading.Lock()
        self._cached: tuple[float, Check] | None = None

    def check(self) -> tuple[Check, bool]:
        """The probe's result and whether it was measured now (False: from the cache)."""
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < self._cache_seconds:
                return self._cached[1], False
            result = _timed("deposit_point", self._request)
            self._cached = (time.monotonic(), result)
            return result, True

    def _request(self) -> str:
        with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
            response = client.get(self.url)
        if response.status_code >= 500:
            raise ConnectionError(f"{self.url} answered {response.status_code}")
        return f"{self.url} answered {response.status_code}"


def check_database(engine: Engine, *, timeout: float) -> Check:
    def probe() -> str:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(
                    sa.text(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
                )
            connection.execute(sa.text("SELECT 1"))
        return "SELECT 1 answered"

    return _timed("database", probe)


def check_queue(sessions: Callable[[], Session]) -> Check:
    def probe() -> str:
        with sessions() as session:
            jobs = repository.count_jobs_by_status(session)
        return f"transmission_job readable ({sum(jobs.values())} rows)"

    return _timed("queue", probe)


def readiness(
    engine: Engine,
    sessions: Callable[[], Session],
    probe: DepositPointProbe,
    *,
    clock: Clock,
    timeout: float,
    deposit_point_required: bool,
) -> Readiness:
    """Run every check; the deposit point's fresh results feed the status page."""
    database = check_database(engine, timeout=timeout)
    queue = check_queue(sessions) if database.ok else Check(
        "queue", False, "skipped: the database is unreachable", 0
    )
    deposit, fresh = probe.check()
    deposit = Check(deposit.name, deposit.ok, deposit.detail, deposit.duration_ms,
                    deposit_point_required)
    if fresh and database.ok:
        try:
            with sessions() as session:
                record_probe(session, component=Component.DEPOSIT_POINT, ok=deposit.ok,
                             at=clock.now(), detail=deposit.detail[:500])
                session.commit()
        except Exception:
            logger.exception("could not record the deposit point probe")
    checks = [database, queue, deposit]
    return Readiness(ready=all(c.ok for c in checks if c.required), checks=checks)
