"""Each value against its rubric: unknown rubric, length, regexp, enumeration, dates, amounts."""

from __future__ import annotations

import pytest

from .builder import Declaration, Employee, build, build_lines, line_of, render, replace
from .conftest import check, found, ids


def spoil(rubric: str, value: str) -> tuple[list[str], int, list[int | None]]:
    """Anomaly ids, the spoiled line, and the lines anomalies point at."""
    lines = replace(build_lines(), rubric, value)
    report = check(render(lines))
    return ids(report), line_of(lines, rubric), [a.line for a in report.anomalies]


def test_unknown_rubric_for_the_declared_norm() -> None:
    lines = build_lines()
    lines.insert(20, ("S21.G00.06.099", "X"))
    lines = replace(lines, "S90.G00.90.001", str(len(lines)))
    report = check(render(lines))
    assert found(report, "DSNLINK-FMT-06") == [(21, "S21.G00.06.099")]
    assert "P26V01" in report.anomalies[0].message


def test_rubric_removed_from_a_later_norm_is_unknown_there() -> None:
    # S21.G00.06.009 (headcount) exists in P25V01 and was removed in P26V01.
    for version, month, expected in (("P25V01", "01052025", False), ("P26V01", "01012026", True)):
        lines = build_lines([Declaration(month=month)], version=version)
        at = line_of(lines, "S21.G00.06.006") + 1
        lines.insert(at - 1, ("S21.G00.06.009", "12"))
        lines = replace(lines, "S90.G00.90.001", str(len(lines)))
        assert ("DSNLINK-FMT-06" in ids(check(render(lines)))) is expected


@pytest.mark.parametrize(
    ("rubric", "value", "expected"),
    [
        ("S21.G00.30.004", "J" * 81, "CSL-01"),  # too long
        ("S21.G00.06.001", "7328293", "CSL-01"),  # too short
        ("S21.G00.30.001", "3850775123456", "DSNLINK-VAL-02"),  # regexp (sex digit 3)
        ("S21.G00.30.001", "185077512345X", "DSNLINK-VAL-02"),
        ("S10.G00.00.005", "03", "DSNLINK-VAL-03"),  # enumeration
        ("S21.G00.30.005", "1", "CSL-01"),
        ("S21.G00.30.005", "03", "DSNLINK-VAL-03"),
        ("S21.G00.40.001", "30022020", "DSNLINK-VAL-04"),  # 30 February
        ("S21.G00.40.001", "29022021", "DSNLINK-VAL-04"),  # not a leap year
        ("S21.G00.50.002", "2500,00", "DSNLINK-VAL-05"),  # decimal comma
        ("S21.G00.50.002", "2500.0", "DSNLINK-VAL-05"),  # one decimal
        ("S21.G00.50.002", "2500", "DSNLINK-VAL-05"),  # no decimals
        ("S21.G00.40.013", "-151.67", "DSNLINK-VAL-05"),  # minus on an unsigned quantity
    ],
)
def test_value_defects(rubric: str, value: str, expected: str) -> None:
    found_ids, line, lines = spoil(rubric, value)
    assert expected in found_ids, found_ids
    assert lines[found_ids.index(expected)] == line


@pytest.mark.parametrize(
    ("rubric", "value"),
    [
        ("S21.G00.40.001", "29022024"),  # leap day
        ("S21.G00.50.002", "-2500.00"),  # net pay is a signed amount
        ("S21.G00.50.002", "0.00"),
        ("S21.G00.30.004", "J" * 80),
        ("S21.G00.30.002", "D'ARTAGNAN"),
    ],
)
def test_values_that_are_fine(rubric: str, value: str) -> None:
    found_ids, _, _ = spoil(rubric, value)
    assert found_ids == []


def test_anomaly_carries_line_rubric_and_value() -> None:
    lines = replace(build_lines(), "S21.G00.40.001", "31042020")
    report = check(render(lines))
    (a,) = report.anomalies
    assert (a.line, a.rubric, a.value, a.category) == (
        line_of(lines, "S21.G00.40.001"), "S21.G00.40.001", "31042020", "bloquant",
    )
    assert a.message


@pytest.mark.parametrize("birth", ["00001985", "99991985", "00071985", "15991985", "29021984"])
def test_birth_date_tolerates_unknown_day_or_month(birth: str) -> None:
    nir = f"1{birth[6:8]}0775123456"
    report = check(build([Declaration(employees=[Employee(nir=nir, birth=birth)])]))
    assert report.valid, report.anomalies


@pytest.mark.parametrize("birth", ["31041985", "29021985", "00131985", "32001985"])
def test_birth_date_must_otherwise_be_a_calendar_date(birth: str) -> None:
    report = check(build([Declaration(employees=[Employee(birth=birth)])]))
    assert {"S21.G00.30.006/CSL-11", "DSNLINK-VAL-02"} & set(ids(report)), ids(report)
    assert not report.valid
