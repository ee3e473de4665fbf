"""The offerings catalogue: one validated entry per service booklet, read from schemas/offerings/.

The figures of a booklet (maintenance window, availability target, support hours and deadlines,
limits, backups) are data; this module gives them a typed shape and builds the business calendars
the rules walk. Nothing is read at import time; each entry is loaded once, on first use.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from enum import IntEnum, StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dsnlink.resources import schema_path
from dsnlink.sla.calendar import (
    BusinessCalendar,
    HolidayPolicy,
    Interval,
    get_zone,
    parse_hours,
)
from dsnlink.sla.errors import (
    OfferingCatalogueError,
    UnknownCriticityError,
    UnknownFormulaError,
    UnknownOfferingError,
)

DEFAULT_OFFERING_ID = "hr-sprint"
OFFERINGS_DIR = ("offerings",)
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class IncidentCause(StrEnum):
    """Why the service was down; the booklet says which causes do not count as downtime."""

    OUTAGE = "outage"
    PLANNED_MAINTENANCE = "planned_maintenance"
    URGENT_MAINTENANCE = "urgent_maintenance"
    FORCE_MAJEURE = "force_majeure"
    CLIENT_SIDE = "client_side"
    THIRD_PARTY = "third_party"


class Criticity(IntEnum):
    """Anomaly criticity: 1 essential function impossible, 2 workaround exists, 3 anything else."""

    BLOCKING = 1
    MAJOR = 2
    MINOR = 3


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeeklySchedule(_Entry):
    """Wall-clock hours per weekday in one time zone, and what public holidays mean."""

    time_zone: str = "Europe/Paris"
    hours: dict[Weekday, list[str]]
    holidays: HolidayPolicy
    description: str

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        get_zone(value)
        return value

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for hours in value.values():
            for text in hours:
                parse_hours(text)
        return value

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar.from_hours(
            {WEEKDAYS.index(day): hours for day, hours in self.hours.items()},
            time_zone=self.time_zone,
            holidays=self.holidays,
        )


class MaintenanceWindow(WeeklySchedule):
    """When maintenance may happen; `blocking_hours` narrows when it may stop the service."""

    blocking_hours: dict[Weekday, list[str]] | None = None

    @model_validator(mode="after")
    def _blocking_inside_window(self) -> MaintenanceWindow:
        if self.blocking_hours is None:
            return self
        window = {day: [parse_hours(h) for h in hours] for day, hours in self.hours.items()}
        for day, hours in self.blocking_hours.items():
            for text in hours:
                start, end = parse_hours(text)
                if not any(s <= start and end <= e for s, e in window.get(day, [])):
                    raise ValueError(f"blocking hours {text} on {day} are outside the window")
        return self

    def blocking_calendar(self) -> BusinessCalendar:
        hours = self.hours if self.blocking_hours is None else self.blocking_hours
        return BusinessCalendar.from_hours(
            {WEEKDAYS.index(day): h for day, h in hours.items()},
            time_zone=self.time_zone,
            holidays=self.holidays,
        )


class Maintenance(_Entry):
    window: MaintenanceWindow
    planned_notice_hours: int = Field(ge=0)


class Availability(_Entry):
    """Monthly availability: TD = (PRT − Σ TI) / PRT × 100, production only."""

    target_percent: float = Field(gt=0, le=100)
    reference_period: WeeklySchedule
    excluded_causes: list[IncidentCause]
    maintenance_window_excluded: bool = True


class Retention(_Entry):
    days: int | None = Field(default=None, gt=0)
    weeks: int | None = Field(default=None, gt=0)
    months: int | None = Field(default=None, gt=0)
    years: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> Retention:
        if sum(v is not None for v in (self.days, self.weeks, self.months, self.years)) != 1:
            raise ValueError("give exactly one of days, weeks, months, years")
        return self


class BackupTier(_Entry):
    name: str
    frequency: Literal["daily", "weekly", "monthly", "yearly"]
    keep: Retention
    note: str | None = None


class Backups(_Entry):
    tiers: list[BackupTier] = Field(min_length=1)
    copies: int | None = Field(default=None, gt=0)
    locations: int | None = Field(default=None, gt=0)
    rpo_hours: int | None = Field(default=None, gt=0)
    description: str


class Limits(_Entry):
    """Contractual limits; None means the booklet sets none."""

    users: int | None = Field(default=None, gt=0)
    companies: int | None = Field(default=None, gt=0)
    payslips_per_company_per_year: int | None = Field(default=None, gt=0)
    shared_space_gb: float | None = Field(default=None, gt=0)


class TakeCharge(_Entry):
    """Working hours to take a request in charge, by support formula or by criticity."""

    by: Literal["formula", "criticity"]
    working_hours: dict[str, float]
    default_formula: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TakeCharge:
        if any(h <= 0 for h in self.working_hours.values()):
            raise ValueError("take-in-charge hours must be positive")
        if self.by == "criticity" and set(self.working_hours) != {"1", "2", "3"}:
            raise ValueError("take-in-charge by criticity needs hours for '1', '2' and '3'")
        if self.by == "formula" and self.default_formula not in self.working_hours:
            raise ValueError("default_formula must be one of the formulas")
        return self


class QualifiedDeadline(_Entry):
    """What must be delivered after qualification, and within how much working time."""

    action: Literal["corrective_plan", "fix"]
    working_hours: float | None = Field(default=None, gt=0)
    working_days: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _exactly_one(self) -> QualifiedDeadline:
        if (self.working_hours is None) == (self.working_days is None):
            raise ValueError("give exactly one of working_hours, working_days")
        return self


class Support(_Entry):
    calendar: WeeklySchedule
    calendar_note: str | None = None
    take_charge: TakeCharge
    compliance_target_percent: float = Field(gt=0, le=100)
    compliance_window_months: int = Field(gt=0)
    criticity_labels: dict[Criticity, str]
    after_qualification: dict[Criticity, QualifiedDeadline | None]

    @model_validator(mode="after")
    def _all_criticities(self) -> Support:
        for name, mapping in (
            ("criticity_labels", self.criticity_labels),
            ("after_qualification", self.after_qualification),
        ):
            if set(mapping) != set(Criticity):
                raise ValueError(f"{name} must cover criticities 1, 2 and 3")
        return self


class DsnLinkGuarantee(_Entry):
    """A DSN is guaranteed to be sent if it arrives this many service hours before its deadline."""

    cutoff_service_hours: float = Field(gt=0)


class Offering(_Entry):
    """One service booklet ("livret de services")."""

    id: str
    name: str
    time_zone: str = "Europe/Paris"
    maintenance: Maintenance
    availability: Availability
    backups: Backups
    history_retention_years: int | None = Field(default=None, gt=0)
    limits: Limits
    support: Support
    dsn_link: DsnLinkGuarantee | None = None

    def maintenance_calendar(self) -> BusinessCalendar:
        """Open while maintenance is allowed (the window)."""
        return self.maintenance.window.calendar()

    def service_calendar(self, planned_maintenances: Iterable[Interval] = ()) -> BusinessCalendar:
        """Service hours: outside the maintenance window and outside announced maintenance."""
        return self.maintenance_calendar().complement().with_breaks(planned_maintenances)

    def reference_calendar(self) -> BusinessCalendar:
        """The availability reference period (PRT)."""
        return self.availability.reference_period.calendar()

    def support_calendar(self) -> BusinessCalendar:
        return self.support.calendar.calendar()

    def parse_criticity(self, value: str | int) -> Criticity:
        """1/2/3 or one of the offering's labels (case and accents ignored)."""
        text = _fold(str(value))
        for criticity, label in self.support.criticity_labels.items():
            if text in {str(int(criticity)), _fold(label)}:
                return criticity
        labels = ", ".join(
            f"{int(c)}={label}" for c, label in sorted(self.support.criticity_labels.items())
        )
        raise UnknownCriticityError(
            f"unknown criticity {value!r} for offering {self.id} (expected {labels})",
            offering_id=self.id,
            criticity=str(value),
        )

    def take_charge_hours(self, *, formula: str | None, criticity: Criticity) -> float:
        take = self.support.take_charge
        if take.by == "criticity":
            return take.working_hours[str(int(criticity))]
        chosen = formula or take.default_formula
        if chosen not in take.working_hours:
            raise UnknownFormulaError(
                f"offering {self.id} has no support formula {chosen!r} "
                f"(available: {', '.join(sorted(take.working_hours))})",
                offering_id=self.id,
                formula=chosen,
            )
        return take.working_hours[chosen]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _catalogue_dir() -> Path:
    return schema_path(*OFFERINGS_DIR)


def load_offering_file(path: Path) -> Offering:
    """Read and validate one catalogue file; any defect becomes an OfferingCatalogueError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OfferingCatalogueError(f"{path.name}: unreadable: {exc}", path=str(path)) from exc
    try:
        offering = Offering.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}"
            for err in exc.errors()
        )
        raise OfferingCatalogueError(f"{path.name}: invalid offering: {problems}",
                                     path=str(path)) from exc
    if offering.id != path.stem:
        raise OfferingCatalogueError(
            f"{path.name}: id {offering.id!r} does not match the file name", path=str(path)
        )
    return offering


def offering_ids() -> list[str]:
    return sorted(p.stem for p in _catalogue_dir().glob("*.json"))


@cache
def get_offering(offering_id: str) -> Offering:
    """The catalogue entry `offering_id`; UnknownOfferingError if there is none."""
    path = _catalogue_dir() / f"{offering_id}.json"
    if not _ID_RE.match(offering_id) or not path.is_file():
        raise UnknownOfferingError(
            f"unknown offering {offering_id!r} (known: {', '.join(offering_ids())})",
            offering_id=offering_id,
        )
    return load_offering_file(path)


def list_offerings() -> list[Offering]:
    return [get_offering(offering_id) for offering_id in offering_ids()]


def resolve_offering(offering: Offering | str | None) -> Offering:
    """An Offering as given, by id, or the default one (DSN Link) when None."""
    if isinstance(offering, Offering):
        return offering
    return get_offering(offering or DEFAULT_OFFERING_ID)
