"""Reading documents from outside safely: XML without DTD, entities or network; bounded gunzip.

Return documents come from the deposit point or from anyone who can drop a file: they are parsed
with no DTD loaded, no entity resolved, nothing fetched, libxml2's size limits kept, and any
DOCTYPE refused outright. Compressed bodies are inflated chunk by chunk and never past a limit.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator
from functools import lru_cache

from lxml import etree

from dsnlink.deposit_point.returns.errors import DecompressionLimitExceeded, UnreadableReturn
from dsnlink.resources import schema_path

DEFAULT_DECOMPRESSION_LIMIT = 50 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
_DOCTYPE_REFUSED = "le document déclare une DTD (DOCTYPE) : refusé, un retour n'en contient jamais"
_SPACES = re.compile(rb"[ \t\r\n]*")
_PROLOG_ITEMS = 1000  # comments and PIs looked through before the root; returns have one or two
# Inflate at most this much per step, so one tiny input chunk cannot make one huge output.
_STEP = 64 * 1024


def safe_xml_parser() -> etree.XMLParser:
    """An lxml parser fit for untrusted documents: no DTD, no entities, no network, no huge tree."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_untrusted_xml(data: bytes) -> etree._Element:
    """The root element of untrusted XML bytes, or UnreadableReturn with a French reason."""
    if not data.strip():
        raise UnreadableReturn("document vide")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise UnreadableReturn(
            f"document trop volumineux ({len(data)} octets, limite {MAX_DOCUMENT_BYTES})"
        )
    if declares_doctype(data):  # refused before libxml2 sees a single entity
        raise UnreadableReturn(_DOCTYPE_REFUSED)
    try:
        root = etree.fromstring(data, parser=safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise UnreadableReturn(f"XML mal formé ou mal encodé : {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnreadableReturn(_DOCTYPE_REFUSED)  # a prolog the scan missed (UTF-16…)
    return root


def declares_doctype(data: bytes) -> bool:
    """Whether the prolog (BOM, XML declaration, comments, PIs) holds a DOCTYPE; bounded time."""
    position = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    for _ in range(_PROLOG_ITEMS):
        match = _SPACES.match(data, position)
        position = match.end() if match else position
        for opening, closing in ((b"<?", b"?>"), (b"<!--", b"-->")):
            if data.startswith(opening, position):
                end = data.find(closing, position + len(opening))
                if end < 0:
                    return False
                position = end + len(closing)
                break
        else:
            return data.startswith(b"<!DOCTYPE", position)
    return False  # an absurd prolog: the check after parsing still refuses a DOCTYPE


def iter_decompress_bounded(
    chunks: Iterable[bytes], limit: int = DEFAULT_DECOMPRESSION_LIMIT
) -> Iterator[bytes]:
    """Inflate gzip `chunks` piece by piece; DecompressionLimitExceeded once past `limit` bytes.

    Concatenated gzip members are read in turn; a truncated or corrupt stream is UnreadableReturn.
    """
    produced = 0
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    member_open = False  # the current member was begun and has not ended yet
    started = False
    for chunk in chunks:
        pending = chunk
        while pending:
            started = member_open = True
            try:
                piece = inflater.decompress(pending, _STEP)
            except zlib.error as exc:
                raise UnreadableReturn(f"contenu gzip illisible : {exc}") from exc
            produced += len(piece)
            if produced > limit:
                raise DecompressionLimitExceeded(limit=limit, produced=produced)
            if piece:
                yield piece
            if inflater.eof:
                member_open = False
                pending = inflater.unused_data
                inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            else:
                pending = inflater.unconsumed_tail
    if not started:
        raise UnreadableReturn("contenu gzip vide")
    if member_open:
        raise UnreadableReturn("contenu gzip tronqué")


def decompress_bounded(chunks: Iterable[bytes], limit: int = DEFAULT_DECOMPRESSION_LIMIT) -> bytes:
    """The whole inflated content of gzip `chunks`, never holding more than `limit` bytes."""
    return b"".join(iter_decompress_bounded(chunks, limit))


class _LocalSchemas(etree.Resolver):
    """Resolves an XSD's `datatypes.xsd` import to the shipped file of the same version."""

    def __init__(self, datatypes: str) -> None:
        super().__init__()
        self._datatypes = datatypes

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        if system_url.rsplit("/", 1)[-1] == "datatypes.xsd":
            return self.resolve_filename(self._datatypes, context)
        return None


@lru_cache(maxsize=16)
def load_schema(*parts: str, datatypes: tuple[str, ...] | None = None) -> etree.XMLSchema:
    """A shipped XSD under schemas/ (cached); `datatypes` names the file its import points to."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    if datatypes is not None:
        parser.resolvers.add(_LocalSchemas(str(schema_path(*datatypes))))
    document = etree.parse(str(schema_path(*parts)), parser=parser)
    return etree.XMLSchema(document)


def validate(root: etree._Element, schema: etree.XMLSchema) -> tuple[bool, tuple[str, ...]]:
    """Whether `root` is valid against `schema`, and the first errors (line: message)."""
    valid = bool(schema.validate(root))
    errors = tuple(f"ligne {e.line} : {e.message}" for e in list(schema.error_log)[:20])
    return valid, errors
