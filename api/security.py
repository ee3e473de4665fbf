"""Security middleware: response headers, body size limit, rate limit per API key.

- Every response gets `X-Content-Type-Options`, `Referrer-Policy`, `X-Frame-Options` and a CSP
  (HTML: `default-src 'self'`, no inline script; API answers: `default-src 'none'`; the OpenAPI
  docs pages need their CDN and inline bootstrap script). HSTS when the request came over https
  (behind a proxy: uvicorn --proxy-headers). `Cache-Control: no-store` on answers to requests
  that carried credentials, unless the route chose its own.
- Bodies are limited to `max_json_body_bytes` except on the streamed DSN upload, whose own
  limit (`max_upload_bytes`, counted decompressed) is enforced by the intake.
- Requests under /v1/ are counted per API key (its public prefix; the client address when there
  is no well-formed key) in the database's fixed-window table, so every replica shares the count.
"""

from __future__ import annotations

import logging

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import Runtime
from api.errors import problem_response
from api.middleware import HttpMetrics
from dsnlink import db
from dsnlink.observability import ratelimit
from dsnlink.security.apikeys import parse_prefix

logger = logging.getLogger("dsnlink.api")

# Routes whose body is streamed to disk and bounded by the intake, not by this middleware.
STREAMED_UPLOADS = frozenset({("POST", "/v1/declarations")})
RATE_LIMITED_PREFIX = "/v1/"
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})

CSP_HTML = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
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


class _BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    """413 problem+json for a body over `max_bytes` (declared or actually sent)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) in STREAMED_UPLOADS:
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "body-too-large",
            f"the request body is larger than {self.max_bytes} bytes",
            max_bytes=self.max_bytes,
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
