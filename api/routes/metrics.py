"""Prometheus metrics: HTTP figures of this process, the rest read from the database.

Outside development they are served only with DSNLINK_METRICS_TOKEN set (and sent as a bearer
token): figures of every tenant's activity are not for the public. Label values are bounded:
known methods or OTHER, route templates or `unmatched` (api/middleware.py).
"""

from __future__ import annotations

import hmac

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from api.deps import RuntimeDep
from api.errors import problem_response

router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, runtime: RuntimeDep) -> Response:
    settings = runtime.settings
    if not settings.metrics_enabled or (
        settings.metrics_token is None and not settings.is_development
    ):
        return problem_response(
            404,
            "not-found",
            "les métriques sont désactivées sur cette passerelle (hors développement, elles "
            "demandent DSNLINK_METRICS_TOKEN)",
            title="Introuvable",
        )
    if settings.metrics_token is not None:
        expected = settings.metrics_token.get_secret_value()
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), expected.encode()
        ):
            return problem_response(
                401,
                "metrics-token-required",
                "send the metrics token: Authorization: Bearer <DSNLINK_METRICS_TOKEN>",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    registry: CollectorRegistry = request.app.state.metrics_registry
    payload = await anyio.to_thread.run_sync(generate_latest, registry)
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
