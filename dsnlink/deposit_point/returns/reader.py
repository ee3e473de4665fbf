"""One entry point for every return document: recognise the family, read it, never raise."""

from __future__ import annotations

from dsnlink.deposit_point.returns import bilans, crm_oc, neores, text
from dsnlink.deposit_point.returns.errors import DecompressionLimitExceeded, UnreadableReturn
from dsnlink.deposit_point.returns.labels import nature_label
from dsnlink.deposit_point.returns.model import (
    DeclarationOutcome,
    ReturnDocument,
    ReturnKind,
    ReturnStatus,
)
from dsnlink.deposit_point.returns.safety import (
    DEFAULT_DECOMPRESSION_LIMIT,
    GZIP_MAGIC,
    decompress_bounded,
    parse_untrusted_xml,
)

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # XML in UTF-16 is XML too: let libxml2 decode it
_READERS = {
    bilans.ROOT_TAG: bilans.read,
    neores.ROOT_TAG: neores.read,
    crm_oc.ROOT_TAG: crm_oc.read,
}


def read_return(
    data: bytes,
    *,
    nature: str | None = None,
    name: str | None = None,
    decompression_limit: int = DEFAULT_DECOMPRESSION_LIMIT,
) -> ReturnDocument:
    """Read one return document (XML of any family, plain text, or either gzipped).

    `nature` is the code the returns listing gave; it wins over what the document says, which is
    then kept as `document_nature`. Bad input never raises: it comes back `readable=False` with
    a French `error`.
    """
    try:
        return _read(data, nature=nature, name=name, limit=decompression_limit)
    except (UnreadableReturn, DecompressionLimitExceeded) as exc:
        return _unreadable(exc.message, nature=nature, name=name)
    except Exception as exc:  # a reader's bug on odd input must not take the caller down
        return _unreadable(
            f"document illisible ({type(exc).__name__} : {exc})", nature=nature, name=name
        )


def _read(data: bytes, *, nature: str | None, name: str | None, limit: int) -> ReturnDocument:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise UnreadableReturn("le contenu doit être des octets")
    data = bytes(data)
    if data.startswith(GZIP_MAGIC):
        data = decompress_bounded([data], limit)
    if not data.strip():
        raise UnreadableReturn("document vide")
    body = data.lstrip()
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:].lstrip()
    if not body.startswith((b"<", *_UTF16_BOMS)):
        return text.read(data, nature=nature, name=name)
    root = parse_untrusted_xml(body)  # an XML declaration must come first: drop what precedes
    reader = _READERS.get(root.tag)
    if reader is None:
        raise UnreadableReturn(
            f"élément racine inconnu {root.tag!r} : ni rapport gipmds, ni NEOReS, ni CRM OC"
        )
    return reader(root, nature=nature, name=name)


def _unreadable(reason: str, *, nature: str | None, name: str | None) -> ReturnDocument:
    return ReturnDocument(
        readable=False,
        name=name,
        error=reason,
        nature=nature,
        nature_label=nature_label(nature),
    )


def declaration_outcome(document: ReturnDocument) -> DeclarationOutcome | None:
    """What a return means for its declaration; None when it does not move it (BIS, ACK…)."""
    if not document.readable:
        return None
    if document.kind is ReturnKind.AEE:
        if document.status is ReturnStatus.KO:
            return DeclarationOutcome.REFUSED_BY_DEPOSIT_POINT
        return DeclarationOutcome.DEPOSITED
    if document.kind is ReturnKind.ARE:
        return DeclarationOutcome.REFUSED_BY_DEPOSIT_POINT
    if document.kind is ReturnKind.CCO:
        return DeclarationOutcome.CONFORM
    if document.kind is ReturnKind.BAN:
        return DeclarationOutcome.REJECTED_BY_DEPOSIT_POINT
    if document.kind is not ReturnKind.CRM:
        return None
    if document.crm_code is not None:
        return {
            0: DeclarationOutcome.CRM_OK,
            1: DeclarationOutcome.CRM_ANOMALIES,
        }.get(document.crm_code, DeclarationOutcome.CRM_KO)
    return {
        ReturnStatus.OK: DeclarationOutcome.CRM_OK,
        ReturnStatus.ANO: DeclarationOutcome.CRM_ANOMALIES,
        ReturnStatus.KO: DeclarationOutcome.CRM_KO,
    }.get(document.status or ReturnStatus.OK)
