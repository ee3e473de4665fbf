"""Any generated sample (size, seed, month) passes the validator without a blocking anomaly."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsnlink.cli import main
from dsnlink.norm import Anomaly, validate_stream
from dsnlink.norm.sample import generate_sample, sample_bytes, write_sample
from dsnlink.norm.sample_model import SITUATIONS

months = st.builds(date, st.sampled_from([2024, 2025, 2026]), st.integers(1, 12), st.just(1))


def _blocking(anomalies: list[Anomaly]) -> list[tuple[str, str | None, str | None, str]]:
    return [(a.id, a.rubric, a.value, a.message) for a in anomalies if a.category == "bloquant"]


@settings(max_examples=80, deadline=None)
@given(employees=st.integers(0, 50), seed=st.integers(0, 2**32), month=months)
def test_any_sample_has_no_blocking_anomaly(employees: int, seed: int, month: date) -> None:
    report = validate_stream(generate_sample(employees=employees, month=month, seed=seed))
    assert _blocking(report.anomalies) == []
    assert report.valid
    assert report.norm_version == f"P{month.year % 100}V01"
    (declaration,) = report.declarations
    assert declaration.individuals == employees
    assert declaration.month == f"{month:%Y-%m}"


@settings(max_examples=25, deadline=None)
@given(employees=st.integers(1, 20), seed=st.integers(0, 2**32), month=months)
def test_any_fctu_has_no_blocking_anomaly(employees: int, seed: int, month: date) -> None:
    report = validate_stream(
        generate_sample(employees=employees, month=month, seed=seed, nature="07")
    )
    assert _blocking(report.anomalies) == []
    (declaration,) = report.declarations
    assert (declaration.nature, declaration.individuals) == ("07", employees)


@settings(max_examples=40, deadline=None)
@given(
    employees=st.integers(0, 40),
    seed=st.integers(0, 2**32),
    month=months,
    nature=st.sampled_from(["01", "07"]),
    situations=st.frozensets(st.sampled_from(SITUATIONS)),
)
def test_any_sample_with_any_situation_has_no_blocking_anomaly(
    employees: int, seed: int, month: date, nature: str, situations: frozenset[str]
) -> None:
    if nature == "07":
        employees = max(employees, 1)
    data = sample_bytes(
        employees=employees, month=month, seed=seed, nature=nature, situations=situations
    )
    report = validate_stream([data])
    assert _blocking(report.anomalies) == []
    (declaration,) = report.declarations
    assert (declaration.nature, declaration.individuals) == (nature, employees)


def test_situations_appear_in_the_file() -> None:
    data = sample_bytes(employees=60, month="2026-03", seed=2, situations=frozenset(SITUATIONS))
    assert b"S21.G00.60.001,'01'" in data  # sick leave
    assert b"S21.G00.78.001,'31'" in data and b"S21.G00.81.001,'059'" in data  # prévoyance
    assert b"S21.G00.40.008,'64'" in data and b"S21.G00.30.025," in data  # apprentices
    assert data.count(b"S21.G00.40.001,") > 60  # some individuals hold two contracts
    assert validate_stream([data]).valid
    plain = sample_bytes(employees=60, month="2026-03", seed=2)
    assert b"S21.G00.60.001" not in plain and b"S21.G00.15.001" not in plain


def test_sample_command_with_situations_and_siret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "s.dsn"
    siret = "73282932000074"
    assert main(["sample", "--employees", "30", "--month", "2025-09", "--with", "all",
                 "--siret", siret, "--out", str(out)]) == 0
    data = out.read_bytes()
    assert f"S21.G00.06.001,'{siret[:9]}'".encode() in data
    assert f"S21.G00.11.001,'{siret[9:]}'".encode() in data
    assert b"S21.G00.15.001" in data
    assert main(["validate", str(out)]) == 0
    assert main(["sample", "--employees", "1", "--month", "2025-09", "--with", "holidays"]) == 2


@pytest.mark.parametrize("month", ["2024-07", "2025-01", "2026-12"])
def test_a_mid_size_sample_raises_no_warning_either(month: str) -> None:
    report = validate_stream([sample_bytes(employees=120, month=month, seed=42)])
    assert [(a.id, a.rubric, a.value) for a in report.anomalies] == []


def test_the_validator_would_notice_a_broken_sample() -> None:
    """Guards the property above against a validator that accepts anything."""
    data = sample_bytes(employees=3, month="2025-05", seed=1)
    nir = data.split(b"S21.G00.30.001,'")[1][:13]
    broken = data.replace(nir, b"1999999999999")
    report = validate_stream([broken])
    assert not report.valid


def test_dsnlink_validate_accepts_generated_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monthly, fctu = tmp_path / "monthly.dsn.gz", tmp_path / "fctu.dsn"
    write_sample(monthly, employees=25, month="2026-04", seed=3)
    write_sample(fctu, employees=2, month="2024-10", seed=3, nature="07")
    assert main(["validate", str(monthly), str(fctu), "--json"]) == 0
    reports = json.loads(capsys.readouterr().out)
    assert [report["valid"] for report in reports] == [True, True]
    assert [a for report in reports for a in report["anomalies"]] == []
