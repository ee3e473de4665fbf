"""Business calendars: weekly opening hours in a time zone, French public holidays, one-off breaks.

A calendar answers "N working hours after T", "how much working time between A and B" and "the
N-th working day after T". Opening hours are wall-clock intervals of each *local* day, turned into
UTC instants day by day, so durations are real elapsed time and stay right across DST changes
(a 00:00–24:00 day lasts 23 h in March and 25 h in October in Europe/Paris).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from typing import TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

from dsnlink.errors import InputError

PARIS = ZoneInfo("Europe/Paris")
MINUTES_PER_DAY = 24 * 60
# Longest stretch scanned for an opening before the calendar is declared never open.
_MAX_SCAN_DAYS = 3 * 366

Interval: TypeAlias = tuple[datetime, datetime]
DayHours: TypeAlias = tuple[tuple[int, int], ...]
"""Opening intervals of one local day, in minutes since local midnight (end may be 1440)."""

_HOURS_RE = re.compile(r"^(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})$")


class HolidayPolicy(StrEnum):
    """What a public holiday of France métropolitaine means for a calendar."""

    IGNORE = "ignore"  # holidays follow the weekly schedule like any other day
    CLOSED = "closed"  # no opening at all on a holiday
    OPEN = "open"  # the whole holiday is open (a maintenance window covering holidays)


@cache
def french_holidays(year: int) -> frozenset[date]:
    """Public holidays of France métropolitaine (Alsace-Moselle's extra days not included)."""
    return frozenset(holidays_lib.France(years=year).keys())


def is_public_holiday(day: date) -> bool:
    return day in french_holidays(day.year)


def is_french_working_day(day: date) -> bool:
    """A "jour ouvré": Monday to Friday, not a public holiday of France métropolitaine."""
    return day.weekday() < 5 and not is_public_holiday(day)


def next_french_working_day(day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    while not is_french_working_day(day):
        day += timedelta(days=1)
    return day


def add_french_working_days(day: date, n: int) -> date:
    """The n-th working day after `day` (n ≥ 0; n = 0 gives `day`)."""
    if n < 0:
        raise ValueError("n must be ≥ 0")
    while n:
        day += timedelta(days=1)
        if is_french_working_day(day):
            n -= 1
    return day


def parse_hours(text: str) -> tuple[int, int]:
    """"09:00-12:30" → (540, 750); "24:00" is allowed as an end."""
    match = _HOURS_RE.match(text.strip())
    if not match:
        raise ValueError(f"opening hours must read HH:MM-HH:MM, got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or not 0 <= start < end <= MINUTES_PER_DAY:
        raise ValueError(f"opening hours must be a non-empty range within one day, got {text!r}")
    return start, end


def format_hours(interval: tuple[int, int]) -> str:
    (sh, sm), (eh, em) = divmod(interval[0], 60), divmod(interval[1], 60)
    return f"{sh:02d}:{sm:02d}-{eh:02d}:{em:02d}"


def ensure_aware(moment: datetime, name: str = "datetime") -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(f"{name} must carry a time zone (got naive {moment.isoformat()})")
    return moment


def get_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"unknown time zone {name!r}") from exc


def _normalise_day(intervals: Iterable[tuple[int, int]]) -> DayHours:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise ValueError(f"bad opening interval {start}-{end} (minutes since midnight)")
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted union of intervals; touching intervals are joined, empty ones dropped."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect_intervals(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """Intersection of two unions of intervals, as a sorted merged list."""
    left, right = merge_intervals(a), merge_intervals(b)
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start, end = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if end > start:
            result.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract_intervals(a: Iterable[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """The union `a` minus the union `holes`, as a sorted merged list."""
    merged_holes = merge_intervals(holes)
    return [piece for interval in merge_intervals(a) for piece in _subtract(interval, merged_holes)]


def total_duration(intervals: Iterable[Interval]) -> timedelta:
    return sum(
        (e.astimezone(UTC) - s.astimezone(UTC) for s, e in merge_intervals(intervals)),
        timedelta(0),
    )


def _subtract(interval: Interval, holes: Sequence[Interval]) -> list[Interval]:
    """`interval` minus the sorted, merged `holes`."""
    pieces: list[Interval] = []
    start, end = interval
    for hole_start, hole_end in holes:
        if hole_end <= start:
            continue
        if hole_start >= end:
            break
        if hole_start > start:
            pieces.append((start, hole_start))
        start = max(start, hole_end)
        if start >= end:
            return pieces
    pieces.append((start, end))
    return pieces


class BusinessCalendar:
    """Opening hours per weekday in one time zone, with a holiday policy and one-off breaks."""

    def __init__(
        self,
        weekly: Mapping[int, Iterable[tuple[int, int]]],
        *,
        time_zone: str | ZoneInfo = PARIS,
        holidays: HolidayPolicy = HolidayPolicy.CLOSED,
        breaks: Iterable[Interval] = (),
    ) -> None:
        if set(weekly) - set(range(7)):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        self.weekly: dict[int, DayHours] = {
            wd: _normalise_day(weekly.get(wd, ())) for wd in range(7)
        }
        self.tz = time_zone if isinstance(time_zone, ZoneInfo) else get_zone(time_zone)
        self.holidays = HolidayPolicy(holidays)
        for start, end in breaks:
            ensure_aware(start, "break start")
            ensure_aware(end, "break end")
        self.breaks: tuple[Interval, ...] = tuple(
            (s.astimezone(UTC), e.astimezone(UTC)) for s, e in merge_intervals(breaks)
        )
        self._never_open = (
            not any(self.weekly.values()) and self.holidays is not HolidayPolicy.OPEN
        )

    @classmethod
    def from_hours(
        cls,
        weekly: Mapping[int, Iterable[str]],
        *,
        time_zone: str | ZoneInfo = PARIS,
        holidays: HolidayPolicy = HolidayPolicy.CLOSED,
    ) -> BusinessCalendar:
        """Build from "HH:MM-HH:MM" strings per weekday (0 = Monday)."""
        return cls(
            {wd: [parse_hours(h) for h in hours] for wd, hours in weekly.items()},
            time_zone=time_zone,
            holidays=holidays,
        )

    def with_breaks(self, breaks: Iterable[Interval]) -> BusinessCalendar:
        """The same calendar with more one-off closures (e.g. announced planned maintenance)."""
        return BusinessCalendar(
            self.weekly, time_zone=self.tz, holidays=self.holidays, breaks=[*self.breaks, *breaks]
        )

    def complement(self) -> BusinessCalendar:
        """Open exactly when this calendar is closed (e.g. service hours = not the window)."""
        if self.breaks:
            raise ValueError("the complement of a calendar with one-off breaks is not defined")
        flipped = {
            HolidayPolicy.IGNORE: HolidayPolicy.IGNORE,
            HolidayPolicy.CLOSED: HolidayPolicy.OPEN,
            HolidayPolicy.OPEN: HolidayPolicy.CLOSED,
        }[self.holidays]
        weekly: dict[int, list[tuple[int, int]]] = {}
        for wd, hours in self.weekly.items():
            gaps, cursor = [], 0
            for start, end in hours:
                if start > cursor:
                    gaps.append((cursor, start))
                cursor = end
            if cursor < MINUTES_PER_DAY:
                gaps.append((cursor, MINUTES_PER_DAY))
            weekly[wd] = gaps
        return BusinessCalendar(weekly, time_zone=self.tz, holidays=flipped)

    # -- days ---------------------------------------------------------------------------------

    def day_hours(self, day: date) -> DayHours:
        """Wall-clock opening intervals of a local day, before one-off breaks."""
        if self.holidays is not HolidayPolicy.IGNORE and is_public_holiday(day):
            return ((0, MINUTES_PER_DAY),) if self.holidays is HolidayPolicy.OPEN else ()
        return self.weekly[day.weekday()]

    def is_working_day(self, day: date) -> bool:
        """A day with opening hours in the weekly schedule and (unless ignored) not a holiday."""
        return bool(self.day_hours(day))

    def _instant(self, day: date, minute: int) -> datetime:
        # A wall-clock time skipped by DST resolves with the offset in force before the change.
        days, minute = divmod(minute, MINUTES_PER_DAY)
        local = datetime.combine(day + timedelta(days=days), time(*divmod(minute, 60)), self.tz)
        return local.astimezone(UTC)

    def intervals_on(self, day: date) -> list[Interval]:
        """Open UTC intervals of a local day, one-off breaks removed."""
        result: list[Interval] = []
        for start, end in self.day_hours(day):
            interval = (self._instant(day, start), self._instant(day, end))
            if interval[1] > interval[0]:
                result.extend(_subtract(interval, self.breaks))
        return result

    def _forward(self, moment: datetime) -> Iterator[Interval]:
        day = moment.astimezone(self.tz).date()
        idle = 0
        while True:
            found = False
            for start, end in self.intervals_on(day):
                if end > moment:
                    found = True
                    yield max(start, moment), end
            idle = 0 if found else idle + 1
            if idle > _MAX_SCAN_DAYS:
                raise InputError("the calendar has no opening time ahead")
            day += timedelta(days=1)

    def _backward(self, moment: datetime) -> Iterator[Interval]:
        day = moment.astimezone(self.tz).date()
        idle = 0
        while True:
            found = False
            for start, end in reversed(self.intervals_on(day)):
                if start < moment:
                    found = True
                    yield start, min(end, moment)
            idle = 0 if found else idle + 1
            if idle > _MAX_SCAN_DAYS:
                raise InputError("the calendar has no opening time before that moment")
            day -= timedelta(days=1)

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """Open UTC intervals within [start, end)."""
        # Aware datetimes sharing a tzinfo subtract as wall-clock times: compute in UTC only.
        start = ensure_aware(start, "start").astimezone(UTC)
        end = ensure_aware(end, "end").astimezone(UTC)
        result: list[Interval] = []
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            for s, e in self.intervals_on(day):
                s, e = max(s, start), min(e, end)
                if e > s:
                    result.append((s, e))
            day += timedelta(days=1)
        return merge_intervals(result)

    # -- arithmetic ---------------------------------------------------------------------------

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of opening time has elapsed from `start`.

        A negative duration walks backwards (the cut-off before a deadline). The walk stops as
        soon as the duration is used up, so the result may be the end of an opening interval.
        """
        ensure_aware(start, "start")
        if not duration:
            return start
        if self._never_open:
            raise InputError("the calendar is never open")
        moment = start.astimezone(UTC)
        if duration > timedelta(0):
            remaining = duration
            for s, e in self._forward(moment):
                if remaining <= e - s:
                    return (s + remaining).astimezone(self.tz)
                remaining -= e - s
        else:
            remaining = -duration
            for s, e in self._backward(moment):
                if remaining <= e - s:
                    return (e - remaining).astimezone(self.tz)
                remaining -= e - s
        raise AssertionError("unreachable: the interval walks never end")  # pragma: no cover

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Opening time in [a, b); negative when b is before a."""
        ensure_aware(a, "a")
        ensure_aware(b, "b")
        if b < a:
            return -self.working_time_between(b, a)
        return sum((e - s for s, e in self.intervals(a, b)), timedelta(0))

    def covers(self, start: datetime, end: datetime) -> bool:
        """Whether [start, end) lies entirely inside opening time."""
        return self.working_time_between(start, end) == end - start

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The same local time on the n-th following working day (n < 0: preceding)."""
        ensure_aware(start, "start")
        if n and not any(self.weekly.values()) and self.holidays is not HolidayPolicy.OPEN:
            raise InputError("the calendar has no working day")
        local = start.astimezone(self.tz)
        day, step = local.date(), (1 if n >= 0 else -1)
        remaining = abs(n)
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        result = datetime.combine(day, local.timetz().replace(fold=local.fold))
        # Round-trip through UTC so a wall time skipped by DST becomes a real instant.
        return result.astimezone(UTC).astimezone(self.tz)
