"""The transmission worker: claims due jobs from `transmission_job` and runs them step by step.

`transmission_job` is the durable source of truth on both databases. A job is claimed with a
guarded UPDATE (`status='queued' AND available_at <= now`, or a `running` job whose lease
`locked_until` expired: its worker died), so two workers never run the same job; finishing is
fenced by `locked_by`, so a worker whose lease was taken over cannot overwrite the new owner.

On SQLite (the embedded default) the loop polls the table (`start_inprocess_worker` runs it in a
thread of the gateway). On PostgreSQL `dsnlink worker` is woken by pgqueuer (pgqueue.py) and
still claims through the same table; its slow sweep of the table is the safety net should a
wake-up be lost. The loop also polls the deposit point's returns every `returns_poll_seconds`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from dsnlink import db
from dsnlink.alerts.service import AlertDispatcher, dispatcher_from_settings
from dsnlink.clock import Clock, SystemClock
from dsnlink.config import Settings
from dsnlink.deposit_point.client import DepositPointClient
from dsnlink.logs.logging import log_context
from dsnlink.outbox.models import JobStatus
from dsnlink.security.blobs import BlobStore
from dsnlink.security.keys import keyring_from_settings
from dsnlink.service_status.models import Component
from dsnlink.service_status.service import maintenance_in_progress, record_probe
from dsnlink.transmission import repository
from dsnlink.transmission.context import (
    StepKind,
    StepOutcome,
    TransmissionContext,
    TransmissionPolicy,
    build_client,
)
from dsnlink.transmission.inbox import poll_returns
from dsnlink.transmission.protocol import transmit_step
from dsnlink.webhooks import dispatcher as webhooks

logger = logging.getLogger(__name__)

CLAIM_BATCH = 20
HEARTBEAT_EVERY = timedelta(minutes=1)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class TransmissionWorker:
    """One worker: claims jobs, runs their steps, polls returns. Thread-confined."""

    context: TransmissionContext
    lease: timedelta
    returns_every: timedelta
    _next_returns_poll: datetime | None = field(default=None, init=False)
    _next_heartbeat: datetime | None = field(default=None, init=False)
    alerts: AlertDispatcher | None = None  # e-mail alerts (dsnlink/alerts), run from the loop

    @property
    def clock(self) -> Clock:
        return self.context.clock

    # --- claiming ------------------------------------------------------------------------------

    def held_by_maintenance(self) -> bool:
        """True while a maintenance is under way: jobs stay queued, none is claimed or lost."""
        with self.context.sessions() as session:
            return maintenance_in_progress(session, self.clock.now()) is not None

    def claim(self, job_id: uuid.UUID) -> bool:
        """Take this job if it is due (or its previous worker's lease expired)."""
        now = self.clock.now()
        with self.context.sessions() as session:
            claimed = repository.claim_job(
                session,
                job_id=job_id,
                worker_id=self.context.worker_id,
                now=now,
                locked_until=now + self.lease,
            )
            session.commit()
            return claimed

    def due_jobs(self, limit: int = CLAIM_BATCH) -> list[uuid.UUID]:
        with self.context.sessions() as session:
            return repository.due_job_ids(session, now=self.clock.now(), limit=limit)

    def next_due_at(self) -> datetime | None:
        with self.context.sessions() as session:
            return repository.next_due_at(session)

    # --- running -------------------------------------------------------------------------------

    def run_job(self, job_id: uuid.UUID) -> StepOutcome | None:
        """Claim and run one step of a job; None if it was not ours (or not the time) to run."""
        if self.held_by_maintenance() or not self.claim(job_id):
            return None
        # transmit_step adds the declaration id: every line of this step carries both ids.
        with log_context(job_id=str(job_id), worker_id=self.context.worker_id):
            renewal = threading.Event()
            renewer = threading.Thread(
                target=self._keep_lease, args=(job_id, renewal), name="lease-renewal", daemon=True
            )
            renewer.start()
            try:
                outcome = transmit_step(self.context, job_id=job_id)
            except Exception as exc:
                # A bug or the database failing: the job comes back after a short pause. An
                # attempt left `sending` is reconciled then, never sent again blindly.
                logger.exception("transmission job %s failed unexpectedly", job_id)
                outcome = StepOutcome(
                    StepKind.RETRY,
                    at=self.clock.now() + self.context.policy.reconcile_recheck,
                    error=f"internal error: {type(exc).__name__}: {exc}",
                )
            finally:
                renewal.set()
                renewer.join()
            self.finish(job_id, outcome)
            logger.info(
                "transmission step: %s",
                outcome.kind.value,
                extra={"outcome": outcome.kind.value, "attempted": outcome.attempted},
            )
        return outcome

    def _keep_lease(self, job_id: uuid.UUID, done: threading.Event) -> None:
        """Extend the job's lease while its step runs (a slow deposit is not a dead worker).

        The lease can then be short, so that the job of a worker that really died (SIGKILL,
        machine lost) is taken over within about one lease. Should renewal fail (database
        unreachable), another worker may take the job over; the intent row makes it reconcile
        instead of sending again.
        """
        interval = max(self.lease.total_seconds() / 3, 0.2)
        while not done.wait(interval):
            try:
                with self.context.sessions() as session:
                    repository.renew_job_lease(
                        session,
                        job_id=job_id,
                        worker_id=self.context.worker_id,
                        locked_until=self.clock.now() + self.lease,
                    )
                    session.commit()
            except Exception:
                logger.warning("could not renew the lease of job %s", job_id, exc_info=True)

    def finish(self, job_id: uuid.UUID, outcome: StepOutcome) -> None:
        now = self.clock.now()
        if outcome.kind is StepKind.RETRY:
            status, available_at = JobStatus.QUEUED, outcome.at or now
        else:
            status = JobStatus.DONE if outcome.kind is StepKind.DONE else JobStatus.FAILED
            available_at = None
        with self.context.sessions() as session:
            repository.finish_job(
                session,
                job_id=job_id,
                worker_id=self.context.worker_id,
                now=now,
                status=status,
                available_at=available_at,
                error=outcome.error,
                attempted=outcome.attempted,
            )
            session.commit()

    def run_once(self) -> int:
        """Run one step of every job due now; returns how many steps ran."""
        if self.held_by_maintenance():
            return 0
        ran = 0
        for job_id in self.due_jobs():
            if self.run_job(job_id) is not None:
                ran += 1
        return ran

    def poll_returns_if_due(self) -> int:
        now = self.clock.now()
        if self._next_returns_poll is not None and now < self._next_returns_poll:
            return 0
        self._next_returns_poll = now + self.returns_every
        try:
            return poll_returns(self.context)
        except Exception:
            logger.exception("returns polling failed")
            return 0

    def beat_if_due(self) -> None:
        """Tell the status page this worker is alive (at most once a minute)."""
        now = self.clock.now()
        if self._next_heartbeat is not None and now < self._next_heartbeat:
            return
        self._next_heartbeat = now + HEARTBEAT_EVERY
        try:
            with self.context.sessions() as session:
                record_probe(session, component=Component.WORKER, ok=True, at=now)
                session.commit()
        except Exception:
            logger.exception("worker heartbeat failed")

    def run_forever(self, stop: threading.Event, *, idle: float) -> None:
        """Poll until `stop` is set; sleeps `idle` seconds when nothing is due."""
        while not stop.is_set():
            try:
                ran = self.run_once()
            except Exception:
                logger.exception("transmission loop failed; continuing")
                ran = 0
            self.poll_returns_if_due()
            self.beat_if_due()
            if self.alerts is not None:
                self.alerts.run_if_due()
            ran += webhooks.dispatch(
                self.context.sessions, clock=self.context.clock, keyring=self.context.keyring
            )
            if not ran:
                stop.wait(idle)

    def drain(self, *, timeout: float, idle: float = 0.05) -> bool:
        """Run until no job is queued or running (tests, benchmark); False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.run_once()
            self.poll_returns_if_due()
            webhooks.dispatch(
                self.context.sessions, clock=self.context.clock, keyring=self.context.keyring
            )
            if not self._pending():
                return True
            time.sleep(idle)
        return False

    def _pending(self) -> bool:
        with self.context.sessions() as session:
            return repository.has_pending_jobs(session)


def build_worker(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock | None = None,
    client: DepositPointClient | None = None,
    policy: TransmissionPolicy | None = None,
    worker_id: str | None = None,
) -> TransmissionWorker:
    """A worker over `engine` talking to the deposit point of `settings`."""
    clock = clock or SystemClock()
    keyring = keyring_from_settings(settings)
    context = TransmissionContext(
        sessions=db.session_factory(engine),
        client=client or build_client(settings, clock=clock),
        keyring=keyring,
        blobs=BlobStore(settings.data_dir / "blobs", keyring),
        clock=clock,
        policy=policy or TransmissionPolicy.from_settings(settings),
        worker_id=worker_id or new_worker_id(),
        identity_secret=settings.secret_key,
    )
    return TransmissionWorker(
        context=context,
        lease=timedelta(seconds=settings.worker_lease_seconds),
        returns_every=timedelta(seconds=settings.returns_poll_seconds),
        alerts=dispatcher_from_settings(settings, sessions=context.sessions, clock=clock),
    )


@dataclass
class WorkerHandle:
    """A worker running in a thread of this process; `stop()` waits for its current step."""

    worker: TransmissionWorker
    thread: threading.Thread
    stop_event: threading.Event

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)
        self.worker.context.client.close()


def start_inprocess_worker(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock | None = None,
    client: DepositPointClient | None = None,
    policy: TransmissionPolicy | None = None,
) -> WorkerHandle:
    """Run the polling worker in a daemon thread (the embedded SQLite deployment)."""
    worker = build_worker(settings, engine, clock=clock, client=client, policy=policy)
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run_forever,
        args=(stop,),
        kwargs={"idle": settings.worker_poll_seconds},
        name="dsnlink-transmission-worker",
        daemon=True,
    )
    thread.start()
    return WorkerHandle(worker=worker, thread=thread, stop_event=stop)
