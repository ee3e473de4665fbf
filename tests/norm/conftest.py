"""Helpers shared by the norm tests."""

from __future__ import annotations

import io
from datetime import date

from dsnlink.norm import ValidationReport, validate_stream

TODAY = date(2026, 2, 10)


def check(data: bytes, **kwargs: object) -> ValidationReport:
    """Validate bytes with a fixed reference date."""
    kwargs.setdefault("today", TODAY)
    return validate_stream(io.BytesIO(data), **kwargs)  # type: ignore[arg-type]


def ids(report: ValidationReport) -> list[str]:
    return [a.id for a in report.anomalies]


def found(report: ValidationReport, anomaly_id: str) -> list[tuple[int | None, str | None]]:
    """(line, rubric) of every anomaly with this id."""
    return [(a.line, a.rubric) for a in report.anomalies if a.id == anomaly_id]
