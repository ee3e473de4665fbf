"""PostgreSQL wake-ups of the transmission worker, through pgqueuer.

`transmission_job` stays the source of truth (and the only lock: a job is claimed with a guarded
UPDATE there); pgqueuer only tells a worker *when* to look, instead of every worker polling:

- Enqueue in the ordering transaction: `SessionSyncDriver` runs pgqueuer's enqueue on the
  SQLAlchemy session's own psycopg connection, so the order, the job row and the wake-up commit
  or vanish together. (pgqueuer's `SyncPsycopgDriver` insists on autocommit, which would commit
  the wake-up on its own.)
- Consumers: `PgQueuer` over an autocommit async psycopg connection, entrypoint `transmit`; the
  handler runs the synchronous job step in a thread. A step that must run again later enqueues a
  new wake-up with `execute_after`. pgqueuer's heartbeat makes a job whose worker was SIGKILLed
  pickable again after `heartbeat_timeout`; the job row's own lease expires likewise.
- A slow sweep of `transmission_job` catches anything a lost wake-up would leave behind.

Why pgqueuer rather than procrastinate: it enqueues through any driver we hand it (so through the
session's connection, inside our transaction), it dequeues with `FOR UPDATE SKIP LOCKED` and
wakes consumers with LISTEN/NOTIFY, it recovers stalled jobs by heartbeat, its schema is plain
SQL we install from our own Alembic migration, and it has an in-memory mode for tests. Procrastinate
wants its own connector and schema management (its own migrations, its own app object) and is
built around its own async-first job model; we would have run two schema owners side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import uuid
from datetime import datetime, timedelta

from dsnlink.config import Settings
from dsnlink.outbox.models import JobStatus, TransmissionJob
from dsnlink.outbox.wakeup import ENTRYPOINT
from dsnlink.transmission.context import StepKind
from dsnlink.transmission.worker import TransmissionWorker

logger = logging.getLogger(__name__)

# Back-off between reconnections of the consumer (seconds): doubles from the first to the last.
RECONNECT_FIRST = 1.0
RECONNECT_LAST = 30.0


def _psycopg_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(settings.effective_database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _queued_until(worker: TransmissionWorker, job_id: uuid.UUID) -> datetime | None:
    """When this job is next due, if it waits in the queue (None if running, done or failed)."""
    with worker.context.sessions() as session:
        job = session.get(TransmissionJob, job_id)
        if job is None or job.status != JobStatus.QUEUED:
            return None
        return job.available_at


def run_pgqueuer_worker(
    settings: Settings,
    worker: TransmissionWorker,
    *,
    heartbeat_timeout: timedelta | None = None,
    sweep_every: float | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Consume `transmit` wake-ups until SIGTERM/SIGINT (or `stop`), reconnecting after a loss."""
    asyncio.run(_consume_until_stopped(settings, worker, heartbeat_timeout, sweep_every, stop))


class QueueConnectionLost(Exception):
    """A connection of the consumer broke (PostgreSQL restarted, network cut): reconnect."""


async def _consume_until_stopped(
    settings: Settings,
    worker: TransmissionWorker,
    heartbeat_timeout: timedelta | None,
    sweep_every: float | None,
    stop: asyncio.Event | None,
) -> None:
    """Run the consumer; when its connections fail, wait (backing off) and start it again.

    Nothing is lost meanwhile: `transmission_job` holds the work, a step cut short leaves its
    job `running` until the lease expires (then the sweep takes it) and its attempt `sending`
    (then it is reconciled, never blindly resent).
    """
    stopping = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Not possible outside the main thread (tests): `stop` is used there instead.
        with contextlib.suppress(RuntimeError, ValueError):
            loop.add_signal_handler(signum, stopping.set)
    delay = RECONNECT_FIRST
    while not stopping.is_set():
        began = loop.time()
        try:
            await _consume(settings, worker, heartbeat_timeout, sweep_every, stopping)
        except Exception as exc:
            if stopping.is_set():
                return
            logger.warning(
                "transmission queue connection lost (%s: %s); reconnecting in %.0f s",
                type(exc).__name__,
                exc,
                delay,
            )
        else:
            return
        if loop.time() - began > RECONNECT_LAST:
            delay = RECONNECT_FIRST
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=delay)
        delay = min(delay * 2, RECONNECT_LAST)


async def _consume(
    settings: Settings,
    worker: TransmissionWorker,
    heartbeat_timeout: timedelta | None,
    sweep_every: float | None,
    stop: asyncio.Event,
) -> None:
    import psycopg
    from pgqueuer import PgQueuer
    from pgqueuer.models import Job
    from pgqueuer.queries import Queries

    url = _psycopg_url(settings)
    lease = worker.lease
    heartbeat = heartbeat_timeout or min(timedelta(seconds=30), lease)
    sweep = sweep_every if sweep_every is not None else max(settings.worker_poll_seconds, 30.0)
    async with (
        await psycopg.AsyncConnection.connect(url, autocommit=True) as consumer,
        await psycopg.AsyncConnection.connect(url, autocommit=True) as producer,
    ):
        pgq = PgQueuer.from_psycopg_connection(consumer)
        from pgqueuer.db import PsycopgDriver

        queries = Queries(PsycopgDriver(producer))

        async def wake_later(job_id: uuid.UUID, at: datetime | None) -> None:
            delay = (at or worker.clock.now()) - worker.clock.now()
            await queries.enqueue(ENTRYPOINT, job_id.bytes, execute_after=max(delay, timedelta(0)))

        async def step(job_id: uuid.UUID) -> None:
            """Run one step; whatever runs it (wake-up or sweep), a retry gets its own wake-up."""
            outcome = await asyncio.to_thread(worker.run_job, job_id)
            if outcome is not None:
                if outcome.kind is StepKind.RETRY:
                    await wake_later(job_id, outcome.at)
                return
            # Not claimed: running elsewhere (that worker re-arms it), held by a maintenance (the
            # sweep takes it afterwards), or not due yet: then this early wake-up must not be the
            # job's last one.
            queued_until = await asyncio.to_thread(_queued_until, worker, job_id)
            if queued_until is not None and queued_until > worker.clock.now():
                await wake_later(job_id, queued_until)

        @pgq.entrypoint(ENTRYPOINT)
        async def transmit(job: Job) -> None:
            if job.payload:
                await step(uuid.UUID(bytes=bytes(job.payload)))

        async def sweep_once() -> None:
            if await asyncio.to_thread(worker.held_by_maintenance):
                return
            for job_id in await asyncio.to_thread(worker.due_jobs):
                await step(job_id)

        async def sweeper() -> None:
            while not pgq.shutdown.is_set():
                try:
                    await sweep_once()
                    await asyncio.to_thread(worker.poll_returns_if_due)
                    await asyncio.to_thread(worker.beat_if_due)
                    if worker.alerts is not None:
                        await asyncio.to_thread(worker.alerts.run_if_due)
                except Exception:
                    # The database or the queue away for a moment: the next sweep tries again.
                    logger.exception("transmission sweep failed; continuing")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(pgq.shutdown.wait(), timeout=sweep)

        lost: list[str] = []

        async def watch() -> None:
            """Stop the consumer when asked to, or when one of its connections broke."""
            while not pgq.shutdown.is_set():
                if stop.is_set():
                    pgq.shutdown.set()
                elif consumer.broken or producer.broken or consumer.closed or producer.closed:
                    lost.append("a connection of the queue consumer broke")
                    pgq.shutdown.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)

        tasks = [asyncio.create_task(sweeper()), asyncio.create_task(watch())]
        try:
            await pgq.run(
                dequeue_timeout=timedelta(seconds=max(1.0, settings.worker_poll_seconds)),
                heartbeat_timeout=heartbeat,
                batch_size=4,
            )
        finally:
            pgq.shutdown.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if lost:
            raise QueueConnectionLost(lost[0])
