"""Refuse writes while a maintenance is in progress: 503 problem+json with Retry-After.

Reads stay available (clients follow their declarations), and so do the operator's endpoints
(the operator must be able to end or announce maintenance). Nothing already queued is lost: the
worker holds transmissions while `maintenance_in_progress` returns a maintenance.
"""

from __future__ import annotations

import math

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from api.deps import Runtime
from api.errors import problem_response
from dsnlink import db
from dsnlink.service_status import service as service_status
from dsnlink.service_status.schemas import MaintenanceRead

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
GUARDED_PREFIX = "/v1/"
EXEMPT_PREFIX = "/v1/operator/"


class MaintenanceGuard:
    """ASGI middleware; pure ASGI so request bodies (uploads) stream through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _guarded(scope):
            await self.app(scope, receive, send)
            return
        runtime: Runtime = scope["app"].state.runtime
        current = await anyio.to_thread.run_sync(_current_maintenance, runtime)
        if current is None:
            await self.app(scope, receive, send)
            return
        now = runtime.clock.now()
        retry_after = max(1, math.ceil((current.end - now).total_seconds()))
        response = problem_response(
            503,
            "maintenance",
            f"the service is under {current.kind} maintenance until {current.end.isoformat()}:"
            f" {current.reason}; retry after it ends (nothing already queued is lost)",
            headers={"Retry-After": str(retry_after)},
            maintenance_id=str(current.id),
            maintenance_end=current.end,
        )
        await response(scope, receive, send)


def _guarded(scope: Scope) -> bool:
    if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
        return False
    path: str = scope["path"]
    return path.startswith(GUARDED_PREFIX) and not path.startswith(EXEMPT_PREFIX)


def _current_maintenance(runtime: Runtime) -> MaintenanceRead | None:
    with db.unit_of_work(runtime.sessions) as session:
        current = service_status.maintenance_in_progress(session, runtime.clock.now())
        return service_status.describe_maintenance(current) if current else None
