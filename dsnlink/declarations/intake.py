"""Streaming an upload to encrypted storage: decompression with a bomb guard, size limit, hash.

Nothing here holds a whole file in memory: the body is decompressed piece by piece (at most
`PIECE` bytes of output per step) and each piece goes straight to the encrypting writer.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable, Iterator

from dsnlink.declarations.errors import EmptyUpload, UnsupportedUpload, UploadTooLarge
from dsnlink.errors import UnreadableInputError
from dsnlink.security.blobs import BlobStore, StoredBlob

PIECE = 256 * 1024
GZIP_WBITS = 16 + zlib.MAX_WBITS


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


def _decoder(content_encoding: str | None) -> _Identity | _Gzip:
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
) -> StoredBlob:
    """Decompress, hash and encrypt `chunks` into a staging file; on any failure nothing remains."""
    decoder = _decoder(content_encoding)
    writer = blobs.staging_writer()
    try:
        received = 0
        async for chunk in chunks:
            received += len(chunk)
            if received > max_bytes:
                raise _too_large(max_bytes)
            for piece in decoder.feed(chunk):
                if writer.size + len(piece) > max_bytes:
                    raise _too_large(max_bytes)
                writer.write(piece)
        decoder.finish()
        if writer.size == 0:
            raise EmptyUpload("the body is empty: send the DSN file itself")
        return writer.close()
    except BaseException:
        writer.abort()
        raise
