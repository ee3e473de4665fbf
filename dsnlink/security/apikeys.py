"""API keys `dsnl_<prefix>_<secret>`: kept as HMAC-SHA256, found by prefix."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass

KEY_PREFIX = "dsnl"
PREFIX_LENGTH = 8
_ALPHABET = string.ascii_lowercase + string.digits
_KEY_RE = re.compile(rf"^{KEY_PREFIX}_([a-z0-9]{{{PREFIX_LENGTH}}})_([A-Za-z0-9_-]{{32,128}})$")


@dataclass(frozen=True)
class NewKey:
    """A freshly generated key: `plaintext` is shown once and never stored."""

    plaintext: str
    prefix: str
    hash: str


def hash_key(plaintext: str, *, secret: str) -> str:
    return hmac.new(secret.encode(), plaintext.encode(), hashlib.sha256).hexdigest()


def generate_key(*, secret: str) -> NewKey:
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(PREFIX_LENGTH))
    plaintext = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(plaintext=plaintext, prefix=prefix, hash=hash_key(plaintext, secret=secret))


@dataclass(frozen=True)
class ParsedKey:
    """The two parts of a well-formed key: the lookup `prefix` and the `secret` after it."""

    prefix: str
    secret: str


def parse_key(plaintext: str) -> ParsedKey | None:
    """Split a well-formed key into its parts, or None; the secret may itself contain `_`."""
    match = _KEY_RE.match(plaintext)
    return ParsedKey(prefix=match.group(1), secret=match.group(2)) if match else None


def parse_prefix(plaintext: str) -> str | None:
    """The lookup prefix of a well-formed key, or None."""
    parsed = parse_key(plaintext)
    return parsed.prefix if parsed else None


def key_matches(plaintext: str, stored_hash: str, *, secret: str) -> bool:
    return hmac.compare_digest(hash_key(plaintext, secret=secret), stored_hash)
