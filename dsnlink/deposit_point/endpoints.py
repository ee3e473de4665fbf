"""Where the deposit point is and how patiently the client talks to it: endpoints, retries,
timeouts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx

from dsnlink.deposit_point.records import (
    Operation,
)


@dataclass(frozen=True)
class Endpoints:
    """Base URLs of the three hosts (authentication, deposit, consultation); one for a mock."""

    authentication: str
    deposit: str
    consultation: str

    @classmethod
    def single(cls, base_url: str) -> Endpoints:
        return cls(authentication=base_url, deposit=base_url, consultation=base_url)

    @classmethod
    def net_entreprises(cls) -> Endpoints:
        """Production hosts of the general scheme (DSN "rg")."""
        return cls(
            authentication="https://services.net-entreprises.fr",
            deposit="https://depot.dsnrg.net-entreprises.fr",
            consultation="https://consultation.dsnrg.net-entreprises.fr",
        )

    def trusted_hosts(self) -> frozenset[str]:
        return frozenset(
            urlsplit(url).netloc.lower()
            for url in (self.authentication, self.deposit, self.consultation)
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the in-call retries (tenacity: exponential backoff with jitter)."""

    max_attempts: int = 4
    initial_backoff: float = 1.0
    max_backoff: float = 30.0
    jitter: float = 1.0
    deposit_max_attempts: int = 3  # retries only of deposits that surely never left


@dataclass(frozen=True)
class Timeouts:
    """httpx timeouts, in seconds; the deposit read timeout is long (big files, slow AEE)."""

    connect: float = 10.0
    read: float = 60.0
    write: float = 60.0
    pool: float = 10.0
    deposit_read: float = 300.0

    def for_operation(self, operation: Operation) -> httpx.Timeout:
        read = self.deposit_read if operation is Operation.DEPOSIT else self.read
        return httpx.Timeout(connect=self.connect, read=read, write=self.write, pool=self.pool)


# How wide a ranged listing may be, in minutes, until the server says otherwise (Accept-Ranges).
DEFAULT_WINDOW_MINUTES: Mapping[Operation, int] = {
    Operation.LIST_DEPOSITS: 10,
    Operation.LIST_RETURNS_DECLARANT: 60,
    Operation.LIST_RETURNS_CONCENTRATOR: 10,
}

# Dates in the deposit point's paths and listings are its local time.
DEPOSIT_POINT_TIMEZONE = ZoneInfo("Europe/Paris")
