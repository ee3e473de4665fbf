"""Exactly once, proven against the mock on loopback: a flaky deposit point (30 % of calls 503,
some deposits stored then answered 503), two pgqueuer workers, and a worker SIGKILLed between
the deposit and its recording."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from transmission_harness import Gateway, fast_worker

from benchmarks.harness import configure_mock, mock_deposits
from dsnlink.clock import SystemClock
from dsnlink.config import Settings
from dsnlink.outbox.models import JobStatus, TransmissionJob
from dsnlink.transmission.models import AttemptState, DepositAttempt
from dsnlink.transmission.protocol import KILL_AFTER_DEPOSIT_ENV

CLOCK = SystemClock()
DONE = {"deposited", "conform", "anomalies"}


def assert_each_file_deposited_once(mock_url: str, expected: int) -> None:
    counts = Counter(d["sha256"] for d in mock_deposits(mock_url))
    assert len(counts) == expected, counts
    assert set(counts.values()) == {1}, counts


async def test_flaky_deposit_point_every_declaration_deposited_exactly_once(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    ids = [await gateway.upload(seed=100 + i) for i in range(8)]
    configure_mock(mock_url, fail_rate=0.3, deposit_then_fail="503", deposit_then_fail_rate=0.25)
    worker = fast_worker(wsettings, db_engine, CLOCK)
    try:
        assert await asyncio.to_thread(worker.drain, timeout=45), "not drained"
    finally:
        worker.context.client.close()
    configure_mock(mock_url, fail_rate=0.0, deposit_then_fail="off")

    details = [await gateway.detail(i) for i in ids]
    assert {d["status"] for d in details} <= DONE, [d["status"] for d in details]
    assert_each_file_deposited_once(mock_url, expected=8)
    flows = {d["transmission"]["idflux"] for d in details}
    assert flows == {d["idflux"] for d in mock_deposits(mock_url)}
    outcomes = Counter(a["outcome"] for d in details for a in d["transmission"]["attempts"])
    # The dice made some deposits ambiguous: the test proves something only if they did.
    assert outcomes["reconciled"] + outcomes["lost"] >= 1, outcomes


@pytest.mark.usefixtures("gateway")
async def test_two_pgqueuer_workers_share_the_queue_exactly_once(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("pgqueuer runs on PostgreSQL only")
    from dsnlink.transmission.pgqueue import run_pgqueuer_worker

    ids = [await gateway.upload(seed=200 + i) for i in range(6)]
    configure_mock(mock_url, fail_rate=0.3, deposit_then_fail="503", deposit_then_fail_rate=0.2)
    loops: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
    ready = threading.Barrier(3)

    def consume() -> None:
        async def main() -> None:
            stop = asyncio.Event()
            loops.append((asyncio.get_running_loop(), stop))
            ready.wait()
            worker = fast_worker(wsettings, db_engine, CLOCK)
            await asyncio.to_thread(
                run_pgqueuer_worker, wsettings, worker, sweep_every=0.5, stop=stop
            )

        asyncio.run(main())

    threads = [threading.Thread(target=consume, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    ready.wait()
    deadline = time.monotonic() + 45
    try:
        while time.monotonic() < deadline:
            statuses = {(await gateway.detail(i))["status"] for i in ids}
            if statuses <= DONE:
                break
            await asyncio.sleep(0.2)
    finally:
        for loop, stop in loops:
            loop.call_soon_threadsafe(stop.set)
        for thread in threads:
            thread.join(timeout=10)
    configure_mock(mock_url, fail_rate=0.0, deposit_then_fail="off")
    assert statuses <= DONE, (statuses, _jobs_state(db_engine))
    assert_each_file_deposited_once(mock_url, expected=6)


def _jobs_state(engine: Engine) -> list[tuple[object, ...]]:
    """What the queue looked like, to explain a failure."""
    with Session(engine) as session:
        return [
            (job.declaration_id, job.status, job.attempts, job.available_at, job.last_error)
            for job in session.exec(select(TransmissionJob)).all()
        ]


def _worker_env(settings: Settings, mock_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("DSNLINK_")},
        **settings.to_env(),
        "DSNLINK_DEPOSIT_POINT_URL": mock_url,
        "DSNLINK_WORKER_LEASE_SECONDS": "1",
        "DSNLINK_DEPOSIT_READ_TIMEOUT_SECONDS": "2",
        "DSNLINK_RECONCILE_GRACE_SECONDS": "0.5",
        "DSNLINK_RECONCILE_RECHECK_SECONDS": "0.1",
        "DSNLINK_CLIENT_RETRY_BACKOFF_SECONDS": "0.01",
        "DSNLINK_RETURNS_POLL_SECONDS": "3600",
        KILL_AFTER_DEPOSIT_ENV: "1",
    }


async def test_worker_killed_after_the_deposit_left_is_reconciled_not_resent(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str, tmp_path: Path
) -> None:
    declaration_id = await gateway.upload(seed=300)
    process = subprocess.run(
        [sys.executable, "-m", "api", "worker", "--drain", "--queue", "poll",
         "--timeout", "30"],
        env=_worker_env(wsettings, mock_url, tmp_path),
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert process.returncode == -signal.SIGKILL, process.stderr.decode()[-2000:]
    assert len(mock_deposits(mock_url)) == 1  # the deposit left and was received
    with Session(db_engine) as session:
        [attempt] = session.exec(select(DepositAttempt)).all()
        assert attempt.outcome == AttemptState.SENDING  # the intent, no result
        job = session.exec(
            select(TransmissionJob).where(
                TransmissionJob.declaration_id == uuid.UUID(declaration_id)
            )
        ).one()
        assert job.status == JobStatus.RUNNING
    assert (await gateway.detail(declaration_id))["status"] == "transmitting"

    time.sleep(1.1)  # the dead worker's job lease (1 s) expires
    worker = fast_worker(wsettings, db_engine, CLOCK)
    try:
        assert await asyncio.to_thread(worker.drain, timeout=20)
    finally:
        worker.context.client.close()
    detail = await gateway.detail(declaration_id)
    assert detail["status"] in DONE
    deposited = [e for e in detail["timeline"] if e["status"] == "deposited"]
    assert deposited[0]["detail"]["reconciled"] is True
    assert [a["outcome"] for a in detail["transmission"]["attempts"]] == ["reconciled"]
    [flow] = mock_deposits(mock_url)
    assert detail["transmission"]["idflux"] == flow["idflux"]
