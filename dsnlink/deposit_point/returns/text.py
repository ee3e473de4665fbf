"""Plain-text returns: a body that is not XML, kept as text with what it plainly states."""

from __future__ import annotations

import re

from dsnlink.deposit_point.returns import _values as v
from dsnlink.deposit_point.returns.errors import UnreadableReturn
from dsnlink.deposit_point.returns.labels import NATURES, nature_label
from dsnlink.deposit_point.returns.model import (
    FlowIdentity,
    ReturnDocument,
    ReturnFormat,
    ReturnKind,
)

_STATUS_LINE = re.compile(r"^[ \t]*(?:statut|[ée]tat)[ \t]*[:=][ \t]*(OK|ANO|KO)\b", re.I | re.M)
_IDFLUX_LINE = re.compile(
    r"^[ \t]*idflux[ \t]*[:=][ \t]*([0-9A-Za-z._-]{1,50})[ \t]*$", re.I | re.M
)
# Text may hold tabs and line breaks, nothing else below the space (NUL, escapes…).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode(data: bytes) -> str:
    """The text of a plain-text body: UTF-8 (with or without BOM), else ISO-8859-1."""
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = data.decode("iso-8859-1")
    if _CONTROL.search(content):
        raise UnreadableReturn("contenu binaire : ni XML ni texte")
    return content


def read(data: bytes, *, nature: str | None, name: str | None) -> ReturnDocument:
    """A plain-text return: its text, and the status and idflux only if a line states them."""
    content = decode(data).strip()
    if not content:
        raise UnreadableReturn("document vide")
    status_match = _STATUS_LINE.search(content)
    idflux_match = _IDFLUX_LINE.search(content)
    known = NATURES.get(nature or "")
    return ReturnDocument(
        readable=True,
        name=name,
        format=ReturnFormat.TEXT,
        kind=known.kind if known else ReturnKind.UNKNOWN,
        nature=nature,
        nature_label=nature_label(nature),
        organism=known.organism if known else None,
        status=v.status(status_match.group(1)) if status_match else None,
        flow=FlowIdentity(idflux=idflux_match.group(1) if idflux_match else None),
        text=content,
    )
