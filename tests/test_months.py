"""One month parser for every entry point: clear refusals, never a traceback."""

from __future__ import annotations

from datetime import date

import pytest

from api.cli import main
from dsnlink.errors import InputError
from dsnlink.months import parse_month


def test_months_read_as_their_first_day() -> None:
    assert parse_month("2026-10") == date(2026, 10, 1)
    assert parse_month(" 2024-02 ") == date(2024, 2, 1)
    assert parse_month(date(2025, 6, 17)) == date(2025, 6, 1)


@pytest.mark.parametrize(
    "bad", ["0000-01", "9999-12", "2026-13", "2026-00", "2026-1", "10/2026", "", date(1999, 1, 1)]
)
def test_other_months_are_refused_clearly(bad: object) -> None:
    with pytest.raises(InputError, match=r"month must read YYYY-MM \(2000–2099\)"):
        parse_month(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("month", ["0000-01", "9999-12"])
@pytest.mark.parametrize(
    "command",
    [
        ["deadline", "--due-day", "5", "--month"],
        ["contract", "availability", "--offering", "hr-sprint", "--month"],
    ],
)
def test_cli_out_of_range_month_is_a_one_line_error(
    command: list[str], month: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, month]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dsnlink: error:") and "YYYY-MM" in err
    assert "Traceback" not in err and err.count("\n") == 1
