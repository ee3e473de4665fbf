"""Business calendars: explicit cases (holidays, DST, breaks) and Hypothesis properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsnlink.errors import InputError
from dsnlink.sla.calendar import (
    BusinessCalendar,
    HolidayPolicy,
    add_french_working_days,
    is_french_working_day,
    parse_hours,
)
from dsnlink.sla.offerings import get_offering

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


ALL_DAY = BusinessCalendar({wd: [(0, 1440)] for wd in range(7)}, holidays=HolidayPolicy.IGNORE)
OFFICE = BusinessCalendar.from_hours({wd: ["09:00-18:00"] for wd in range(5)})
PL_SUPPORT = get_offering("profession-liberale").support_calendar()
HR_SERVICE = get_offering("hr-sprint").service_calendar()
QUADRA_WINDOW = get_offering("quadra-entreprise").maintenance_calendar()


def test_french_working_days() -> None:
    for holiday in [
        date(2026, 1, 1),
        date(2026, 4, 6),
        date(2026, 5, 1),
        date(2026, 5, 8),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 7, 14),
        date(2026, 11, 11),
        date(2026, 12, 25),
    ]:
        assert not is_french_working_day(holiday), holiday
    assert is_french_working_day(date(2026, 4, 3))  # Good Friday is worked outside Alsace-Moselle
    assert is_french_working_day(date(2026, 12, 26)) is False  # a Saturday
    assert add_french_working_days(date(2026, 4, 30), 5) == date(2026, 5, 11)


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25)])
def test_a_local_day_lasts_its_real_length_on_dst_changes(day: date, hours: int) -> None:
    start = paris(day.year, day.month, day.day)
    end = paris(day.year, day.month, day.day + 1)
    # Both ends in Paris time: the calendar must not subtract them as wall-clock times.
    assert ALL_DAY.intervals(start, end) == [(start, end)]
    assert ALL_DAY.working_time_between(start, end) == hours * H
    assert ALL_DAY.add_working_time(start, hours * H) == end


def test_working_hours_skip_nights_weekends_and_lunch() -> None:
    # Friday 2026-11-13 16:00: 1 h Friday (until 17:00), Monday 3.5 h + 3 h, then 0.5 h Tuesday.
    assert PL_SUPPORT.add_working_time(paris(2026, 11, 13, 16), 8 * H) == paris(2026, 11, 17, 9, 30)


def test_working_hours_skip_a_holiday() -> None:
    # Tuesday 2026-11-10 17:00 + 2 h: Wednesday 11th is Armistice Day.
    assert OFFICE.add_working_time(paris(2026, 11, 10, 17), 2 * H) == paris(2026, 11, 12, 10)
    assert OFFICE.working_time_between(paris(2026, 11, 10), paris(2026, 11, 13)) == 18 * H


def test_walking_backwards_and_stopping_at_interval_ends() -> None:
    assert OFFICE.add_working_time(paris(2026, 11, 12, 10), -2 * H) == paris(2026, 11, 10, 17)
    assert OFFICE.add_working_time(paris(2026, 11, 12, 9), 9 * H) == paris(2026, 11, 12, 18)
    assert OFFICE.add_working_time(paris(2026, 11, 12, 20), timedelta(0)) == paris(2026, 11, 12, 20)


def test_working_days_keep_the_local_time_across_dst_and_holidays() -> None:
    friday = paris(2026, 3, 27, 10)  # CET; Monday 30 is CEST
    assert OFFICE.add_working_days(friday, 1) == paris(2026, 3, 30, 10)
    assert OFFICE.add_working_days(friday, 1).astimezone(UTC) - friday.astimezone(UTC) == 71 * H
    # Whit Monday 2026-05-25 and Ascension 2026-05-14 are skipped.
    assert OFFICE.add_working_days(paris(2026, 5, 22, 15), 6) == paris(2026, 6, 2, 15)
    assert OFFICE.add_working_days(paris(2026, 5, 13, 15), 1) == paris(2026, 5, 15, 15)
    assert OFFICE.add_working_days(paris(2026, 6, 1, 15), -6) == paris(2026, 5, 21, 15)


def test_breaks_are_closed_time() -> None:
    with_break = OFFICE.with_breaks([(paris(2026, 11, 12, 10), paris(2026, 11, 12, 12))])
    assert with_break.working_time_between(paris(2026, 11, 12), paris(2026, 11, 13)) == 7 * H
    assert with_break.add_working_time(paris(2026, 11, 12, 9), 2 * H) == paris(2026, 11, 12, 13)


def test_service_hours_are_the_complement_of_the_utc_window() -> None:
    assert HR_SERVICE.tz == ZoneInfo("UTC")
    day = HR_SERVICE.intervals(utc(2026, 11, 4), utc(2026, 11, 5))
    assert day == [(utc(2026, 11, 4, 7), utc(2026, 11, 5))]
    # Holidays do not matter to DSN Link service hours.
    assert HR_SERVICE.working_time_between(utc(2026, 12, 25), utc(2026, 12, 26)) == 17 * H


def test_window_with_holidays_open_and_monday_morning_not_in_window() -> None:
    assert QUADRA_WINDOW.covers(paris(2026, 11, 11, 9), paris(2026, 11, 11, 17))  # Nov 11
    assert QUADRA_WINDOW.covers(paris(2026, 11, 14, 9), paris(2026, 11, 14, 17))  # Saturday
    assert not QUADRA_WINDOW.covers(paris(2026, 11, 16, 1), paris(2026, 11, 16, 2))  # Monday
    assert QUADRA_WINDOW.covers(paris(2026, 11, 17, 1), paris(2026, 11, 17, 2))  # Tuesday


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InputError, match="time zone"):
        OFFICE.add_working_time(datetime(2026, 11, 12, 9), H)
    with pytest.raises(InputError, match="time zone"):
        OFFICE.working_time_between(paris(2026, 11, 12), datetime(2026, 11, 13))


def test_never_open_calendar_is_an_error() -> None:
    with pytest.raises(InputError, match="never open"):
        BusinessCalendar({}).add_working_time(paris(2026, 1, 1), H)


@pytest.mark.parametrize(
    "text", ["9:00-12:00", "12:00-09:00", "10:00-10:00", "09:60-10:00", "00:00-24:01"]
)
def test_bad_opening_hours(text: str) -> None:
    with pytest.raises(ValueError):
        parse_hours(text)


# -- properties ------------------------------------------------------------------------------

CALENDARS = st.sampled_from([OFFICE, PL_SUPPORT, HR_SERVICE, QUADRA_WINDOW, ALL_DAY])
MOMENTS = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.astimezone(PARIS))
DURATIONS = st.integers(min_value=0, max_value=200 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=150, deadline=None)
@given(CALENDARS, MOMENTS, MOMENTS, MOMENTS)
def test_splitting_an_interval_keeps_the_total(
    cal: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, m, b = sorted([a, b, c])
    total = cal.working_time_between(a, b)
    assert cal.working_time_between(a, m) + cal.working_time_between(m, b) == total
    assert timedelta(0) <= total <= b.astimezone(UTC) - a.astimezone(UTC)
    assert cal.working_time_between(b, a) == -total


@settings(max_examples=150, deadline=None)
@given(CALENDARS, MOMENTS, DURATIONS)
def test_add_then_measure_gives_the_duration_back(
    cal: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    end = cal.add_working_time(start, duration)
    assert end >= start
    assert cal.working_time_between(start, end) == duration
    before = cal.add_working_time(start, -duration)
    assert before <= start
    assert cal.working_time_between(before, start) == duration


@settings(max_examples=150, deadline=None)
@given(CALENDARS, MOMENTS, MOMENTS, DURATIONS, DURATIONS)
def test_adding_is_monotonic(
    cal: BusinessCalendar, a: datetime, b: datetime, d1: timedelta, d2: timedelta
) -> None:
    a, b = sorted([a, b])
    d1, d2 = sorted([d1, d2])
    assert cal.add_working_time(a, d1) <= cal.add_working_time(b, d1)
    assert cal.add_working_time(a, d1) <= cal.add_working_time(a, d2)
    assert cal.add_working_time(b, -d1) >= cal.add_working_time(b, -d2)


@settings(max_examples=100, deadline=None)
@given(MOMENTS, st.integers(min_value=0, max_value=30))
def test_working_days_land_on_working_days_at_the_same_local_time(start: datetime, n: int) -> None:
    end = OFFICE.add_working_days(start, n)
    assert end >= start
    if n:
        assert is_french_working_day(end.date())
    assert end.astimezone(PARIS).time() == start.astimezone(PARIS).time() or n == 0
