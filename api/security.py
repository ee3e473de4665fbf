"""Security middleware: response headers, body size limit, rate limit per API key.

- Every response gets `X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options` and a CSP
  (HTML: `default-src 'self'`, no inline script, inline styles allowed; API answers:
  `default-src 'none'`; the OpenAPI docs pages need their CDN and inline bootstrap script).
  HSTS when the request came over https (behind a proxy: uvicorn --proxy-headers).
  `Cache-Control: no-store` on answers to requests that carried credentials, unless the route
  chose its own.
- Bodies are limited to `max_json_body_bytes`, except on the DSN uploads: `max_upload_bytes`
  plus some slack there, the intake enforcing the exact limit on the decompressed file.
- Requests under /v1/ are counted in the database's fixed-window table, so every replica shares
  the count: against the API key once its secret is verified, otherwise (no key, a wrong or
  unknown one) against the client's address. Junk sent with a victim's key prefix never uses up
  the victim's quota.
- A request body must keep coming: `BodyReadTimeout` answers 408 and closes the connection when
  a client stops sending for `body_read_timeout_seconds` or sends slower than
  `body_min_bytes_per_second` (slow-body attacks); the header timeout is the server's
  (api/server.py) or the proxy's.
- Text no database can store in the path (a NUL, `%00`) is answered 404 before any route runs.
- A database that cannot be reached answers 503 problem+json with `Retry-After`, never 500.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import time
from urllib.parse import parse_qsl

import anyio
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import Runtime
from api.errors import problem_response
from api.middleware import HttpMetrics
from dsnlink import db
from dsnlink.inputs import is_storable
from dsnlink.security import ratelimit
from dsnlink.tenants import service as tenants_service

logger = logging.getLogger("dsnlink.api")

# Routes taking a DSN file: the intake bounds the file (decompressed); here the raw body gets
# that bound plus room for multipart framing and gzip's worst case.
UPLOAD_ROUTES = frozenset({("POST", "/v1/declarations"), ("POST", "/app/depot")})
UPLOAD_SLACK_BYTES = 1024 * 1024
RATE_LIMITED_PREFIX = "/v1/"
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})

# Inline styles stay allowed (the status page has a <style> block, htmx injects one); inline
# scripts never are.
CSP_HTML = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
CSP_API = "default-src 'none'; frame-ancestors 'none'"
CSP_DOCS = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.jsdelivr.net; "
    "worker-src 'self' blob:; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credentialed = (
            _header(scope, b"authorization") is not None or _header(scope, b"cookie") is not None
        )
        docs = scope["path"] in DOCS_PATHS
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                content_type = next(
                    (v.decode("latin-1") for k, v in headers if k.lower() == b"content-type"), ""
                )
                csp = CSP_DOCS if docs else CSP_HTML if "html" in content_type else CSP_API
                wanted = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", csp.encode()),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if https:
                    wanted.append((b"strict-transport-security", HSTS.encode()))
                if credentialed:
                    wanted.append((b"cache-control", b"no-store"))
                headers.extend((k, v) for k, v in wanted if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PublicPlaceholderGuard:
    """503 on any request reaching the gateway through a non-loopback address while it runs
    with the public development placeholders (DSNLINK_ENVIRONMENT unset, no real secret key or
    operator token).

    `dsnlink serve` refuses to start that way; this covers the gateway started another way
    (`uvicorn api.app:app --host 0.0.0.0`): the address a request arrived on is the ASGI
    `server` of its connection. Installed only when the secrets are the placeholders.
    """

    def __init__(self, app: ASGIApp, *, problems: list[str]) -> None:
        self.app = app
        self.problems = problems

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server") if scope["type"] in {"http", "websocket"} else None
        host = str(server[0]) if server else ""
        if scope["type"] == "http" and _reachable_address(host):
            response = problem_response(
                503,
                "public-placeholder-secrets",
                "the gateway runs with the public development secrets and was reached through "
                f"{host}: " + "; ".join(self.problems),
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _reachable_address(host: str) -> bool:
    """An IP address other than the loopback (a server's socket address is always an IP; a unix
    socket or an in-process test client names no address)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return not (mapped or address).is_loopback


class StorableQuery:
    """400 problem+json for a query string carrying text no database can store (e.g. %00); 404
    for such a path.

    The same rule as request bodies (dsnlink.inputs), applied once for every route, the API's
    and the dashboard's: such a value would otherwise be stored as is or fail in PostgreSQL.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not is_storable(scope["path"]):
            # Such a path names nothing that can exist (a NUL would fail in PostgreSQL): 404,
            # a page for the dashboard's readers, problem+json for the API's.
            await _not_found(scope)(scope, receive, send)
            return
        raw = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if raw:
            pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8")
            bad = sorted({name for name, value in pairs if not is_storable(name + value)})
            if bad:
                response = problem_response(
                    400,
                    "invalid-query",
                    "query parameters contain control characters or invalid Unicode: "
                    + ", ".join(repr(name) for name in bad),
                    parameters=bad,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _not_found(scope: Scope) -> Response:
    if str(scope["path"]).startswith("/app"):
        from api.dashboard.templating import render

        return render(
            "error.html",
            status_code=404,
            title="Introuvable",
            message="Cette page n'existe pas.",
            back="/app/declarations",
        )
    return problem_response(
        404, "not-found", "aucune ressource à cette adresse", title="Introuvable"
    )


class _BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """413 problem+json for a body over `max_bytes` (declared or actually sent)."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes + UPLOAD_SLACK_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = (scope["method"], scope["path"]) in UPLOAD_ROUTES
        limit = self.upload_max_bytes if upload else self.max_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received = 0
        too_large = False
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    raise _BodyTooLarge
            return message

        async def replacing_send(message: Message) -> None:
            # The application may catch the error and answer 400: answer 413 in its place.
            nonlocal refused
            if not too_large:
                await send(message)
            elif not refused:
                refused = True
                await self._refuse(scope, receive, send, limit)

        try:
            await self.app(scope, counting_receive, replacing_send)
        except _BodyTooLarge:
            if not refused:
                await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            413,
            "body-too-large",
            f"the request body is larger than {limit} bytes",
            max_bytes=limit,
        )
        await response(scope, receive, send)


def _bearer(scope: Scope) -> str | None:
    authorization = _header(scope, b"authorization") or ""
    scheme, _, credentials = authorization.partition(" ")
    return credentials.strip() or None if scheme.lower() == "bearer" else None


def _client_address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimit:
    """429 problem+json with Retry-After once a caller exceeds its requests per minute."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime: Runtime = scope["app"].state.runtime
        limit = runtime.settings.rate_limit_per_minute
        if (
            scope["type"] != "http"
            or limit <= 0
            or not scope["path"].startswith(RATE_LIMITED_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        try:
            decision = await anyio.to_thread.run_sync(
                _hit, runtime, _bearer(scope), _client_address(scope), limit
            )
        except Exception:
            # Fail open: a database too sick to count requests will answer them with its own error.
            logger.warning("rate limit not checked (database error)", exc_info=True)
            await self.app(scope, receive, send)
            return
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        self.metrics.rate_limited.inc()
        response = problem_response(
            429,
            "rate-limited",
            f"plus de {limit} requêtes en une minute pour cette clé d'API ou cette adresse ; "
            f"réessayez dans {decision.retry_after} s",
            headers={
                "Retry-After": str(decision.retry_after),
                "RateLimit-Limit": str(limit),
                "RateLimit-Remaining": "0",
            },
            limit_per_minute=limit,
        )
        await response(scope, receive, send)


def _hit(runtime: Runtime, raw_key: str | None, client: str, limit: int) -> ratelimit.RateDecision:
    with db.unit_of_work(runtime.sessions) as session:
        subject = tenants_service.rate_limit_subject(
            session, raw_key=raw_key, client=client, secret=runtime.settings.secret_key
        )
        return ratelimit.hit(session, subject=subject, limit=limit, now=runtime.clock.now())


class _BodyTimeout(Exception):
    pass


class BodyReadTimeout:
    """408 problem+json, connection closed, when a request body stalls or trickles.

    Each read of the body must complete within `idle_seconds`, and once `idle_seconds` have
    passed since the first read the body must have come at `min_rate` bytes per second on
    average: a client sending a byte now and then cannot hold a connection for ever.
    """

    def __init__(self, app: ASGIApp, idle_seconds: float, min_rate: float) -> None:
        self.app = app
        self.idle_seconds = idle_seconds
        self.min_rate = min_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.idle_seconds <= 0:
            await self.app(scope, receive, send)
            return
        started: float | None = None
        received = 0
        timed_out = False
        response_started = False

        async def timed_receive() -> Message:
            nonlocal started, received, timed_out
            now = time.monotonic()
            if started is None:
                started = now
            deadline = now + self.idle_seconds
            if self.min_rate > 0:
                # By then the average rate would fall below min_rate (never before the grace).
                deadline = min(
                    deadline,
                    started + max(self.idle_seconds, (received + 1) / self.min_rate),
                )
            with anyio.move_on_after(max(0.0, deadline - now)) as scope_:
                message = await receive()
            if scope_.cancelled_caught:
                timed_out = True
                raise _BodyTimeout
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if timed_out:
                return
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        with contextlib.suppress(_BodyTimeout):
            await self.app(scope, timed_receive, guarded_send)
        if timed_out and not response_started:
            logger.info("request body timed out on %s %s", scope["method"], scope["path"])
            response = problem_response(
                408,
                "request-timeout",
                "le corps de la requête arrive trop lentement ou plus du tout : connexion fermée",
                headers={"Connection": "close"},
                title="Délai dépassé",
            )
            await response(scope, receive, send)
