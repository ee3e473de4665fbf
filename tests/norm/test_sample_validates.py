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
