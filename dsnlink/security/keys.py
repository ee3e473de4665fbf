"""Master keys (Fernet, rotating) and the development key files generated into data_dir.

`DSNLINK_ENCRYPTION_KEYS` lists Fernet keys, newest first: the first encrypts, all decrypt, so a
new key is put in front and `dsnlink keys rotate` re-encrypts everything with it before the old
one is dropped. Outside development and demo, missing keys are refused; in development they are
generated once into `data_dir/keys/` with 0600 permissions.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from dsnlink.config import Settings
from dsnlink.security.errors import CorruptSecretError, KeyConfigurationError

ENCRYPTION_KEYS_FILE = "encryption-keys"
SESSION_KEY_FILE = "session-key"


class Keyring:
    """The configured master keys: encrypt with the newest, decrypt with any."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise KeyConfigurationError("no encryption key configured (DSNLINK_ENCRYPTION_KEYS)")
        try:
            self._fernets = [Fernet(key) for key in keys]
        except ValueError as exc:
            raise KeyConfigurationError(
                "DSNLINK_ENCRYPTION_KEYS must hold url-safe base64 Fernet keys of 32 bytes"
            ) from exc
        self._multi = MultiFernet(self._fernets)

    @classmethod
    def from_text(cls, text: str) -> Keyring:
        return cls([part.strip().encode() for part in text.split(",") if part.strip()])

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._multi.encrypt(plaintext)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._multi.decrypt(token)
        except InvalidToken as exc:
            raise CorruptSecretError("a stored secret cannot be decrypted with the keys") from exc

    def rotate(self, token: bytes) -> bytes:
        """The same secret, re-encrypted with the newest key."""
        try:
            return self._multi.rotate(token)
        except InvalidToken as exc:
            raise CorruptSecretError("a stored secret cannot be decrypted with the keys") from exc

    def reseal(self, rows: Iterable[Any], *columns: str) -> int:
        """Re-encrypt the sealed `columns` of each row with the newest key, in place (an empty
        column is left empty); returns how many values were re-encrypted. The rows' session
        writes them at its next flush."""
        count = 0
        for row in rows:
            for column in columns:
                token = getattr(row, column)
                if token is not None:
                    setattr(row, column, self.rotate(token))
                    count += 1
        return count

    def encrypt_text(self, plaintext: str) -> str:
        return self.encrypt(plaintext.encode()).decode("ascii")

    def decrypt_text(self, token: str) -> str:
        return self.decrypt(token.encode("ascii")).decode()

    def seal_json(self, value: Any) -> bytes:
        """A JSON value (personal data kept in a database column) as a Fernet token."""
        return self.encrypt(json.dumps(value, ensure_ascii=False).encode())

    def open_json(self, token: bytes) -> Any:
        return json.loads(self.decrypt(token))


def generate_fernet_key() -> str:
    return Fernet.generate_key().decode("ascii")


def write_secret_file(path: Path, content: bytes) -> None:
    """Create `path` readable by its owner only; never overwrite an existing key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def development_key_file(settings: Settings, name: str, make: Callable[[], bytes]) -> bytes:
    """The content of a key file in data_dir/keys, generated on first use."""
    path = settings.data_dir / "keys" / name
    if not path.exists():
        # Another process may generate it first: then read theirs.
        with contextlib.suppress(FileExistsError):
            write_secret_file(path, make())
    return path.read_bytes()


def keyring_from_settings(settings: Settings) -> Keyring:
    if settings.encryption_keys:
        return Keyring.from_text(settings.encryption_keys)
    if not settings.is_development:
        raise KeyConfigurationError(
            f"DSNLINK_ENCRYPTION_KEYS must be set in the {settings.environment} environment"
        )
    text = development_key_file(
        settings, ENCRYPTION_KEYS_FILE, lambda: generate_fernet_key().encode()
    )
    return Keyring.from_text(text.decode("ascii"))


def session_secret_from_settings(settings: Settings) -> str:
    """The key signing the dashboard's cookies and CSRF tokens.

    With a real DSNLINK_SECRET_KEY (always so in production), derived from it, so every replica
    agrees. With a weak or placeholder one (development only), a random key generated once into
    data_dir/keys: the placeholder is public, and a cookie signed with it could claim any user.
    """
    if settings.secret_key_is_weak:
        if not settings.is_development:
            raise KeyConfigurationError(
                f"DSNLINK_SECRET_KEY must be a real secret in the {settings.environment} "
                "environment"
            )
        return development_key_file(
            settings, SESSION_KEY_FILE, lambda: secrets.token_urlsafe(48).encode()
        ).decode("ascii")
    return hmac.new(
        settings.secret_key.encode(), b"dsnlink dashboard session key", hashlib.sha256
    ).hexdigest()
