"""Request context, access log and HTTP metrics; `install(app)` wires every middleware.

Pure ASGI middleware (no BaseHTTPMiddleware) so uploads stream through untouched. The request id
comes from `X-Request-ID` when it is a sane token, else is generated; it is echoed on the
response and attached to every log line of the request, with the tenant id (bound by
authentication) and the declaration id (bound from the path or by the route).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem_response
from dsnlink.logs.logging import bind_log_fields, log_context
from dsnlink.observability.health import DepositPointProbe
from dsnlink.observability.metrics import DatabaseCollector

REQUEST_ID_HEADER = "x-request-id"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Path parameters copied to the log context (ids, never personal data).
LOGGED_PATH_PARAMS = ("declaration_id", "return_id", "company_id", "user_id")
# Metric labels take these methods as they are and every other one as OTHER: a client choosing
# random methods must not grow /metrics (one series per label value).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

access_logger = logging.getLogger("dsnlink.access")
logger = logging.getLogger("dsnlink.api")


class HttpMetrics:
    """The answering process's HTTP metrics, in the app's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "dsnlink_http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "dsnlink_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.rate_limited = Counter(
            "dsnlink_http_rate_limited",
            "Requests refused by the rate limit (429)",
            registry=registry,
        )


def route_template(scope: Scope) -> str:
    """The matched path with its parameters as `{name}` (bounded label values), or `unmatched`.

    Rebuilt from the path and its parameters: FastAPI's route object does not carry the
    prefix of the router that included it.
    """
    if scope.get("route") is None:
        return "unmatched"
    names = {str(value): name for name, value in scope.get("path_params", {}).items()}
    return "/".join(
        f"{{{names[segment]}}}" if segment in names else segment
        for segment in scope["path"].split("/")
    )


def method_label(scope: Scope) -> str:
    method = str(scope.get("method", ""))
    return method if method in KNOWN_METHODS else "OTHER"


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1").strip()
            if _SANE_REQUEST_ID.match(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Request id, log context, one access line and the HTTP metrics per request.

    An exception escaping the application becomes the 500 problem+json here, so that answer
    too carries the request id and the security headers, and is counted; a database outage
    becomes 503 with Retry-After, and a client that went away is an info line, not an error.
    """

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with log_context(request_id=request_id) as fields:
            try:
                await self.app(scope, receive, send_with_id)
            except ClientDisconnect:
                log_client_disconnect(scope)
                status = CLIENT_CLOSED_REQUEST
            except DATABASE_OUTAGE_ERRORS as exc:
                logger.warning(
                    "database unavailable on %s %s: %s",
                    scope["method"],
                    scope["path"],
                    type(exc).__name__,
                )
                if not response_started:
                    await database_unavailable_response()(scope, receive, send_with_id)
            except Exception:
                logger.exception("unexpected error on %s %s", scope["method"], scope["path"])
                if not response_started:
                    response = problem_response(
                        500, "internal-error", "an unexpected error occurred; it was logged"
                    )
                    await response(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - started
                route = route_template(scope)
                method = method_label(scope)
                self.metrics.requests.labels(method, route, str(status)).inc()
                self.metrics.latency.labels(method, route).observe(elapsed)
                for name in LOGGED_PATH_PARAMS:
                    value = scope.get("path_params", {}).get(name)
                    if value is not None and name not in fields:
                        fields[name] = str(value)
                access_logger.info(
                    "%s %s %s",
                    method,
                    route,
                    status,
                    extra={
                        "method": method,
                        "route": route,
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 1),
                    },
                )


# nginx's code for "the client closed the connection before the answer" (access log, metrics).
CLIENT_CLOSED_REQUEST = 499


def log_client_disconnect(scope: Scope) -> None:
    """A client that hangs up mid-request is normal traffic: one info line, no traceback."""
    logger.info("client disconnected during %s %s", method_label(scope), route_template(scope))


async def _client_disconnected(request: Request, exc: Exception) -> Response:
    log_client_disconnect(request.scope)
    return Response(status_code=CLIENT_CLOSED_REQUEST)


DATABASE_RETRY_AFTER_SECONDS = 30
DATABASE_OUTAGE_ERRORS = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def database_unavailable_response() -> JSONResponse:
    return problem_response(
        503,
        "database-unavailable",
        "la base de données ne répond pas ; réessayez dans quelques instants",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        title="Service momentanément indisponible",
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The cause (host, port) goes to the log, never to the caller.
    logger.warning(
        "database unavailable on %s %s: %s",
        request.method,
        request.url.path,
        type(exc).__name__,
    )
    return database_unavailable_response()


def install_database_outage(app: FastAPI) -> None:
    """A database outage answers 503 with Retry-After on every route, never 500."""
    for error in DATABASE_OUTAGE_ERRORS:
        app.add_exception_handler(error, _database_unavailable)


async def bind_path_ids(request: Request) -> None:
    """App-wide dependency: ids of the path (declaration id…) go to the request's log context."""
    bind_log_fields(
        **{
            name: request.path_params[name]
            for name in LOGGED_PATH_PARAMS
            if name in request.path_params
        }
    )


def install(app: FastAPI) -> None:
    """Add the middleware stack (outermost last) and the metrics registry and probes."""
    from api.security import (
        BodyReadTimeout,
        BodySizeLimit,
        PublicPlaceholderGuard,
        RateLimit,
        SecurityHeaders,
        StorableQuery,
    )

    runtime = app.state.runtime
    settings = runtime.settings
    registry = CollectorRegistry(auto_describe=False)
    metrics = HttpMetrics(registry)
    registry.register(DatabaseCollector(runtime.sessions, runtime.clock))
    app.state.metrics_registry = registry
    app.state.http_metrics = metrics
    app.state.deposit_probe = DepositPointProbe(
        settings.deposit_point_url,
        timeout=settings.health_timeout_seconds,
        cache_seconds=settings.health_cache_seconds,
    )
    install_database_outage(app)
    app.add_exception_handler(ClientDisconnect, _client_disconnected)
    app.add_middleware(RateLimit, metrics=metrics)
    app.add_middleware(StorableQuery)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_json_body_bytes,
        upload_max_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(
        BodyReadTimeout,
        idle_seconds=settings.body_read_timeout_seconds,
        min_rate=settings.body_min_bytes_per_second,
    )
    exposed = settings.secret_problems(serving_on="0.0.0.0")
    if exposed:  # the development placeholders: answer on the loopback only
        app.add_middleware(PublicPlaceholderGuard, problems=exposed)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    # Outermost: even the 500 written by RequestContextMiddleware gets the headers.
    app.add_middleware(SecurityHeaders)
