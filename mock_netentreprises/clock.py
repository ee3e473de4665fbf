"""The mock's only source of time: injectable, and shiftable so tests can fast-forward returns."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def system_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    """UTC time from a base source plus an offset that only ever grows (fast-forward)."""

    def __init__(self, base: Callable[[], datetime] = system_now) -> None:
        self._base = base
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            offset = self._offset
        return self._base() + offset

    def advance(self, delta: timedelta) -> datetime:
        if delta < timedelta():
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += delta
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta()


class ManualClock(Clock):
    """A clock frozen at `start` that moves only through `advance` (for tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        super().__init__(lambda: start)
