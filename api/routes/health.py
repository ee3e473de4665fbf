"""Liveness and readiness probes for orchestrators and load balancers (no authentication).

The public readiness answer says which checks failed, never why (the reasons name database
hosts and the deposit point's URL): those go to the log, and to callers presenting the metrics
token (DSNLINK_METRICS_TOKEN).
"""

from __future__ import annotations

import hmac
import logging

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.deps import RuntimeDep
from dsnlink.observability.health import DepositPointProbe, readiness

router = APIRouter(tags=["health"])
logger = logging.getLogger("dsnlink.api")


def _with_details(request: Request, runtime: RuntimeDep) -> bool:
    token = runtime.settings.metrics_token
    if token is None:
        return False
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.get_secret_value().encode()
    )


@router.get("/health/live", summary="The process is up (no dependency is checked)")
def live() -> dict[str, str]:
    return {"status": "alive"}


@router.get(
    "/health/ready",
    summary="Database, queue table and deposit point reachable (503 with the failed checks)",
    responses={503: {"description": "not ready; `failed` names the checks that failed"}},
)
async def ready(request: Request, runtime: RuntimeDep) -> JSONResponse:
    settings = runtime.settings
    probe: DepositPointProbe = request.app.state.deposit_probe
    # Each check has its own short timeout; this bounds a connect that ignores it.
    budget = 3 * settings.health_timeout_seconds + 1
    result = None
    with anyio.move_on_after(budget):
        result = await anyio.to_thread.run_sync(
            lambda: readiness(
                runtime.engine,
                runtime.sessions,
                probe,
                clock=runtime.clock,
                timeout=settings.health_timeout_seconds,
                deposit_point_required=settings.ready_requires_deposit_point,
            ),
            abandon_on_cancel=True,
        )
    if result is None:
        body: dict[str, object] = {
            "status": "not_ready",
            "failed": ["timeout"],
            "checks": {},
            "detail": f"the checks did not finish within {budget:.0f} s",
        }
        return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store"})
    for check in result.checks:
        if not check.ok:
            logger.warning("readiness check %s failed: %s", check.name, check.detail)
    return JSONResponse(
        result.as_dict(with_details=_with_details(request, runtime)),
        status_code=200 if result.ready else 503,
        headers={"Cache-Control": "no-store"},
    )
