"""A maintenance window holds transmissions without losing one; the worker's heartbeat shows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from transmission_harness import Gateway, assert_deposited, fast_worker

from benchmarks.harness import mock_deposits
from dsnlink.clock import SystemClock
from dsnlink.config import Settings
from dsnlink.outbox.models import JobStatus, TransmissionJob
from dsnlink.service_status.models import Component, ComponentProbe, Maintenance

CLOCK = SystemClock()


def _job_ids(engine: Engine) -> list[uuid.UUID]:
    with Session(engine) as session:
        return [job.id for job in session.exec(select(TransmissionJob)).all()]


def _jobs(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return [job.status for job in session.exec(select(TransmissionJob)).all()]


async def test_transmissions_wait_during_a_maintenance_then_leave_once(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    declaration_id = await gateway.upload(seed=7)
    now = CLOCK.now()
    maintenance = Maintenance(
        start=now - timedelta(minutes=1),
        end=now + timedelta(minutes=30),
        kind="urgent",
        announced_at=now - timedelta(minutes=1),
        reason="test",
    )
    with Session(db_engine) as session:
        session.add(maintenance)
        session.commit()
        session.refresh(maintenance)
    worker = fast_worker(wsettings, db_engine, CLOCK)
    try:
        ran = await asyncio.to_thread(worker.run_once)
        held = await asyncio.to_thread(worker.run_job, _job_ids(db_engine)[0])

        assert (ran, held) == (0, None)
        assert _jobs(db_engine) == [JobStatus.QUEUED]
        assert (await gateway.detail(declaration_id))["status"] == "ordered"
        assert mock_deposits(mock_url) == []

        with Session(db_engine) as session:
            stored = session.get(Maintenance, maintenance.id)
            assert stored is not None
            stored.end = CLOCK.now() - timedelta(seconds=1)
            session.add(stored)
            session.commit()
        assert await asyncio.to_thread(worker.drain, timeout=20)
    finally:
        worker.context.client.close()

    assert_deposited(await gateway.detail(declaration_id))
    assert len(mock_deposits(mock_url)) == 1


def test_worker_heartbeat_is_recorded_for_the_status_page(
    wsettings: Settings, db_engine: Engine
) -> None:
    worker = fast_worker(wsettings, db_engine, CLOCK)
    try:
        worker.beat_if_due()
    finally:
        worker.context.client.close()

    with Session(db_engine) as session:
        probe = session.get(ComponentProbe, Component.WORKER.value)
    assert probe is not None and probe.ok
