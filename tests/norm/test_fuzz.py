"""Whatever the bytes, the validator reports; it never raises."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsnlink.norm import validate_stream

from .builder import Declaration, Employee, build
from .conftest import TODAY

VALID = build([Declaration(employees=[Employee(), Employee(nir="2920299123456",
                                                           birth="01011992")])])
LINES = VALID.split(b"\n")[:-1]

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _consistent(data: bytes) -> None:
    report = validate_stream(io.BytesIO(data), today=TODAY, max_anomalies=200)
    assert report.line_count == data.count(b"\n") + (0 if data.endswith(b"\n") or not data
                                                     else 1)
    assert report.valid == (report.blocking_count == 0)
    assert len(report.anomalies) <= 201
    for a in report.anomalies:
        assert a.category in ("bloquant", "non-bloquant")
        assert a.line is None or 1 <= a.line <= max(report.line_count, 1)
    report.to_dict()


@FUZZ
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(data: bytes) -> None:
    _consistent(data)


@FUZZ
@given(st.data())
def test_mutated_valid_files(data: st.DataObject) -> None:
    lines = list(LINES)
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(lines) - 1))
        action = data.draw(st.sampled_from(["drop", "dup", "swap", "bytes", "value", "cut"]))
        if action == "drop" and len(lines) > 1:
            del lines[i]
        elif action == "dup":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "bytes":
            pos = data.draw(st.integers(0, len(lines[i])))
            noise = data.draw(st.binary(min_size=1, max_size=5))
            lines[i] = lines[i][:pos] + noise + lines[i][pos:]
        elif action == "value":
            head = lines[i][:16]
            lines[i] = head + data.draw(st.binary(max_size=30)) + b"'"
        else:
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))]
    eol = data.draw(st.sampled_from([b"\n", b"\r\n"]))
    _consistent(eol.join(lines) + eol)


@FUZZ
@given(st.lists(st.integers(1, 200), min_size=1, max_size=20))
def test_any_chunking_gives_the_same_report(sizes: list[int]) -> None:
    chunks, pos = [], 0
    for size in sizes:
        chunks.append(VALID[pos : pos + size])
        pos += size
    chunks.append(VALID[pos:])
    assert validate_stream(chunks, today=TODAY).to_dict() == validate_stream(
        io.BytesIO(VALID), today=TODAY
    ).to_dict()
