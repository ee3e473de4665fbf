"""`dsnlink contract ...` prints JSON; bad input is one line on stderr and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from api.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> object:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_availability_with_incidents_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    incidents = tmp_path / "incidents.json"
    incidents.write_text(
        json.dumps(
            [
                {
                    "start": "2026-11-04T10:00:00+01:00",
                    "end": "2026-11-04T12:00:00+01:00",
                    "cause": "outage",
                },
                {
                    "start": "2026-11-04T11:00:00+01:00",
                    "end": "2026-11-04T13:00:00+01:00",
                    "cause": "outage",
                },
                {
                    "start": "2026-11-05T10:00:00+01:00",
                    "end": "2026-11-05T12:00:00+01:00",
                    "cause": "force_majeure",
                },
            ]
        ),
        encoding="utf-8",
    )
    out = run(
        [
            "contract",
            "availability",
            "--offering",
            "hr-sprint",
            "--month",
            "2026-11",
            "--incidents",
            str(incidents),
        ],
        capsys,
    )
    assert out == {
        "offering": "hr-sprint",
        "month": "2026-11",
        "prt_minutes": 15600,
        "downtime_minutes": 180,
        "availability_percent": 98.8462,
        "target_percent": 99.0,
        "met": False,
    }


def test_availability_without_incidents(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(["contract", "availability", "--month", "2026-11"], capsys)
    assert isinstance(out, dict) and out["met"] is True and out["availability_percent"] == 100


def test_support_deadline(capsys: pytest.CaptureFixture[str]) -> None:
    out = run(
        [
            "contract",
            "support-deadline",
            "--offering",
            "quadra-expert",
            "--criticity",
            "Élevée",
            "--opened",
            "2026-11-10T16:00",
            "--qualified",
            "2026-11-12T10:00+01:00",
        ],
        capsys,
    )
    assert isinstance(out, dict)
    assert out["take_charge_by"] == "2026-11-12T15:00:00+01:00"
    assert out["fix_by"] == "2026-11-20T10:00:00+01:00" and out["plan_by"] is None
    out = run(
        [
            "contract",
            "support-deadline",
            "--formula",
            "private",
            "--criticity",
            "1",
            "--opened",
            "2026-11-10T15:00:00Z",
        ],
        capsys,
    )
    assert out == {
        "offering": "hr-sprint",
        "criticity": 1,
        "criticity_label": "1",
        "formula": "private",
        "opened": "2026-11-10T15:00:00+00:00",
        "take_charge_by": "2026-11-12T11:00:00+01:00",
    }


def test_offerings_and_maintenance(capsys: pytest.CaptureFixture[str]) -> None:
    listing = run(["contract", "offerings"], capsys)
    assert isinstance(listing, list) and len(listing) == 5
    entry = run(["contract", "offerings", "--offering", "quadra-expert"], capsys)
    assert isinstance(entry, dict) and entry["availability"]["target_percent"] == 99.5
    accepted = run(
        [
            "contract",
            "check-maintenance",
            "--start",
            "2026-11-20T00:00Z",
            "--end",
            "2026-11-20T07:00Z",
            "--announced",
            "2026-11-10T00:00Z",
        ],
        capsys,
    )
    assert accepted == {"offering": "hr-sprint", "accepted": True}


@pytest.mark.parametrize(
    "argv",
    [
        ["contract", "availability", "--offering", "nope", "--month", "2026-11"],
        ["contract", "availability", "--month", "11/2026"],
        ["contract", "availability", "--month", "2026-11", "--incidents", "/nonexistent.json"],
        ["contract", "support-deadline", "--criticity", "9", "--opened", "2026-11-10T16:00"],
        ["contract", "support-deadline", "--criticity", "1", "--opened", "tuesday"],
        [
            "contract",
            "support-deadline",
            "--offering",
            "cegid-loop",
            "--formula",
            "private",
            "--criticity",
            "1",
            "--opened",
            "2026-11-10T16:00",
        ],
        [
            "contract",
            "check-maintenance",
            "--start",
            "2026-11-20T08:00Z",
            "--end",
            "2026-11-20T09:00Z",
            "--announced",
            "2026-11-10T00:00Z",
        ],
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dsnlink: error: ")


def test_bad_incidents_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "incidents.json"
    path.write_text('[{"start": "2026-11-04T10:00Z", "end": "2026-11-04T12:00Z", "cause": "x"}]')
    assert main(["contract", "availability", "--month", "2026-11", "--incidents", str(path)]) == 2
    assert "unknown cause 'x'" in capsys.readouterr().err
