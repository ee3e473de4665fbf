"""Signed receipts: proof of what was received and when, verifiable with the public key alone.

The signature is Ed25519 over the canonical JSON of the payload: keys sorted, no spaces, UTF-8.
The key id is the first 16 hex digits of the SHA-256 of the raw public key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from dsnlink.config import Settings
from dsnlink.security.errors import KeyConfigurationError
from dsnlink.security.keys import development_key_file

SIGNING_KEY_FILE = "receipt-signing-key.pem"


def canonical_json(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class SignedReceipt:
    payload: dict[str, Any]
    signature: str
    key_id: str


class ReceiptSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    def sign(self, payload: dict[str, Any]) -> SignedReceipt:
        signature = self._private_key.sign(canonical_json(payload))
        return SignedReceipt(payload, base64.b64encode(signature).decode("ascii"), self.key_id)

    def public_key_pem(self) -> str:
        return self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")


def verify_receipt(payload: dict[str, Any], signature: str, public_key_pem: str) -> bool:
    """True when `signature` is the signer's over exactly this payload."""
    public_key = serialization.load_pem_public_key(public_key_pem.encode("ascii"))
    if not isinstance(public_key, Ed25519PublicKey):
        return False
    try:
        public_key.verify(base64.b64decode(signature, validate=True), canonical_json(payload))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def load_signing_key(text: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8) or from base64 of its 32 raw bytes."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, binascii.Error) as exc:
        raise KeyConfigurationError("DSNLINK_RECEIPT_SIGNING_KEY is not an Ed25519 key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyConfigurationError("DSNLINK_RECEIPT_SIGNING_KEY is not an Ed25519 key")
    return key


def generate_signing_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def signer_from_settings(settings: Settings) -> ReceiptSigner:
    if settings.receipt_signing_key:
        return ReceiptSigner(load_signing_key(settings.receipt_signing_key))
    if not settings.is_development:
        raise KeyConfigurationError(
            f"DSNLINK_RECEIPT_SIGNING_KEY must be set in the {settings.environment} environment"
        )
    pem = development_key_file(settings, SIGNING_KEY_FILE, generate_signing_key_pem)
    return ReceiptSigner(load_signing_key(pem.decode("ascii")))
