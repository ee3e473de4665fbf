"""Hostile or broken input never raises from read_return, and gunzip stops at its limit.

The bomb is 1 GiB of zeros gzipped (about 1 MB), built here by streaming: neither the test nor
the code under test ever holds the gigabyte.
"""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator

import pytest

from dsnlink.deposit_point.returns import (
    DEFAULT_DECOMPRESSION_LIMIT,
    DecompressionLimitExceeded,
    ReturnFormat,
    UnreadableReturn,
    decompress_bounded,
    iter_decompress_bounded,
    read_return,
)
from dsnlink.deposit_point.returns import reader as reader_module
from dsnlink.deposit_point.returns.errors import DecompressionLimitExceeded as Typed
from dsnlink.deposit_point.returns.safety import declares_doctype
from dsnlink.errors import LimitExceeded, UnreadableInputError

from .samples import sample_bytes

ONE_GIB = 1 << 30
MIB = 1 << 20
LIMIT = 50 * MIB


@pytest.fixture(scope="module")
def gigabyte_of_zeros_gzipped() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip stream
    zeros = bytes(MIB)
    parts = [compressor.compress(zeros) for _ in range(ONE_GIB // MIB)]
    parts.append(compressor.flush())
    data = b"".join(parts)
    assert int.from_bytes(data[-4:], "little") == ONE_GIB % 2**32  # gzip ISIZE trailer
    assert len(data) < 2 * MIB
    return data


def in_chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def peak_bytes(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        action()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


def test_the_default_limit_is_50_mib() -> None:
    assert DEFAULT_DECOMPRESSION_LIMIT == LIMIT


def test_streaming_a_gigabyte_bomb_stops_at_the_limit_in_bounded_memory(
    gigabyte_of_zeros_gzipped: bytes,
) -> None:
    seen = 0
    caught: list[DecompressionLimitExceeded] = []

    def consume() -> None:
        nonlocal seen
        try:
            for piece in iter_decompress_bounded(in_chunks(gigabyte_of_zeros_gzipped), LIMIT):
                seen += len(piece)
        except DecompressionLimitExceeded as exc:
            caught.append(exc)

    peak = peak_bytes(consume)

    (error,) = caught
    assert error.limit == LIMIT
    assert LIMIT < error.produced <= LIMIT + 64 * 1024
    assert seen <= LIMIT
    assert peak < 2 * MIB, f"peak {peak} bytes"  # about 0.2 MB: one chunk in, one piece out


def test_decompress_bounded_never_holds_more_than_the_limit(
    gigabyte_of_zeros_gzipped: bytes,
) -> None:
    def run() -> None:
        with pytest.raises(DecompressionLimitExceeded) as raised:
            decompress_bounded(in_chunks(gigabyte_of_zeros_gzipped), LIMIT)
        assert raised.value.context == {"limit": LIMIT, "produced": raised.value.produced}

    peak = peak_bytes(run)

    assert peak < LIMIT + 4 * MIB, f"peak {peak} bytes"  # never near the 1 GiB it would inflate to
    assert peak < ONE_GIB // 16


def test_read_return_answers_a_bomb_with_a_reason(gigabyte_of_zeros_gzipped: bytes) -> None:
    document = read_return(gigabyte_of_zeros_gzipped, name="bombe.xml.gz")

    assert not document.readable
    assert document.error == "décompression interrompue : le contenu dépasse la limite de 50 Mo"


def test_the_limit_is_configurable_and_typed() -> None:
    content = b"x" * 2000
    packed = gzip.compress(content)

    assert decompress_bounded([packed], 2000) == content
    with pytest.raises(Typed) as raised:
        decompress_bounded([packed], 1999)
    assert isinstance(raised.value, LimitExceeded)
    assert (
        raised.value.message
        == "décompression interrompue : le contenu dépasse la limite de 1999 octets"
    )
    small = read_return(
        gzip.compress(sample_bytes("exemple_retour_10_AEE.xml")), decompression_limit=100
    )
    assert not small.readable and small.error is not None and "100 octets" in small.error


def test_gzipped_return_is_read() -> None:
    raw = sample_bytes("exemple_retour_11_BAN.xml")

    document = read_return(gzip.compress(raw))

    assert document.readable and document.format is ReturnFormat.BILAN
    assert document.anomalies[0].code == "CSL-01"


def test_concatenated_gzip_members_and_byte_sized_chunks() -> None:
    packed = gzip.compress(b"hello ") + gzip.compress(b"world")

    assert decompress_bounded(in_chunks(packed, 1)) == b"hello world"


@pytest.mark.parametrize(
    ("chunks", "reason"),
    [
        ([], "contenu gzip vide"),
        ([gzip.compress(b"abcdef" * 100)[:-12]], "contenu gzip tronqué"),
        ([b"\x1f\x8b\x08\x00garbage-garbage"], "contenu gzip illisible"),
        ([gzip.compress(b"abc") + b"trailing"], "contenu gzip illisible"),
    ],
)
def test_broken_gzip_is_unreadable(chunks: list[bytes], reason: str) -> None:
    with pytest.raises(UnreadableReturn) as raised:
        decompress_bounded(chunks)

    assert raised.value.message.startswith(reason)
    assert isinstance(raised.value, UnreadableInputError)


def test_external_entities_are_refused_and_never_read(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    hostile = (
        f'<!DOCTYPE r [<!ENTITY leak SYSTEM "file://{secret}">]>'
        '<gipmds:rapport xmlns:gipmds="http://www.gip-mds.fr/" type="AEE" profil="DSN">'
        "<envoi><envoi_identification><idflux>&leak;</idflux>"
        "<emetteur_siret>1</emetteur_siret></envoi_identification>"
        "<envoi_bilan><envoi_etat>OK</envoi_etat></envoi_bilan></envoi></gipmds:rapport>"
    ).encode()

    document = read_return(hostile)

    assert not document.readable
    assert document.error is not None and "DOCTYPE" in document.error
    assert "TOP-SECRET" not in repr(document)


def test_billion_laughs_is_refused_quickly() -> None:
    entities = '<!ENTITY a0 "ha">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    bomb = f"<!DOCTYPE r [{entities}]><r>&a9;</r>".encode()

    document = read_return(bomb)

    assert not document.readable
    assert document.error is not None and "DOCTYPE" in document.error


def test_external_dtd_over_the_network_is_refused() -> None:
    remote = b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><r/>'

    document = read_return(remote)

    assert not document.readable
    assert document.error is not None and "DOCTYPE" in document.error


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "document vide"),
        (b"  \n\t ", "document vide"),
        (b"<gipmds:rapport xmlns:gipmds='http://www.gip-mds.fr/'><envoi>", "XML mal formé"),
        (b"<retours></retours>", "élément racine inconnu 'retours'"),
        (
            '<?xml version="1.0" encoding="UTF-8"?><r>é</r>'.encode("iso-8859-1"),
            "XML mal formé ou mal encodé",
        ),
        (b"\x00\x01\x02binary", "contenu binaire"),
    ],
)
def test_unreadable_input_comes_back_with_a_french_reason(data: bytes, reason: str) -> None:
    document = read_return(data, nature="11", name="retour.xml")

    assert not document.readable
    assert document.error is not None and document.error.startswith(reason), document.error
    assert (document.name, document.nature, document.format) == ("retour.xml", "11", None)
    assert document.anomalies == ()


def test_too_large_a_document_is_refused_before_parsing() -> None:
    huge = b"<r>" + b" " * (50 * MIB) + b"</r>"

    document = read_return(huge)

    assert not document.readable
    assert document.error is not None and document.error.startswith("document trop volumineux")


def test_a_string_instead_of_bytes_is_unreadable() -> None:
    document = read_return("<r/>")  # type: ignore[arg-type]

    assert not document.readable
    assert document.error == "le contenu doit être des octets"


def test_a_readers_own_failure_still_does_not_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setitem(reader_module._READERS, "{http://www.gip-mds.fr/}rapport", broken)

    document = read_return(sample_bytes("exemple_retour_10_AEE.xml"))

    assert not document.readable
    assert document.error == "document illisible (RuntimeError : boom)"


def test_a_doctype_the_prolog_scan_cannot_see_is_still_refused() -> None:
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY e "x">]><r>&e;</r>'

    document = read_return(utf16.encode("utf-16"))

    assert not document.readable
    assert document.error is not None and "DOCTYPE" in document.error


def test_a_doctype_after_comments_and_declaration_is_refused_before_parsing() -> None:
    data = b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- c --><?pi x?>\n<!DOCTYPE r><r/>'

    document = read_return(data)

    assert document.error is not None and document.error.startswith("le document déclare")


@pytest.mark.parametrize(
    "data",
    [
        b"<?a?>" * (8 * MIB) + b"<!DOCTYPE r><r/>",  # 40 MB of processing instructions
        b"<?" + b"a" * (40 * MIB),  # a PI never closed
        b"<!-- " + b"-" * (40 * MIB),  # a comment never closed
    ],
    ids=["many-pis", "unclosed-pi", "unclosed-comment"],
)
def test_pathological_prologs_are_answered_quickly(data: bytes) -> None:
    started = time.monotonic()

    document = read_return(data)

    assert time.monotonic() - started < 30  # seconds, not the minutes of a runaway regex
    assert not document.readable


def test_the_prolog_scan() -> None:
    assert declares_doctype(b'<?xml version="1.0"?><!-- x --> <!DOCTYPE r><r/>')
    assert not declares_doctype(b"<r><!DOCTYPE is only text here/></r>")
    assert not declares_doctype(b"<!-- never closed <!DOCTYPE r>")
    assert not declares_doctype(b"<?a?>" * 1001 + b"<!DOCTYPE r>")  # left to the parser's check
