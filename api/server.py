"""How the gateway's HTTP server treats slow and idle clients (uvicorn, h11).

uvicorn bounds idle keep-alive connections and (with `limit_concurrency`) answers 503 past a
number of connections, but gives a client all the time it wants to finish its request headers:
150 connections sending a header byte now and then held the gateway's file descriptors for
minutes. `GuardedH11Protocol` closes a connection whose request headers are not complete
`header_timeout` seconds after it opened or after its previous answer. Body timeouts are the
application's (`api.security.BodyReadTimeout`), so they hold under any server.

`dsnlink serve` builds its server with `server_config`; under compose the replicas run
`uvicorn --http api.server:GuardedH11Protocol` with the same options, behind nginx's own
client_header_timeout/client_body_timeout.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from dsnlink.config import Settings, get_settings

logger = logging.getLogger("dsnlink.api")
# uvicorn's ceiling on buffered, not yet complete headers (its default 16 KiB, made explicit).
MAX_INCOMPLETE_HEADER_BYTES = 16 * 1024


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for each request's headers."""

    header_timeout: float | None = None  # None: DSNLINK_HEADER_READ_TIMEOUT_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._header_deadline: asyncio.TimerHandle | None = None
        self._answered_cycle: Any = None
        self._arm_header_deadline()

    def _timeout(self) -> float:
        if self.header_timeout is not None:
            return self.header_timeout
        return get_settings().header_read_timeout_seconds

    def _arm_header_deadline(self) -> None:
        self._disarm_header_deadline()
        self._header_deadline = self.loop.call_later(self._timeout(), self._headers_too_slow)

    def _disarm_header_deadline(self) -> None:
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        waiting = self.cycle is None or self.cycle is self._answered_cycle
        if waiting and not self.transport.is_closing():
            logger.info("closing a connection whose request headers did not arrive in time")
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and self.cycle is not self._answered_cycle:
            self._disarm_header_deadline()  # a request's headers are complete

    def on_response_complete(self) -> None:
        self._answered_cycle = self.cycle
        super().on_response_complete()
        if not self.transport.is_closing() and (
            self.cycle is None or self.cycle is self._answered_cycle
        ):
            self._arm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_deadline()
        super().connection_lost(exc)


def guarded_protocol(header_timeout: float) -> type[GuardedH11Protocol]:
    """The protocol class with its header deadline fixed (for an in-process server)."""
    return type(
        "GuardedH11Protocol", (GuardedH11Protocol,), {"header_timeout": header_timeout}
    )


def server_config(app: Any, *, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """uvicorn's configuration for the gateway: timeouts, connection cap, trusted proxies."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=guarded_protocol(settings.header_read_timeout_seconds),
        timeout_keep_alive=settings.keep_alive_seconds,
        limit_concurrency=settings.max_connections,
        h11_max_incomplete_event_size=MAX_INCOMPLETE_HEADER_BYTES,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # log_config=None: uvicorn's lines go through dsnlink's redacting handler.
        log_level="warning",
        lifespan="off",
        log_config=None,
        access_log=False,
    )
