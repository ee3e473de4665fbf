"""The `Expires` rule of the deposit point: do not repeat the same query before its answer expires.

A repeated query before then gets the answer already received, without a call. Lifetimes are read
as Expires minus the server's Date (immune to clock skew) and capped, so a wrong server clock
cannot freeze a listing.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from dsnlink.clock import Clock
from dsnlink.deposit_point.responses import server_lifetime


@dataclass
class _Entry:
    expires_at: datetime
    value: Any


class ExpiresCache:
    """Answers kept until their `Expires` (at most `max_ttl`), at most `size` of them."""

    def __init__(self, *, clock: Clock, max_ttl: timedelta, size: int) -> None:
        self._clock = clock
        self._max_ttl = max_ttl
        self._size = size
        self._entries: dict[Hashable, _Entry] = {}

    def get(self, key: Hashable) -> Any:
        """The answer still fresh for this query, or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock.now() < entry.expires_at:
            return entry.value
        del self._entries[key]
        return None

    def remember(self, key: Hashable, response: httpx.Response, value: Any) -> None:
        """Keep `value` (read from `response`) until the response's Expires."""
        now = self._clock.now()
        lifetime = server_lifetime(response, now)
        if lifetime is None or lifetime <= timedelta(0):
            return
        expires_at = now + min(lifetime, self._max_ttl)
        if len(self._entries) >= self._size:
            for stale in [k for k, e in self._entries.items() if e.expires_at <= now]:
                del self._entries[stale]
            while len(self._entries) >= self._size:
                del self._entries[next(iter(self._entries))]
        self._entries[key] = _Entry(expires_at=expires_at, value=value)
