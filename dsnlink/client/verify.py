"""Checks a publisher runs on what it receives: webhook signatures and signed receipts."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from dsnlink.client.errors import WebhookSignatureError

DEFAULT_TOLERANCE_SECONDS = 300


def verify_webhook(
    secret: str,
    signature_header: str,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """The event of a webhook delivery, once `DSNLink-Signature: t=...,v1=...` is checked
    against the raw body (HMAC-SHA256 over `<t>.<body>`) and `t` is recent; raises
    WebhookSignatureError otherwise."""
    try:
        parts = dict(item.split("=", 1) for item in signature_header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as exc:
        raise WebhookSignatureError("malformed DSNLink-Signature header") from exc
    expected = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise WebhookSignatureError("the signature does not match the body")
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise WebhookSignatureError("the signature is too old (a replay?)")
    event: dict[str, Any] = json.loads(body)
    return event


def canonical_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def verify_receipt(payload: dict[str, Any], signature: str, public_key_pem: str) -> bool:
    """True when `signature` (base64 Ed25519) is the gateway's over exactly `payload`."""
    key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(base64.b64decode(signature, validate=True), canonical_json(payload))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
