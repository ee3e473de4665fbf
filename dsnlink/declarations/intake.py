"""Streaming an upload to encrypted storage: decompression with a bomb guard, size limit, hash.

Nothing here holds a whole file in memory: the body is decompressed piece by piece (at most
`PIECE` bytes of output per step) and each piece goes straight to the encrypting writer.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import AsyncIterable, Iterator
from dataclasses import dataclass

from dsnlink.declarations.errors import EmptyUpload, UnsupportedUpload, UploadTooLarge
from dsnlink.errors import UnreadableInputError
from dsnlink.security.blobs import BlobStore, StoredBlob

PIECE = 256 * 1024
GZIP_WBITS = 16 + zlib.MAX_WBITS
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class StagedUpload:
    """A staged file with its two fingerprints: the content's (line endings normalised, no final
    newline: the same declaration however it was saved or compressed) and the raw body's."""

    blob: StoredBlob
    content_sha256: str
    body_sha256: str


class _ContentHash:
    """SHA-256 of the decompressed content with CRLF and CR read as LF and final newlines dropped,
    computed piece by piece (a CR at the end of a piece may be followed by the LF of the next)."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._after_cr = False
        self._held_newlines = 0

    def feed(self, piece: bytes) -> None:
        if self._after_cr and piece.startswith(b"\n"):
            piece = piece[1:]
        if not piece:
            return
        self._after_cr = piece.endswith(b"\r")
        text = piece.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        body = text.rstrip(b"\n")
        if not body:
            self._held_newlines += len(text)
            return
        self._hash.update(b"\n" * self._held_newlines + body)
        self._held_newlines = len(text) - len(body)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        yield data

    def finish(self) -> None:
        return None


class _Gzip:
    """gzip, several members allowed, output bounded per step so a bomb never inflates in memory."""

    def __init__(self) -> None:
        self._inflater = zlib.decompressobj(wbits=GZIP_WBITS)
        self._fed = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            self._fed = True
            if self._inflater.eof:
                self._inflater = zlib.decompressobj(wbits=GZIP_WBITS)
            try:
                out = self._inflater.decompress(data, PIECE)
            except zlib.error as exc:
                raise UnreadableInputError(f"the body is not valid gzip: {exc}") from exc
            if out:
                yield out
            if self._inflater.eof:
                data = self._inflater.unused_data
            elif self._inflater.unconsumed_tail:
                data = self._inflater.unconsumed_tail
            elif len(out) == PIECE:
                data = b""
                yield from self._drain()
            else:
                data = b""

    def _drain(self) -> Iterator[bytes]:
        while True:
            out = self._inflater.decompress(b"", PIECE)
            if out:
                yield out
            if len(out) < PIECE:
                return

    def finish(self) -> None:
        if self._fed and not self._inflater.eof:
            raise UnreadableInputError("the gzip body is truncated")


def _decoder(content_encoding: str | None, head: bytes) -> _Identity | _Gzip:
    """The decoder for the declared encoding; with none declared, a gzip body is recognised by
    its magic bytes (a DSN file is text and never starts with them)."""
    if not (content_encoding or "").strip() and head.startswith(GZIP_MAGIC):
        return _Gzip()
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in {"gzip", "x-gzip"}:
        return _Gzip()
    if encoding == "identity":
        return _Identity()
    raise UnsupportedUpload(
        f"Content-Encoding {encoding!r} is not accepted: send gzip or no encoding",
        content_encoding=encoding,
    )


def _too_large(max_bytes: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"the declaration is larger than {max_bytes} bytes (counted decompressed)",
        max_bytes=max_bytes,
    )


async def stage_upload(
    chunks: AsyncIterable[bytes],
    *,
    content_encoding: str | None,
    max_bytes: int,
    blobs: BlobStore,
) -> StagedUpload:
    """Decompress, hash and encrypt `chunks` into a staging file; on any failure nothing remains."""
    _decoder(content_encoding, b"")  # refuse an unknown encoding before reading anything
    decoder: _Identity | _Gzip | None = None
    head = b""
    content = _ContentHash()
    body = hashlib.sha256()
    writer = blobs.staging_writer()

    def write(data: bytes) -> None:
        for piece in decoder.feed(data) if decoder is not None else ():
            if writer.size + len(piece) > max_bytes:
                raise _too_large(max_bytes)
            writer.write(piece)
            content.feed(piece)

    try:
        received = 0
        async for chunk in chunks:
            received += len(chunk)
            if received > max_bytes:
                raise _too_large(max_bytes)
            body.update(chunk)
            if decoder is None:
                head += chunk
                if len(head) < len(GZIP_MAGIC):
                    continue
                decoder = _decoder(content_encoding, head)
                chunk, head = head, b""
            write(chunk)
        if decoder is None:
            decoder = _decoder(content_encoding, head)
            write(head)
        decoder.finish()
        if writer.size == 0:
            raise EmptyUpload("the body is empty: send the DSN file itself")
        return StagedUpload(
            blob=writer.close(),
            content_sha256=content.hexdigest(),
            body_sha256=body.hexdigest(),
        )
    except BaseException:
        writer.abort()
        raise
