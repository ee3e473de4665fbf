"""`dsnlink deadline` prints JSON; bad input is one line on stderr and exit 2."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from api.cli import main


def test_deadline_command_prints_the_worked_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deadline", "--month", "2026-10", "--due-day", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["deadline"] == "2026-11-05T12:00:00+01:00"
    assert out["cutoff"] == "2026-11-04T17:00:00+01:00"
    assert datetime.fromisoformat(out["cutoff_utc"]) == datetime.fromisoformat(out["cutoff"])
    assert out["kind"] == "monthly" and out["rule"]


def test_deadline_command_for_a_signalement_with_maintenance(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ["deadline", "--nature", "04", "--event-date", "2026-11-02"]
    assert main(argv) == 0
    plain = json.loads(capsys.readouterr().out)
    window = "2026-11-09T12:00:00+00:00/2026-11-09T14:00:00+00:00"
    assert main([*argv, "--maintenance", window]) == 0
    shifted = json.loads(capsys.readouterr().out)
    assert plain["deadline"] == shifted["deadline"] == "2026-11-10T00:00:00+01:00"
    assert shifted["cutoff_utc"] == "2026-11-09T09:00:00+00:00"
    assert plain["cutoff_utc"] == "2026-11-09T11:00:00+00:00"


@pytest.mark.parametrize(
    "argv",
    [
        ["deadline", "--month", "2026-13", "--due-day", "5"],
        ["deadline", "--month", "2026-10", "--due-day", "6"],
        ["deadline", "--month", "2026-10"],
        ["deadline", "--nature", "04"],
        ["deadline", "--month", "2026-10", "--due-day", "5", "--offering", "nope"],
        ["deadline", "--month", "2026-10", "--due-day", "5", "--maintenance", "tomorrow"],
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
