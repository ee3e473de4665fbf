"""The validator reports the event a signalement is about, from which its deadline runs."""

from __future__ import annotations

import io

from dsnlink.norm import validate_stream
from dsnlink.norm.sample import sample_bytes


def test_end_of_contract_signalement_reports_its_earliest_contract_end() -> None:
    body = sample_bytes(employees=3, month="2026-10", nature="07", seed=5)
    ends = sorted(
        line[-9:-1] for line in body.decode("latin-1").splitlines()
        if line.startswith("S21.G00.62.001,")
    )
    earliest = min(f"{d[4:8]}-{d[2:4]}-{d[0:2]}" for d in ends)

    report = validate_stream(io.BytesIO(body))

    assert report.valid
    assert [d.event_date for d in report.declarations] == [earliest]


def test_monthly_declaration_has_no_event_date() -> None:
    report = validate_stream(io.BytesIO(sample_bytes(employees=2, month="2026-10", seed=1)))

    assert [d.event_date for d in report.declarations] == [None]
