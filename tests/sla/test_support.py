"""Support deadlines in working hours/days of each booklet's support calendar, and compliance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dsnlink.errors import InputError
from dsnlink.sla.errors import UnknownCriticityError, UnknownFormulaError
from dsnlink.sla.support import (
    SupportRequest,
    qualified_deadline,
    support_compliance,
    support_deadlines,
    take_charge_deadline,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


# Opened Tuesday 2026-11-10 16:00; Wednesday 11 is Armistice Day.
OPENED = paris(2026, 11, 10, 16)


@pytest.mark.parametrize(
    ("oid", "formula", "criticity", "expected"),
    [
        ("hr-sprint", "open", 1, paris(2026, 11, 12, 15)),  # 2 h Tue + 6 h Thu
        ("hr-sprint", "private", 1, paris(2026, 11, 12, 11)),  # 2 h Tue + 2 h Thu
        ("hr-sprint", None, 3, paris(2026, 11, 12, 15)),  # default formula: open
        ("cegid-loop", "open", 2, paris(2026, 11, 12, 15)),
        # 1.5 h Tue, 3.5 h Thu morning, 3 h from 14:30 Thu.
        ("profession-liberale", None, 2, paris(2026, 11, 12, 17, 30)),
        ("quadra-expert", None, "Critique", paris(2026, 11, 12, 11, 30)),  # 1.5 + 2.5
        ("quadra-expert", "private", "Élevée", paris(2026, 11, 12, 15)),  # formula ignored
        ("quadra-entreprise", None, "Modérée", paris(2026, 11, 12, 17)),  # 1.5 + 3.5 + 3
    ],
)
def test_take_in_charge(
    oid: str, formula: str | None, criticity: str | int, expected: datetime
) -> None:
    assert (
        take_charge_deadline(oid, opened=OPENED, criticity=criticity, formula=formula) == expected
    )


def test_after_qualification_per_booklet() -> None:
    qualified = paris(2026, 11, 12, 10)
    # 12 working hours: 8 h Thursday, then 4 h Friday.
    assert qualified_deadline("hr-sprint", qualified=qualified, criticity=1) == (
        "corrective_plan",
        paris(2026, 11, 13, 13),
    )
    # 6 working days, same local time.
    assert qualified_deadline("hr-sprint", qualified=qualified, criticity=2) == (
        "fix",
        paris(2026, 11, 20, 10),
    )
    # Profession Libérale: 14 working days.
    assert qualified_deadline("profession-liberale", qualified=qualified, criticity=2) == (
        "fix",
        paris(2026, 12, 2, 10),
    )
    # Quadra, "12 h" in its own hours: Thu 2.5 + 3.5, Fri 3.5 + 2.5 → Fri 16:30.
    assert qualified_deadline("quadra-expert", qualified=qualified, criticity="Critique") == (
        "corrective_plan",
        paris(2026, 11, 13, 16, 30),
    )
    for oid in ("hr-sprint", "cegid-loop", "profession-liberale", "quadra-expert"):
        assert qualified_deadline(oid, qualified=qualified, criticity=3) is None


def test_fix_deadline_across_christmas_new_year_easter_and_dst() -> None:
    # Dec 25 and Jan 1 are skipped: 28, 29, 30, 31, Jan 4, Jan 5.
    assert qualified_deadline("hr-sprint", qualified=paris(2026, 12, 24, 15), criticity=2) == (
        "fix",
        paris(2027, 1, 5, 15),
    )
    # From 09:00 CET to 09:00 CEST, Easter Monday (Apr 6) skipped.
    assert qualified_deadline("hr-sprint", qualified=paris(2026, 3, 27, 9), criticity=2) == (
        "fix",
        paris(2026, 4, 7, 9),
    )


def test_support_deadlines_bundle() -> None:
    d = support_deadlines(
        "hr-sprint",
        criticity="1",
        formula="private",
        opened=OPENED,
        qualified=paris(2026, 11, 12, 10),
    )
    assert (d.take_charge_by, d.plan_by, d.fix_by) == (
        paris(2026, 11, 12, 11),
        paris(2026, 11, 13, 13),
        None,
    )
    data = d.to_dict()
    assert data["take_charge_by"] == "2026-11-12T11:00:00+01:00"
    assert data["plan_by"] == "2026-11-13T13:00:00+01:00"
    minor = support_deadlines("quadra-entreprise", criticity="Modérée", opened=OPENED)
    assert minor.formula is None and minor.criticity_label == "Modérée"
    assert "plan_by" not in minor.to_dict()


def test_support_errors() -> None:
    with pytest.raises(UnknownFormulaError):
        support_deadlines("profession-liberale", criticity=1, formula="private", opened=OPENED)
    with pytest.raises(UnknownCriticityError):
        support_deadlines("hr-sprint", criticity="Critique", opened=OPENED)
    with pytest.raises(UnknownCriticityError):
        support_deadlines("hr-sprint", criticity=4, opened=OPENED)
    with pytest.raises(InputError, match="before it is opened"):
        support_deadlines("hr-sprint", criticity=1, opened=OPENED, qualified=OPENED - timedelta(1))
    with pytest.raises(InputError, match="time zone"):
        support_deadlines("hr-sprint", criticity=1, opened=datetime(2026, 11, 10, 16))


NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def request(opened_days_ago: int, taken_after_h: float | None, deadline_h: float) -> SupportRequest:
    opened = NOW - timedelta(days=opened_days_ago)
    taken = None if taken_after_h is None else opened + timedelta(hours=taken_after_h)
    return SupportRequest(opened, taken, opened + timedelta(hours=deadline_h))


def test_compliance_counts_the_last_twelve_months() -> None:
    requests: list[SupportRequest | tuple[datetime, datetime | None, datetime]] = [
        request(10, 2, 8),  # on time
        request(20, 8, 8),  # on time, exactly at the deadline
        request(30, 9, 8),  # late
        request(300, 1, 8),  # on time
        request(400, 20, 8),  # too old: ignored
        request(1, None, 8),  # not taken, deadline passed: late
        (NOW - timedelta(hours=1), None, NOW + timedelta(hours=5)),  # pending
    ]
    result = support_compliance(requests, now=NOW)
    assert (result.on_time, result.late, result.pending) == (3, 2, 1)
    assert result.share_percent == 60 and not result.met
    assert result.since == datetime(2025, 11, 20, 12, tzinfo=UTC)


def test_compliance_target_is_seventy_five_percent() -> None:
    three_of_four = [request(1, 1, 8)] * 3 + [request(2, 9, 8)]
    assert support_compliance(three_of_four, now=NOW).met
    assert not support_compliance([*three_of_four, request(3, 9, 8)], now=NOW).met
    empty = support_compliance([], now=NOW, offering="quadra-expert")
    assert empty.share_percent is None and empty.met
