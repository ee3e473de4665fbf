"""Signing webhook deliveries: HMAC-SHA256 over `<timestamp>.<body>` with the endpoint's secret.

Header `DSNLink-Signature: t=<unix seconds>,v1=<hex digest>`. A receiver recomputes the digest
over the raw body it received, compares in constant time, and refuses a timestamp older than a
few minutes (replays). The same check ships in `dsnlink.client.webhooks` for publishers.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "DSNLink-Signature"
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature_header(secret: str, *, timestamp: int, body: bytes) -> str:
    digest = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"
