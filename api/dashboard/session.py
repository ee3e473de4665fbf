"""The dashboard's session cookie and CSRF token, signed with HMAC-SHA256 (stdlib only).

The cookie holds no secret: a random nonce, and once signed in, the tenant, the user, the API
key used (if any) and a stamp of the user's password and session version. Every request checks
them again through the tenants service, so a removed user, a revoked key, a new password or a
sign-out (which moves the user's session version on, server-side) ends the session: a copied
cookie is worthless after sign-out. The signing key is `Runtime.session_secret`, never a public
placeholder (security.keys.session_secret_from_settings). The CSRF token is an HMAC of the
session's nonce (a synchronizer token bound to the session without server storage); the nonce
changes at sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response

COOKIE = "dsnlink_session"
MAX_AGE_SECONDS = 12 * 3600
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class SessionData:
    """What the cookie says; `user_id` is None before sign-in."""

    nonce: str
    issued_at: int
    tenant_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    stamp: str | None = None

    @classmethod
    def anonymous(cls) -> SessionData:
        return cls(nonce=secrets.token_urlsafe(16), issued_at=int(time.time()))

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.nonce,
            "i": self.issued_at,
            "t": str(self.tenant_id) if self.tenant_id else None,
            "u": str(self.user_id) if self.user_id else None,
            "k": str(self.api_key_id) if self.api_key_id else None,
            "s": self.stamp,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionData:
        def uid(value: Any) -> uuid.UUID | None:
            return uuid.UUID(value) if value else None

        return cls(
            nonce=str(data["n"]),
            issued_at=int(data["i"]),
            tenant_id=uid(data.get("t")),
            user_id=uid(data.get("u")),
            api_key_id=uid(data.get("k")),
            stamp=data.get("s"),
        )


def _key(secret: str, purpose: str) -> bytes:
    # One key per purpose, derived from the gateway's secret: a CSRF token is never a valid
    # cookie signature and the API-key hashes' HMAC key is never used as is.
    return hmac.new(secret.encode(), f"dsnlink dashboard {purpose}".encode(), "sha256").digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(data: SessionData, *, secret: str) -> str:
    payload = _b64(json.dumps(data.to_json(), separators=(",", ":")).encode())
    signature = _b64(hmac.new(_key(secret, "session"), payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{signature}"


def decode(value: str | None, *, secret: str, now: float | None = None) -> SessionData | None:
    """The cookie's content if its signature holds and it is not expired; else None."""
    if not value or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    expected = _b64(hmac.new(_key(secret, "session"), payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(signature, expected):
        return None
    try:
        data = SessionData.from_json(json.loads(_unb64(payload)))
    except (ValueError, KeyError, TypeError):
        return None
    if (now or time.time()) - data.issued_at > MAX_AGE_SECONDS:
        return None
    return data


def csrf_token(data: SessionData, *, secret: str) -> str:
    return hmac.new(_key(secret, "csrf"), data.nonce.encode(), hashlib.sha256).hexdigest()


def csrf_matches(data: SessionData | None, token: str | None, *, secret: str) -> bool:
    if data is None or not token:
        return False
    return hmac.compare_digest(csrf_token(data, secret=secret), token)


def read(request: Request, *, secret: str) -> SessionData | None:
    return decode(request.cookies.get(COOKIE), secret=secret)


def secure_cookie(request: Request) -> bool:
    """Secure everywhere but plain http on the loopback (a developer's machine, the tests)."""
    return not (request.url.scheme == "http" and request.url.hostname in LOCAL_HOSTS)


def write(response: Response, request: Request, data: SessionData, *, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        encode(data, secret=secret),
        max_age=MAX_AGE_SECONDS,
        path="/app",
        httponly=True,
        samesite="lax",
        secure=secure_cookie(request),
    )


def clear(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE, path="/app", httponly=True, samesite="lax", secure=secure_cookie(request)
    )
