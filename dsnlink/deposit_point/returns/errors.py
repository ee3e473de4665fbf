"""Errors of reading return documents (leaves of dsnlink.errors; messages are French)."""

from __future__ import annotations

from dsnlink.errors import LimitExceeded, UnreadableInputError


class UnreadableReturn(UnreadableInputError):
    """A return document that cannot be read: bad XML, DTD, unknown root, bad gzip, empty…"""

    code = "unreadable-return"


class DecompressionLimitExceeded(LimitExceeded):
    """A compressed document inflates past the allowed size (a decompression bomb, or too big)."""

    code = "decompression-limit-exceeded"

    def __init__(self, *, limit: int, produced: int) -> None:
        super().__init__(
            f"décompression interrompue : le contenu dépasse la limite de {_size(limit)}",
            limit=limit,
            produced=produced,
        )
        self.limit = limit
        self.produced = produced


def _size(count: int) -> str:
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} Mo"
    return f"{count} octets"
