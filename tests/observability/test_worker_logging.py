"""Logs of worker steps: each line carries the job and declaration ids, and a failing deposit
whose error quotes the file and the DSNLogin credentials is logged scrubbed."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from benchmarks.harness import worker_settings
from dsnlink import db
from dsnlink.clock import SystemClock
from dsnlink.config import Settings
from dsnlink.deposit_point.records import DeclarantIdentity
from dsnlink.norm.sample import sample_bytes
from dsnlink.outbox.models import TransmissionJob
from tests.observability.logcapture import CapturedLogs
from tests.transmission.transmission_harness import (
    DECLARANT,
    MONTH,
    NIC,
    SIREN,
    Gateway,
    fast_worker,
    gateway_app,
    open_gateway,
)

CLOCK = SystemClock()


@pytest.fixture
async def gateway(settings: Settings, db_engine: Engine) -> AsyncIterator[Gateway]:
    # No deposit point is needed: the deposit itself is made to fail.
    wsettings = worker_settings(settings, "http://127.0.0.1:9")
    gateway = await open_gateway(gateway_app(wsettings, db_engine, CLOCK), wsettings,
                                 db_engine, CLOCK)
    yield gateway
    await gateway.http.aclose()


async def test_failing_step_is_logged_with_ids_and_without_secrets(
    gateway: Gateway, settings: Settings, db_engine: Engine
) -> None:
    declaration_id = await gateway.upload(seed=11, employees=3)
    dsn = sample_bytes(employees=3, month=MONTH, seed=11, siren=SIREN, nic=NIC).decode("latin-1")
    nirs = re.findall(r"^S21\.G00\.30\.001,'(\d{13})'", dsn, flags=re.MULTILINE)
    assert len(nirs) == 3

    worker = fast_worker(worker_settings(settings, "http://127.0.0.1:9"), db_engine, CLOCK)

    def crashing_deposit(declarant: DeclarantIdentity, body: bytes) -> None:
        header = f"DSNLogin concentrateur=jeton-secret-123,declarant={declarant.header_value()}"
        raise RuntimeError(
            f"deposit blew up; Authorization: {header}; body:\n{body.decode('latin-1')[:5000]}"
        )

    worker.context.client.deposit = crashing_deposit  # type: ignore[method-assign]
    with db.session_factory(db_engine)() as session:
        job = session.exec(
            select(TransmissionJob).where(
                TransmissionJob.declaration_id == uuid.UUID(declaration_id)
            )
        ).one()

    logs = CapturedLogs()
    try:
        outcome = worker.run_job(job.id)
    finally:
        logs.close()
        worker.context.client.close()

    assert outcome is not None and outcome.kind == "retry"
    failure = next(e for e in logs.events() if e["level"] == "error")
    assert failure["declaration_id"] == declaration_id
    assert failure["job_id"] == str(job.id)
    assert "deposit blew up" in failure["exception"]
    assert "DSNLogin [redacted]" in failure["exception"]
    step = next(e for e in logs.events() if e["event"].startswith("transmission step"))
    assert step["declaration_id"] == declaration_id
    logs.assert_free_of(*nirs, "jeton-secret-123", DECLARANT["password"])
