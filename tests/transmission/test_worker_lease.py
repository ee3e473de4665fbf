"""A slow step keeps its job: the lease is renewed while it runs, so no other worker takes it."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from transmission_harness import Gateway, assert_deposited, fast_worker

from benchmarks.harness import configure_mock, mock_deposits
from dsnlink.clock import SystemClock
from dsnlink.config import Settings
from dsnlink.outbox.models import TransmissionJob
from dsnlink.transmission.worker import StepOutcome

CLOCK = SystemClock()
LEASE = timedelta(seconds=0.6)


async def test_a_step_longer_than_the_lease_is_not_taken_over(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    declaration_id = await gateway.upload(seed=11)
    with Session(db_engine) as session:
        (job_id,) = session.exec(select(TransmissionJob.id)).all()
    configure_mock(mock_url, latency=1.0)  # authentication + deposit: about 2 s, > 3 leases
    patient = wsettings.model_copy(update={"deposit_read_timeout_seconds": 10.0})
    slow = fast_worker(patient, db_engine, CLOCK)
    slow.lease = LEASE
    other = fast_worker(wsettings, db_engine, CLOCK)
    outcomes: list[StepOutcome | None] = []
    step = threading.Thread(target=lambda: outcomes.append(slow.run_job(job_id)))
    try:
        step.start()
        await asyncio.sleep(3 * LEASE.total_seconds())
        taken_over = other.claim(job_id)
        await asyncio.to_thread(step.join, 30)
    finally:
        slow.context.client.close()
        other.context.client.close()

    assert taken_over is False
    assert outcomes and outcomes[0] is not None
    assert_deposited(await gateway.detail(declaration_id))
    assert len(mock_deposits(mock_url)) == 1


async def test_a_dead_workers_job_is_taken_over_after_its_lease(
    gateway: Gateway, wsettings: Settings, db_engine: Engine
) -> None:
    await gateway.upload(seed=12)
    with Session(db_engine) as session:
        (job_id,) = session.exec(select(TransmissionJob.id)).all()
    dead = fast_worker(wsettings, db_engine, CLOCK)
    dead.lease = LEASE
    other = fast_worker(wsettings, db_engine, CLOCK)
    try:
        assert dead.claim(job_id)  # then it "dies": nothing renews its lease
        assert other.claim(job_id) is False
        await asyncio.sleep(LEASE.total_seconds() + 0.2)
        assert other.claim(job_id) is True
    finally:
        dead.context.client.close()
        other.context.client.close()
