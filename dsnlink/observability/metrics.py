"""Metrics read from the database at scrape time, so they are right across processes.

Workers are separate processes (and machines): a counter incremented in one of them would be
seen only by a scrape of that process. Everything about declarations, the queue and deposit
attempts is therefore computed from the tables when Prometheus scrapes; HTTP metrics, which
belong to the process answering, are kept by the API's middleware.

Metric names:
  dsnlink_declarations{status}                          gauge
  dsnlink_transmission_jobs{status}                     gauge
  dsnlink_transmission_queue_depth                      gauge (queued + running jobs)
  dsnlink_transmission_queue_oldest_age_seconds         gauge (0 when the queue is empty)
  dsnlink_deposit_attempts_total{outcome}               counter (rows of deposit_attempt)
  dsnlink_order_to_aee_seconds{quantile}                gauge, over the flows of the last 24 h
  dsnlink_order_to_aee_count                            gauge, those flows
  dsnlink_metrics_database_up                           gauge, 0 when the queries failed
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence
from datetime import timedelta

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.declarations.models import DeclarationStatus
from dsnlink.observability import repository
from dsnlink.outbox.models import JobStatus
from dsnlink.transmission.models import AttemptState

logger = logging.getLogger(__name__)

AEE_WINDOW = timedelta(hours=24)
QUANTILES = (0.5, 0.9, 0.99, 1.0)


def quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile of sorted `values` (q=1 is the maximum)."""
    if not values:
        return 0.0
    rank = max(1, min(len(values), math.ceil(q * len(values))))
    return values[rank - 1]


class DatabaseCollector(Collector):
    """A Prometheus collector whose every sample is a query of the shared database."""

    def __init__(self, sessions: Callable[[], Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def describe(self) -> Iterator[Metric]:
        # Describing would run the queries at registration: declare nothing, collect at scrape.
        return iter(())

    def collect(self) -> Iterator[Metric]:
        try:
            metrics = self._collect()
        except Exception:
            logger.exception("metrics: the database queries failed")
            up = GaugeMetricFamily(
                "dsnlink_metrics_database_up", "1 when the database metrics could be read"
            )
            up.add_metric([], 0)
            yield up
            return
        yield from metrics

    def _collect(self) -> list[Metric]:
        now = self._clock.now()
        with self._sessions() as session:
            declarations = repository.count_declarations_by_status(session)
            jobs = repository.count_jobs_by_status(session)
            oldest = repository.oldest_pending_job_created_at(session)
            attempts = repository.count_attempts_by_outcome(session)
            pairs = repository.order_to_deposit_pairs(session, since=now - AEE_WINDOW)
            quarantined = repository.count_quarantined_returns(session)

        by_status = GaugeMetricFamily(
            "dsnlink_declarations", "Declarations by status", labels=["status"]
        )
        for status in DeclarationStatus:
            by_status.add_metric([status.value], declarations.get(status.value, 0))

        job_family = GaugeMetricFamily(
            "dsnlink_transmission_jobs", "Transmission jobs by status", labels=["status"]
        )
        for job_status in JobStatus:
            job_family.add_metric([job_status.value], jobs.get(job_status.value, 0))

        depth = GaugeMetricFamily(
            "dsnlink_transmission_queue_depth", "Transmission jobs queued or running"
        )
        depth.add_metric([], jobs.get(JobStatus.QUEUED, 0) + jobs.get(JobStatus.RUNNING, 0))

        age = GaugeMetricFamily(
            "dsnlink_transmission_queue_oldest_age_seconds",
            "Age of the oldest queued or running transmission job (since its order)",
        )
        age.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)

        attempt_family = CounterMetricFamily(
            "dsnlink_deposit_attempts",
            "Deposit attempts recorded, by outcome",
            labels=["outcome"],
        )
        for state in AttemptState:
            attempt_family.add_metric([state.value], attempts.get(state.value, 0))

        durations = sorted(
            max(0.0, (deposited - ordered).total_seconds()) for ordered, deposited in pairs
        )
        aee = GaugeMetricFamily(
            "dsnlink_order_to_aee_seconds",
            "Time from the transmission order to the AEE, flows deposited in the last 24 h",
            labels=["quantile"],
        )
        for q in QUANTILES:
            aee.add_metric([str(q)], quantile(durations, q))
        aee_count = GaugeMetricFamily(
            "dsnlink_order_to_aee_count", "Flows deposited (AEE) in the last 24 h"
        )
        aee_count.add_metric([], len(durations))

        returns_quarantined = GaugeMetricFamily(
            "dsnlink_returns_quarantined",
            "Returns stored raw because they could not be read (bad XML, DTD, purged, too large)",
        )
        returns_quarantined.add_metric([], quarantined)

        up = GaugeMetricFamily(
            "dsnlink_metrics_database_up", "1 when the database metrics could be read"
        )
        up.add_metric([], 1)
        return [
            by_status,
            job_family,
            depth,
            age,
            attempt_family,
            aee,
            aee_count,
            returns_quarantined,
            up,
        ]
