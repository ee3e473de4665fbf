"""Deadline and cut-off rules of the DSN, against the calendar of France métropolitaine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from dsnlink.deadlines import DeadlineKind, compute_deadlines
from dsnlink.deadlines.service import monthly_deadline
from dsnlink.errors import InputError
from dsnlink.sla.offerings import get_offering

PARIS = ZoneInfo("Europe/Paris")


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_worked_example_of_the_booklet() -> None:
    d = compute_deadlines(nature="01", type="01", month=date(2026, 10, 1), due_day=5)
    assert d.deadline == paris(2026, 11, 5, 12)
    assert d.deadline.tzinfo == PARIS
    assert d.cutoff == utc(2026, 11, 4, 16)
    assert d.kind is DeadlineKind.MONTHLY
    assert "05/11/2026 12:00" in d.rule


def test_month_given_as_text_and_defaults() -> None:
    assert compute_deadlines(month="2026-10", due_day=5) == compute_deadlines(
        nature=1, type=1, month=date(2026, 10, 17), due_day=5, offering="hr-sprint"
    )


@pytest.mark.parametrize(
    ("month", "due_day", "expected", "reason"),
    [
        ("2026-10", 15, date(2026, 11, 16), "Sunday"),
        ("2026-08", 5, date(2026, 9, 7), "Saturday, Sunday"),
        ("2026-07", 15, date(2026, 8, 17), "Aug 15 on a Saturday, then Sunday"),
        ("2024-07", 15, date(2024, 8, 16), "Aug 15 (Assumption) on a Thursday"),
        ("2026-03", 5, date(2026, 4, 7), "Easter Sunday then Easter Monday"),
        ("2016-04", 5, date(2016, 5, 6), "Ascension Thursday"),
        ("2024-04", 20, date(2024, 5, 21), "Whit Monday"),
        ("2026-12", 20, date(2027, 1, 20), "ordinary Wednesday, year change"),
        ("2026-11", 20, date(2026, 12, 21), "Sunday, December"),
        ("2026-09", 20, date(2026, 10, 20), "ordinary Tuesday"),
    ],
)
def test_monthly_deadline_moves_to_next_working_day(
    month: str, due_day: int, expected: date, reason: str
) -> None:
    assert monthly_deadline(month, due_day) == paris(*expected.timetuple()[:3], 12), reason


def test_holiday_cases_really_are_holidays() -> None:
    fr = holidays.France(years=[2016, 2024, 2026])
    assert fr[date(2026, 4, 6)] == "Easter Monday"
    assert fr[date(2016, 5, 5)] == "Ascension Day"
    assert fr[date(2024, 5, 20)] == "Pentecost Monday"
    assert fr[date(2024, 8, 15)] == "Assumption Day"


def test_every_monthly_deadline_is_a_working_day_at_noon_with_twelve_service_hours() -> None:
    service = get_offering("hr-sprint").service_calendar()
    fr = holidays.France(years=range(2026, 2031))
    for year in range(2026, 2031):
        for month in range(1, 13):
            for due_day in (5, 15, 20):
                d = compute_deadlines(month=f"{year}-{month:02d}", due_day=due_day)
                assert d.deadline is not None and d.cutoff is not None
                local = d.deadline.astimezone(PARIS)
                assert (local.hour, local.minute) == (12, 0)
                assert local.weekday() < 5 and local.date() not in fr
                assert local.day - due_day in range(0, 5)
                assert service.working_time_between(d.cutoff, d.deadline) == timedelta(hours=12)


@pytest.mark.parametrize("type_", ["03", "05"])
def test_annule_et_remplace_is_due_at_midnight_on_the_eve(type_: str) -> None:
    d = compute_deadlines(nature="01", type=type_, month="2026-03", due_day=5)
    assert d.kind is DeadlineKind.MONTHLY_CORRECTION
    assert d.deadline == paris(2026, 4, 7, 0, 0)
    # 12 service hours before 2026-04-06 22:00 UTC, all on the 6th (07:00-22:00 UTC is open).
    assert d.cutoff == utc(2026, 4, 6, 10)


@pytest.mark.parametrize(
    ("nature", "event", "deadline", "reason"),
    [
        ("04", date(2026, 11, 2), date(2026, 11, 10), "plain week: 5th working day is Mon 9"),
        ("05", date(2026, 11, 6), date(2026, 11, 17), "Nov 11 skipped"),
        ("07", date(2026, 4, 30), date(2026, 5, 12), "May 1 and May 8 skipped"),
        ("04", date(2026, 5, 12), date(2026, 5, 21), "Ascension (May 14) skipped"),
        ("04", date(2026, 5, 22), date(2026, 6, 2), "Whit Monday (May 25) skipped"),
        ("07", date(2026, 12, 22), date(2026, 12, 31), "Christmas skipped"),
        ("05", date(2026, 11, 7), date(2026, 11, 17), "event on a Saturday"),
        ("04", date(2026, 7, 10), date(2026, 7, 21), "Jul 14 skipped; 5th day is Monday 20"),
    ],
)
def test_signalement_within_five_working_days(
    nature: str, event: date, deadline: date, reason: str
) -> None:
    d = compute_deadlines(nature=nature, type="01", event_date=event)
    assert d.kind is DeadlineKind.SIGNALEMENT
    assert d.deadline == paris(deadline.year, deadline.month, deadline.day), reason
    assert d.cutoff is not None and d.cutoff < d.deadline


@pytest.mark.parametrize(("nature", "type_"), [("04", "03"), ("07", "04"), ("10", "03")])
def test_correcting_a_signalement_has_no_time_limit(nature: str, type_: str) -> None:
    d = compute_deadlines(nature=nature, type=type_, event_date="2026-11-02")
    assert d.kind is DeadlineKind.SIGNALEMENT_CORRECTION
    assert d.deadline is None and d.cutoff is None
    assert "pas de délai" in d.rule


def test_dpae_is_due_at_the_start_of_the_hire_day() -> None:
    d = compute_deadlines(nature="10", event_date="2026-11-02")
    assert d.kind is DeadlineKind.DPAE
    assert d.deadline == paris(2026, 11, 2)


def test_nature_without_deadline() -> None:
    d = compute_deadlines(nature="09", type="01")
    assert d.kind is DeadlineKind.NONE and d.deadline is None and d.cutoff is None


def test_planned_maintenance_pushes_the_cutoff_back() -> None:
    plain = compute_deadlines(month="2026-10", due_day=5)
    maintenance = (utc(2026, 11, 4, 20), utc(2026, 11, 4, 22))
    d = compute_deadlines(month="2026-10", due_day=5, planned_maintenances=[maintenance])
    assert plain.cutoff is not None and d.cutoff == plain.cutoff - timedelta(hours=2)
    assert "maintenances annoncées" in d.rule


class _Maintenance:
    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end


def test_planned_maintenance_objects_with_start_and_end_are_accepted() -> None:
    d = compute_deadlines(
        month="2026-10",
        due_day=5,
        planned_maintenances=[_Maintenance(utc(2026, 11, 5, 7), utc(2026, 11, 5, 11))],
    )
    # The 4 hours of the 5th are lost: 12 hours all come from the 4th (12:00-24:00 UTC).
    assert d.cutoff == utc(2026, 11, 4, 12)


def test_cutoff_across_spring_dst_change() -> None:
    # Hire on Monday 2026-03-30 → deadline 00:00 CEST = Sunday 22:00 UTC. A 12-hour announced
    # maintenance on the DST Sunday leaves 3 service hours that day; the other 9 are taken on
    # Saturday, across the change of 2026-03-29 01:00 UTC.
    d = compute_deadlines(
        nature="10",
        event_date="2026-03-30",
        planned_maintenances=[(utc(2026, 3, 29, 8), utc(2026, 3, 29, 20))],
    )
    assert d.deadline == utc(2026, 3, 29, 22)
    assert d.cutoff == utc(2026, 3, 28, 15)
    assert d.cutoff is not None and d.cutoff.astimezone(PARIS).hour == 16  # CET


def test_cutoff_across_autumn_dst_change() -> None:
    d = compute_deadlines(
        nature="10",
        event_date="2026-10-26",
        planned_maintenances=[(paris(2026, 10, 25, 9), paris(2026, 10, 25, 23))],
    )
    assert d.deadline == utc(2026, 10, 25, 23)
    # Sunday: 22:00-23:00 UTC and 07:00-08:00 UTC; Saturday: 14:00-24:00 UTC.
    assert d.cutoff == utc(2026, 10, 24, 14)
    assert d.cutoff is not None and d.cutoff.astimezone(PARIS).hour == 16  # CEST


def test_cutoff_hours_and_window_come_from_the_offering() -> None:
    hr_sprint = get_offering("hr-sprint")
    assert hr_sprint.dsn_link is not None
    six_hours = hr_sprint.model_copy(
        update={"dsn_link": hr_sprint.dsn_link.model_copy(update={"cutoff_service_hours": 6})}
    )
    d = compute_deadlines(month="2026-10", due_day=5, offering=six_hours)
    # 4 hours on the 5th, then 2 before midnight UTC on the 4th.
    assert d.cutoff == utc(2026, 11, 4, 22)


def test_offering_without_guarantee_has_no_cutoff() -> None:
    d = compute_deadlines(month="2026-10", due_day=5, offering="profession-liberale")
    assert d.deadline == paris(2026, 11, 5, 12)
    assert d.cutoff is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"month": "2026-10"}, "due day"),
        ({"month": "2026-10", "due_day": 10}, "due day"),
        ({"due_day": 5}, "month"),
        ({"month": "10/2026", "due_day": 5}, "YYYY-MM"),
        ({"nature": "03", "month": "2026-10", "due_day": 5}, "unknown nature"),
        ({"type": "06", "month": "2026-10", "due_day": 5}, "unknown type"),
        ({"type": "04", "month": "2026-10", "due_day": 5}, "type 04"),
        ({"nature": "04", "type": "02", "event_date": "2026-11-02"}, "only for nature 01"),
        ({"nature": "04"}, "event date"),
        ({"nature": "04", "event_date": "2026-02-30"}, "YYYY-MM-DD"),
        (
            {
                "month": "2026-10",
                "due_day": 5,
                "planned_maintenances": [(datetime(2026, 11, 4, 20), datetime(2026, 11, 4, 22))],
            },
            "time zone",
        ),
        (
            {
                "month": "2026-10",
                "due_day": 5,
                "planned_maintenances": [(utc(2026, 11, 4, 22), utc(2026, 11, 4, 20))],
            },
            "before it starts",
        ),
    ],
)
def test_bad_input_is_an_input_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        compute_deadlines(**kwargs)  # type: ignore[arg-type]
