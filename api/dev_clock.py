"""The sandbox clock: in development and demo the gateway's time can be set, so a publisher can
try cut-off and deadline behaviour without waiting for the calendar. Never in production."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from dsnlink.clock import Clock
from dsnlink.errors import ForbiddenError


class DevClockRefused(ForbiddenError):
    code = "dev-clock-refused"


class SandboxClock:
    """A clock that runs like `base`, shifted by an offset the sandbox sets (and resets)."""

    def __init__(self, base: Clock) -> None:
        self._base = base
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._base.now() + self._offset

    @property
    def offset(self) -> timedelta:
        return self._offset

    def set(self, at: datetime) -> None:
        with self._lock:
            self._offset = at - self._base.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)
