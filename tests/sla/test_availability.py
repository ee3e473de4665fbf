"""Monthly availability: TD = (PRT − Σ TI) / PRT × 100 with the booklet's exclusions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dsnlink.errors import InputError
from dsnlink.sla.availability import Incident, monthly_availability, parse_incidents
from dsnlink.sla.offerings import IncidentCause

PARIS = ZoneInfo("Europe/Paris")
NOV = date(2026, 11, 1)
NOV_PRT = 20 * 13 * 60  # 21 weekdays minus Armistice Day, 13 h each


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def outage(start: datetime, end: datetime, cause: str = "outage") -> Incident:
    return Incident(start=start, end=end, cause=IncidentCause(cause))


def test_no_incident_is_full_availability() -> None:
    report = monthly_availability("hr-sprint", month=NOV, incidents=[])
    assert report.prt_minutes == NOV_PRT
    assert (report.downtime_minutes, report.availability_percent, report.met) == (0, 100, True)


def test_prt_is_thirteen_real_hours_per_working_day_across_dst() -> None:
    # March 2026: 22 weekdays, no holiday, DST change on Sunday 29.
    assert monthly_availability(month=date(2026, 3, 1), incidents=[]).prt_minutes == 22 * 780
    # October 2026: 22 weekdays, DST change on Sunday 25.
    assert monthly_availability(month=date(2026, 10, 1), incidents=[]).prt_minutes == 22 * 780
    # May 2026: 21 weekdays minus May 1, May 8, Ascension (14), Whit Monday (25).
    assert monthly_availability(month=date(2026, 5, 1), incidents=[]).prt_minutes == 17 * 780


def test_overlaps_count_once_and_only_inside_the_prt() -> None:
    incidents = [
        outage(paris(2026, 11, 4, 10), paris(2026, 11, 4, 12)),
        outage(paris(2026, 11, 4, 11), paris(2026, 11, 4, 13)),  # overlaps: +1 h
        outage(paris(2026, 11, 4, 19), paris(2026, 11, 4, 23)),  # 1 h inside the PRT
        outage(paris(2026, 11, 7, 9), paris(2026, 11, 7, 18)),  # Saturday
        outage(paris(2026, 11, 11, 9), paris(2026, 11, 11, 18)),  # Armistice Day
        outage(paris(2026, 10, 30, 19), paris(2026, 11, 2, 9)),  # Monday 2nd 08:00-09:00
    ]
    report = monthly_availability("hr-sprint", month=NOV, incidents=incidents)
    assert report.downtime_minutes == 5 * 60
    assert report.availability_percent == pytest.approx((NOV_PRT - 300) / NOV_PRT * 100)


@pytest.mark.parametrize(
    "cause",
    ["planned_maintenance", "urgent_maintenance", "force_majeure", "client_side", "third_party"],
)
def test_excluded_causes_do_not_count(cause: str) -> None:
    incidents = [outage(paris(2026, 11, 4, 10), paris(2026, 11, 4, 12), cause)]
    report = monthly_availability("hr-sprint", month=NOV, incidents=incidents)
    assert report.downtime_minutes == 0


def test_the_maintenance_window_is_not_downtime() -> None:
    # HR Sprint's window ends at 07:00 UTC: 08:00 Paris in winter, 09:00 in summer.
    winter = [outage(paris(2026, 11, 4, 7), paris(2026, 11, 4, 9))]
    assert monthly_availability(month=NOV, incidents=winter).downtime_minutes == 60
    summer = [outage(paris(2026, 6, 3, 7), paris(2026, 6, 3, 9))]
    assert monthly_availability(month=date(2026, 6, 1), incidents=summer).downtime_minutes == 0
    # Cegid's window starts at 20:00 Paris: the PRT ends then, so 19:00-21:00 counts 1 h.
    evening = [outage(paris(2026, 11, 4, 19), paris(2026, 11, 4, 21))]
    assert monthly_availability("cegid-loop", month=NOV, incidents=evening).downtime_minutes == 60


def test_target_boundary_per_offering() -> None:
    # 0.5 % of 15,600 minutes is 78 minutes.
    def report(offering: str, minutes: int) -> bool:
        start = paris(2026, 11, 4, 10)
        incidents = [outage(start, start + timedelta(minutes=minutes))]
        return monthly_availability(offering, month=NOV, incidents=incidents).met

    assert report("quadra-expert", 78) and not report("quadra-expert", 79)
    assert report("quadra-entreprise", 156) and not report("quadra-entreprise", 157)
    assert report("hr-sprint", 156) and not report("hr-sprint", 157)


def test_report_as_dict() -> None:
    incidents = [outage(paris(2026, 11, 4, 10), paris(2026, 11, 4, 12, 30))]
    data = monthly_availability("quadra-expert", month=NOV, incidents=incidents).to_dict()
    assert data == {
        "offering": "quadra-expert",
        "month": "2026-11",
        "prt_minutes": NOV_PRT,
        "downtime_minutes": 150,
        "availability_percent": round((NOV_PRT - 150) / NOV_PRT * 100, 4),
        "target_percent": 99.5,
        "met": False,
    }


def test_parse_incidents() -> None:
    [incident] = parse_incidents(
        [{"start": "2026-11-04T09:00:00Z", "end": "2026-11-04T10:00:00+01:00", "cause": "outage"}]
    )
    assert incident.start == datetime(2026, 11, 4, 9, tzinfo=UTC)
    assert incident.cause is IncidentCause.OUTAGE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"start": "x"}, "JSON list"),
        ([{"start": "2026-11-04T09:00Z", "end": "2026-11-04T10:00Z"}], "exactly start, end"),
        ([{"start": "2026-11-04T09:00Z", "end": "2026-11-04T10:00Z", "cause": "x"}], "cause"),
        ([{"start": "yesterday", "end": "2026-11-04T10:00Z", "cause": "outage"}], "ISO-8601"),
        ([{"start": "2026-11-04T09:00", "end": "2026-11-04T10:00", "cause": "outage"}], "zone"),
        ([{"start": "2026-11-04T11:00Z", "end": "2026-11-04T10:00Z", "cause": "outage"}], "before"),
    ],
)
def test_bad_incidents(data: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_incidents(data)
