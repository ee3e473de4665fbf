"""Security middleware: response headers, body size limit, rate limit per API key.

- Every response gets `X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options` and a CSP
  (HTML: `default-src 'self'`, no inline script, inline styles allowed; API answers:
  `default-src 'none'`; the OpenAPI docs pages need their CDN and inline bootstrap script).
  HSTS when the request came over https (behind a proxy: uvicorn --proxy-headers).
  `Cache-Control: no-store` on answers to requests that carried credentials, unless the route
  chose its own.
- Bodies are limited to `max_json_body_bytes`, except on the DSN uploads: `max_upload_bytes`
  plus some slack there, the intake enforcing the exact limit on the decompressed file.
- Requests under /v1/ are counted per API key (its public prefix; the client address when there
  is no well-formed key) in the database's fixed-window table, so every replica shares the count.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import Runtime
from api.errors import problem_response
from api.middleware import HttpMetrics
from dsnlink import db
from dsnlink.inputs import is_storable
from dsnlink.security import ratelimit
from dsnlink.security.apikeys import parse_prefix

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


class StorableQuery:
    """400 problem+json for a query string carrying text no database can store (e.g. %00).

    The same rule as request bodies (dsnlink.inputs), applied once for every route, the API's
    and the dashboard's: such a value would otherwise be stored as is or fail in PostgreSQL.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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


def rate_subject(scope: Scope) -> str:
    """The API key's public prefix when the request carries a well-formed key, else the client."""
    authorization = _header(scope, b"authorization") or ""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer":
        prefix = parse_prefix(credentials.strip())
        if prefix:
            return f"k:{prefix}"
    client = scope.get("client")
    return f"ip:{client[0] if client else 'unknown'}"[:80]


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
        subject = rate_subject(scope)
        try:
            decision = await anyio.to_thread.run_sync(_hit, runtime, subject, limit)
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
            f"more than {limit} requests in a minute for this API key; retry after "
            f"{decision.retry_after} s",
            headers={
                "Retry-After": str(decision.retry_after),
                "RateLimit-Limit": str(limit),
                "RateLimit-Remaining": "0",
            },
            limit_per_minute=limit,
        )
        await response(scope, receive, send)


def _hit(runtime: Runtime, subject: str, limit: int) -> ratelimit.RateDecision:
    with db.unit_of_work(runtime.sessions) as session:
        return ratelimit.hit(session, subject=subject, limit=limit, now=runtime.clock.now())
