"""What a transmission job step runs with (timings, sessions, client, keys, clock) and what it
tells the worker (done, retry at, failed)."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.config import Settings
from dsnlink.deposit_point.client import DepositPointClient
from dsnlink.deposit_point.endpoints import Endpoints, RetryPolicy, Timeouts
from dsnlink.deposit_point.records import (
    ConcentratorCredentials,
)
from dsnlink.security.blobs import BlobStore
from dsnlink.security.keys import Keyring

RECONCILE_LOOKBACK = timedelta(minutes=1)


@dataclass(frozen=True)
class TransmissionPolicy:
    """Timings of the protocol, from Settings (tests shrink them)."""

    retry_base: timedelta = timedelta(seconds=30)
    retry_max: timedelta = timedelta(hours=1)
    max_age: timedelta = timedelta(hours=72)
    declarant_wait: timedelta = timedelta(seconds=5)
    deposit_read_timeout: timedelta = timedelta(seconds=300)
    reconcile_grace: timedelta = timedelta(minutes=3)
    reconcile_recheck: timedelta = timedelta(seconds=30)
    reconcile_proof: timedelta = timedelta(hours=2)
    returns_lag: timedelta = timedelta(minutes=2)
    returns_follow: timedelta = timedelta(days=7)

    @classmethod
    def from_settings(cls, settings: Settings) -> TransmissionPolicy:
        return cls(
            retry_base=timedelta(seconds=settings.transmission_retry_base_seconds),
            retry_max=timedelta(seconds=settings.transmission_retry_max_seconds),
            max_age=timedelta(hours=settings.transmission_max_age_hours),
            declarant_wait=timedelta(seconds=settings.transmission_declarant_wait_seconds),
            deposit_read_timeout=timedelta(seconds=settings.deposit_read_timeout_seconds),
            reconcile_grace=timedelta(seconds=settings.reconcile_grace_seconds),
            reconcile_recheck=timedelta(seconds=settings.reconcile_recheck_seconds),
            reconcile_proof=timedelta(seconds=settings.reconcile_proof_seconds),
            returns_lag=timedelta(seconds=settings.returns_lag_seconds),
            returns_follow=timedelta(days=settings.returns_follow_days),
        )


@dataclass
class TransmissionContext:
    """What a job step needs: sessions, the client, keys and files, time, who is working."""

    sessions: Callable[[], Session]
    client: DepositPointClient
    keyring: Keyring
    blobs: BlobStore
    clock: Clock
    policy: TransmissionPolicy
    worker_id: str
    identity_secret: str  # HMAC key of net-entreprises identities (Settings.secret_key)
    rng: random.Random = dataclasses.field(default_factory=random.Random)
    # Returns whose download failed transiently, by (idflux, return id): cycles in a row.
    return_failures: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)


class StepKind(StrEnum):
    DONE = "done"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True)
class StepOutcome:
    """What the worker does with the job after a step: finish it, or run it again at `at`."""

    kind: StepKind
    at: datetime | None = None
    error: str | None = None
    attempted: bool = False  # a deposit POST was tried (counts towards the backoff)


def build_client(
    settings: Settings,
    *,
    clock: Clock,
    transport: Any = None,
    retry: RetryPolicy | None = None,
) -> DepositPointClient:
    """The deposit-point client of the concentrator named in `settings`."""
    url = settings.deposit_point_url
    endpoints = Endpoints.net_entreprises() if url == "net-entreprises" else Endpoints.single(url)
    backoff = settings.client_retry_backoff_seconds
    return DepositPointClient(
        endpoints=endpoints,
        credentials=ConcentratorCredentials(
            siret=settings.concentrator_siret,
            nom=settings.concentrator_nom,
            prenom=settings.concentrator_prenom,
            password=settings.concentrator_password.get_secret_value(),
        ),
        clock=clock,
        timeouts=Timeouts(deposit_read=settings.deposit_read_timeout_seconds),
        retry=retry
        or RetryPolicy(
            initial_backoff=backoff, max_backoff=max(backoff, 30 * backoff), jitter=backoff
        ),
        transport=transport,
        token_max_age=timedelta(seconds=settings.deposit_point_token_max_age_seconds),
        max_cache_ttl=timedelta(seconds=settings.deposit_point_cache_max_seconds),
        max_response_bytes=settings.returns_max_bytes,
    )
