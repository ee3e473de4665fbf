"""Physical format: encoding, line grammar, line endings, streaming and gzip input."""

from __future__ import annotations

import gzip
import io

import pytest

from dsnlink.errors import UnreadableInputError
from dsnlink.norm import validate_path, validate_stream

from .builder import build, build_lines, line_of, render, replace
from .conftest import TODAY, check, found, ids


def test_valid_file_has_no_anomaly() -> None:
    report = check(build())
    assert report.valid, report.anomalies
    assert report.anomalies == []
    assert report.line_count == len(build_lines())


def test_crlf_line_endings_are_accepted() -> None:
    report = check(build(eol=b"\r\n"))
    assert report.valid, report.anomalies


def test_mixed_lf_and_crlf_are_accepted() -> None:
    lines = build(eol=b"\r\n").split(b"\r\n")
    data = b"\n".join(lines[:10]) + b"\n" + b"\r\n".join(lines[10:])
    assert check(data).valid


def test_empty_file() -> None:
    report = check(b"")
    assert not report.valid
    assert ids(report) == ["DSNLINK-FMT-05"]
    assert report.line_count == 0


def test_utf8_sequence_is_reported_with_its_line() -> None:
    lines = replace(build_lines(), "S21.G00.30.002", "DUPONT")
    data = render(lines).replace(b"'DUPONT'", "'BÉRANGER'".encode())
    report = check(data)
    assert found(report, "DSNLINK-ENC-01") == [(line_of(lines, "S21.G00.30.002"), None)]
    assert not report.valid


def test_latin1_accent_is_legal() -> None:
    lines = replace(build_lines(), "S21.G00.30.002", "BÉRANGER")
    report = check(render(lines))
    assert report.valid, report.anomalies


def test_cp1252_only_byte_is_reported() -> None:
    lines = replace(build_lines(), "S21.G00.30.002", "DUPONT")
    data = render(lines).replace(b"'DUPONT'", b"'DUPONT\x80'")
    assert found(check(data), "DSNLINK-ENC-02") == [(line_of(lines, "S21.G00.30.002"), None)]


def test_control_character_is_reported() -> None:
    data = render(build_lines()).replace(b"'DUPONT'", b"'DUP\x00NT'")
    assert ids(check(data)) == ["DSNLINK-ENC-03"]


def test_binary_garbage_never_raises_and_is_capped() -> None:
    garbage = bytes(range(256)) * 4000 + b"\n" * 3000
    report = check(garbage, max_anomalies=50)
    assert not report.valid
    assert len(report.anomalies) == 51  # 50 listed + the DSNLINK-CAP-01 summary
    assert report.anomalies[-1].id == "DSNLINK-CAP-01"
    assert report.truncated
    assert report.anomaly_count > 3000


def test_line_of_300_characters() -> None:
    lines = replace(build_lines(), "S10.G00.01.004", "X" * 283)
    data = render(lines)
    assert max(len(x) for x in data.split(b"\n")) == 300
    report = check(data)
    assert found(report, "DSNLINK-FMT-01") == [(line_of(lines, "S10.G00.01.004"), None)]


def test_line_of_exactly_256_with_crlf_is_too_long_but_255_with_lf_is_not() -> None:
    # 16 chars of prefix + value + closing quote = 254 content chars: 256 with CRLF, 255 with LF.
    lines = replace(build_lines(), "S21.G00.30.004", "A" * 237)
    assert "DSNLINK-FMT-01" not in ids(check(render(lines)))
    assert "DSNLINK-FMT-01" not in ids(check(render(lines, eol=b"\r\n")))
    longer = replace(build_lines(), "S21.G00.30.004", "A" * 238)
    assert "DSNLINK-FMT-01" not in ids(check(render(longer)))
    assert "DSNLINK-FMT-01" in ids(check(render(longer, eol=b"\r\n")))


def test_huge_line_without_newline_keeps_memory_bounded() -> None:
    report = check(b"S10.G00.00.001,'" + b"A" * (5 << 20))
    assert "DSNLINK-FMT-01" in ids(report)


def test_empty_line_is_reported() -> None:
    lines = build_lines()
    data = render(lines[:5]) + b"\n" + render(lines[5:])
    report = check(data)
    assert found(report, "DSNLINK-FMT-02") == [(6, None)]


def test_malformed_line_is_reported() -> None:
    lines = build_lines()
    data = render(lines[:5]) + b"S10.G00.00.006=P26V01\n" + render(lines[6:])
    assert (6, None) in found(check(data), "DSNLINK-FMT-03")


def test_empty_value_is_reported() -> None:
    lines = replace(build_lines(), "S21.G00.30.004", "")
    report = check(render(lines))
    assert found(report, "DSNLINK-FMT-04") == [(line_of(lines, "S21.G00.30.004"), "S21.G00.30.004")]


def test_apostrophe_inside_value_is_legal() -> None:
    lines = replace(build_lines(), "S21.G00.30.002", "O'CONNOR")
    report = check(render(lines))
    assert report.valid, report.anomalies


def test_file_cut_before_s90() -> None:
    lines = build_lines()[:-2]
    report = check(render(lines))
    assert ids(report) == ["DSNLINK-STR-05"]
    assert report.declarations[0].individuals == 1


def test_file_cut_mid_line() -> None:
    data = build()
    report = check(data[: len(data) // 2 + 3])
    assert "DSNLINK-STR-05" in ids(report)
    assert not report.valid


def test_chunks_split_anywhere_give_the_same_report() -> None:
    data = build(eol=b"\r\n")
    whole = check(data).to_dict()
    for size in (1, 2, 7, 64):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        assert validate_stream(chunks, today=TODAY).to_dict() == whole


def test_progress_callback_reports_bytes_read() -> None:
    data = build()
    seen: list[int] = []
    validate_stream(io.BytesIO(data), on_progress=seen.append)
    assert seen and seen[-1] == len(data)


def test_validate_path_plain_and_gzip(tmp_path) -> None:
    plain = tmp_path / "dsn.txt"
    plain.write_bytes(build())
    packed = tmp_path / "dsn.gz"
    packed.write_bytes(gzip.compress(build()))
    assert validate_path(plain).valid
    report = validate_path(packed)
    assert report.valid and report.file == str(packed)


@pytest.mark.parametrize("kind", ["missing", "directory", "bad-gzip", "cut-gzip"])
def test_validate_path_unreadable(tmp_path, kind: str) -> None:
    target = tmp_path / "x"
    if kind == "directory":
        target.mkdir()
    elif kind == "bad-gzip":
        target.write_bytes(b"\x1f\x8bnot gzip at all")
    elif kind == "cut-gzip":
        target.write_bytes(gzip.compress(build())[:60])
    with pytest.raises(UnreadableInputError):
        validate_path(target)


def test_lone_carriage_return_inside_a_line_is_reported() -> None:
    lines = build_lines()
    data = render(lines, eol=b"\r\n").replace(b"'DUPONT'", b"'DUP\rONT'")
    report = check(data)
    assert found(report, "DSNLINK-ENC-03") == [(line_of(lines, "S21.G00.30.002"), None)]


def test_text_source_is_refused_cleanly() -> None:
    with pytest.raises(UnreadableInputError):
        validate_stream(io.StringIO(build().decode("latin-1")))


@pytest.mark.parametrize("sequence", ["é".encode(), b"\xef\xbf\xbd", "€".encode()])
def test_every_utf8_sequence_is_reported(sequence: bytes) -> None:
    lines = build_lines()
    data = render(lines).replace(b"'DUPONT'", b"'DUP" + sequence + b"ONT'")
    assert found(check(data), "DSNLINK-ENC-01") == [(line_of(lines, "S21.G00.30.002"), None)]
