"""Stored DSN files, encrypted at rest by envelope encryption, written and read in chunks.

Each file gets its own random AES-256-GCM data key; the data key is wrapped with the master keys
(Fernet, see keys.py) and the wrapped key is kept in the database next to the declaration, so a
master-key rotation re-wraps small tokens and never rewrites files. The file itself is a header
(`MAGIC`) then chunks of `len(4) | nonce(12) | ciphertext+tag`; each chunk's associated data is
its index and whether it is the last, so chunks cannot be reordered, dropped or truncated unseen.

Layout under data_dir: `blobs/<tenant id>/<declaration id>.dsn.enc`; uploads are staged under
`blobs/.staging/` and moved into place only once the declaration is accepted. A process killed
mid-upload leaves its `.part` behind: `sweep_staging` removes those untouched for
`STALE_STAGING_SECONDS` (an upload in progress writes at least a chunk in that time), at start
and then at most every `SWEEP_EVERY_SECONDS`, from the uploads themselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dsnlink.security.errors import CorruptSecretError
from dsnlink.security.keys import Keyring

MAGIC = b"DSNLBLOB1\n"
CHUNK_SIZE = 1024 * 1024
_HEADER = struct.Struct(">I")
_AAD = struct.Struct(">Q?")
NONCE_SIZE = 12
STALE_STAGING_SECONDS = 3600
SWEEP_EVERY_SECONDS = 600
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredBlob:
    """What the database keeps about a written file."""

    path: Path
    wrapped_key: str
    sha256: str
    size: int


class BlobWriter:
    """Encrypts a stream chunk by chunk into a staging file, hashing the plaintext on the way."""

    def __init__(self, path: Path, keyring: Keyring) -> None:
        self.path = path
        self._data_key = AESGCM.generate_key(bit_length=256)
        self._aead = AESGCM(self._data_key)
        self._keyring = keyring
        self._sha = hashlib.sha256()
        self._buffer = bytearray()
        self._index = 0
        self.size = 0
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(fd, "wb")
        self._file.write(MAGIC)

    def write(self, data: bytes) -> None:
        self._sha.update(data)
        self.size += len(data)
        self._buffer += data
        while len(self._buffer) > CHUNK_SIZE:
            self._seal(bytes(self._buffer[:CHUNK_SIZE]), last=False)
            del self._buffer[:CHUNK_SIZE]

    def close(self) -> StoredBlob:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._file.close()
        return StoredBlob(
            path=self.path,
            wrapped_key=self._keyring.encrypt(self._data_key).decode("ascii"),
            sha256=self._sha.hexdigest(),
            size=self.size,
        )

    def abort(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)

    def _seal(self, plaintext: bytes, *, last: bool) -> None:
        nonce = os.urandom(NONCE_SIZE)
        sealed = self._aead.encrypt(nonce, plaintext, _AAD.pack(self._index, last))
        self._file.write(_HEADER.pack(len(sealed)) + nonce + sealed)
        self._index += 1


def read_blob(path: Path, *, wrapped_key: str, keyring: Keyring) -> Iterator[bytes]:
    """The decrypted content of a stored file, chunk by chunk."""
    aead = AESGCM(keyring.decrypt(wrapped_key.encode("ascii")))
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise CorruptSecretError(f"{path.name} is not a dsnlink encrypted file")
        index = 0
        header = handle.read(_HEADER.size)
        while header:
            (length,) = _HEADER.unpack(header)
            nonce = handle.read(NONCE_SIZE)
            sealed = handle.read(length)
            header = handle.read(_HEADER.size)
            last = not header
            try:
                yield aead.decrypt(nonce, sealed, _AAD.pack(index, last))
            except InvalidTag as exc:
                raise CorruptSecretError(f"{path.name} is damaged or truncated") from exc
            index += 1
        if index == 0:
            raise CorruptSecretError(f"{path.name} is truncated")


class BlobStore:
    """Where encrypted files live under data_dir."""

    def __init__(self, root: Path, keyring: Keyring) -> None:
        self.root = root
        self.keyring = keyring
        self._swept_at: float | None = None
        self._sweep_lock = threading.Lock()

    @property
    def staging_dir(self) -> Path:
        return self.root / ".staging"

    def staging_writer(self) -> BlobWriter:
        self.sweep_staging_if_due()
        return BlobWriter(self.staging_dir / f"{uuid.uuid4().hex}.part", self.keyring)

    def sweep_staging(self, *, older_than: float = STALE_STAGING_SECONDS) -> int:
        """Remove staged uploads untouched for `older_than` seconds; how many were removed."""
        self._swept_at = time.monotonic()
        if not self.staging_dir.is_dir():
            return 0
        limit = time.time() - older_than
        removed = 0
        for path in self.staging_dir.glob("*.part"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
        if removed:
            logger.info("removed %d abandoned staged upload(s)", removed)
        return removed

    def sweep_staging_if_due(self) -> None:
        """Sweep at the first upload of this process, then at most every SWEEP_EVERY_SECONDS."""
        with self._sweep_lock:
            due = self._swept_at is None or (
                time.monotonic() - self._swept_at >= SWEEP_EVERY_SECONDS
            )
            if due:
                self._swept_at = time.monotonic()
        if due:
            self.sweep_staging()

    def final_path(self, *, tenant_id: uuid.UUID, declaration_id: uuid.UUID) -> Path:
        return self.root / tenant_id.hex / f"{declaration_id.hex}.dsn.enc"

    def promote(self, staged: Path, final: Path) -> None:
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(staged, final)

    def read(self, path: Path, *, wrapped_key: str) -> Iterator[bytes]:
        return read_blob(path, wrapped_key=wrapped_key, keyring=self.keyring)
