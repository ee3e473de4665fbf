"""Dashboard passwords: stdlib scrypt with a per-user salt, no extra dependency.

Format: `scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>`, so the cost can be raised later and old
hashes still verify. n=2**14, r=8 (16 MiB, ~50 ms) follows the scrypt paper's interactive-login
figures.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from dsnlink.tenants.errors import WeakPassword

LOG2_N, R, P = 14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
MIN_LENGTH, MAX_LENGTH = 12, 256


def check_strength(password: str) -> None:
    """A long enough password (length is what resists guessing; no composition rules)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=2**log2_n,
        r=r,
        p=p,
        maxmem=2 * 128 * r * (2**log2_n) + 1024 * 1024,
        dklen=HASH_BYTES,
    )


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, LOG2_N, R, P)
    encode = base64.urlsafe_b64encode
    return f"scrypt${LOG2_N}${R}${P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether `password` matches `stored`; with no stored hash, spends the same time and fails."""
    if stored is None:
        _derive(password, b"\0" * SALT_BYTES, LOG2_N, R, P)
        return False
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.urlsafe_b64decode(digest)
        actual = _derive(password, base64.urlsafe_b64decode(salt), int(log2_n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def session_stamp(stored: str | None) -> str:
    """A short fingerprint of the stored hash: a new password invalidates older sessions."""
    return hashlib.sha256((stored or "").encode("ascii")).hexdigest()[:16]
