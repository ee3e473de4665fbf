"""Monthly availability of an offering: TD = (PRT − Σ TI) / PRT × 100.

PRT is the reference period of the month (07:00–20:00 Paris, Monday–Friday, not holidays, as
the booklet says). TI is the downtime: incidents merged so overlaps count once, cut to the PRT,
without the causes the booklet excludes and, when it says so, without the maintenance window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dsnlink.errors import InputError
from dsnlink.sla.calendar import (
    Interval,
    ensure_aware,
    intersect_intervals,
    merge_intervals,
    subtract_intervals,
    total_duration,
)
from dsnlink.sla.offerings import IncidentCause, Offering, resolve_offering

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Incident:
    """A period during which the production service was unavailable, and why."""

    start: datetime
    end: datetime
    cause: IncidentCause

    def __post_init__(self) -> None:
        ensure_aware(self.start, "incident start")
        ensure_aware(self.end, "incident end")
        if self.end < self.start:
            raise InputError(
                f"incident ends ({self.end.isoformat()}) before it starts "
                f"({self.start.isoformat()})"
            )


@dataclass(frozen=True)
class AvailabilityReport:
    offering_id: str
    month: date
    prt_minutes: float
    downtime_minutes: float
    availability_percent: float
    target_percent: float

    @property
    def met(self) -> bool:
        return self.availability_percent >= self.target_percent

    def to_dict(self) -> dict[str, Any]:
        return {
            "offering": self.offering_id,
            "month": f"{self.month:%Y-%m}",
            "prt_minutes": self.prt_minutes,
            "downtime_minutes": self.downtime_minutes,
            "availability_percent": round(self.availability_percent, 4),
            "target_percent": self.target_percent,
            "met": self.met,
        }


def monthly_availability(
    offering: Offering | str | None = None,
    *,
    month: date,
    incidents: Iterable[Incident],
) -> AvailabilityReport:
    """Availability rate of one calendar month against the offering's target."""
    chosen = resolve_offering(offering)
    first = date(month.year, month.month, 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    reference = chosen.reference_calendar()
    start = datetime.combine(first, time(0), reference.tz).astimezone(UTC)
    end = datetime.combine(following, time(0), reference.tz).astimezone(UTC)

    measured = reference.intervals(start, end)
    prt = total_duration(measured)
    if chosen.availability.maintenance_window_excluded:
        measured = subtract_intervals(
            measured, chosen.maintenance_calendar().intervals(start, end)
        )
    excluded = set(chosen.availability.excluded_causes)
    counted: list[Interval] = merge_intervals(
        (i.start.astimezone(UTC), i.end.astimezone(UTC))
        for i in incidents
        if i.cause not in excluded
    )
    downtime = total_duration(intersect_intervals(counted, measured))
    percent = 100.0 if not prt else (prt - downtime) / prt * 100
    return AvailabilityReport(
        offering_id=chosen.id,
        month=first,
        prt_minutes=prt / MINUTE,
        downtime_minutes=downtime / MINUTE,
        availability_percent=percent,
        target_percent=chosen.availability.target_percent,
    )


def parse_incidents(data: Any) -> list[Incident]:
    """Incidents from JSON data `[{"start", "end", "cause"}]`, times ISO-8601 with offset."""
    if not isinstance(data, list):
        raise InputError("incidents must be a JSON list of {start, end, cause}")
    causes = ", ".join(c.value for c in IncidentCause)
    incidents = []
    for index, item in enumerate(data):
        if not isinstance(item, Mapping) or set(item) != {"start", "end", "cause"}:
            raise InputError(f"incident #{index + 1}: expected exactly start, end and cause")
        try:
            cause = IncidentCause(item["cause"])
        except ValueError:
            raise InputError(
                f"incident #{index + 1}: unknown cause {item['cause']!r} (expected {causes})"
            ) from None
        try:
            start = datetime.fromisoformat(str(item["start"]))
            end = datetime.fromisoformat(str(item["end"]))
        except ValueError:
            raise InputError(f"incident #{index + 1}: start and end must be ISO-8601") from None
        try:
            incidents.append(Incident(start=start, end=end, cause=cause))
        except InputError as exc:
            raise InputError(f"incident #{index + 1}: {exc}") from None
    return incidents
