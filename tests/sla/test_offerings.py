"""The catalogue: every booklet's figures come out of schemas/offerings/, validated on load."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dsnlink.errors import NotFoundError
from dsnlink.resources import schema_path
from dsnlink.sla.calendar import HolidayPolicy
from dsnlink.sla.errors import (
    OfferingCatalogueError,
    UnknownCriticityError,
    UnknownFormulaError,
    UnknownOfferingError,
)
from dsnlink.sla.offerings import (
    Criticity,
    IncidentCause,
    get_offering,
    list_offerings,
    load_offering_file,
)

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)
IDS = ["cegid-loop", "hr-sprint", "profession-liberale", "quadra-entreprise", "quadra-expert"]


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def test_the_five_booklets_load() -> None:
    assert [o.id for o in list_offerings()] == IDS
    assert get_offering("hr-sprint") is get_offering("hr-sprint")


@pytest.mark.parametrize("bad_id", ["nope", "../hr-sprint", "HR-SPRINT", ""])
def test_unknown_offering(bad_id: str) -> None:
    with pytest.raises(UnknownOfferingError, match="unknown offering") as info:
        get_offering(bad_id)
    assert isinstance(info.value, NotFoundError)
    assert info.value.context["offering_id"] == bad_id


# (id, target %, history years, criticity-2 fix days, take-in-charge hours, labels)
FIGURES = [
    ("hr-sprint", 99.0, 5, 6, {"open": 8, "private": 4}, ["1", "2", "3"]),
    ("cegid-loop", 99.0, None, 6, {"open": 8}, ["1", "2", "3"]),
    ("profession-liberale", 99.0, 5, 14, {"open": 8}, ["1", "2", "3"]),
    ("quadra-expert", 99.5, 3, 6, {"1": 4, "2": 6, "3": 8}, ["Critique", "Élevée", "Modérée"]),
    ("quadra-entreprise", 99.0, 3, 6, {"1": 4, "2": 6, "3": 8}, ["Critique", "Élevée", "Modérée"]),
]


@pytest.mark.parametrize(("oid", "target", "history", "fix_days", "take", "labels"), FIGURES)
def test_booklet_figures(
    oid: str,
    target: float,
    history: int | None,
    fix_days: int,
    take: dict[str, float],
    labels: list[str],
) -> None:
    o = get_offering(oid)
    assert o.availability.target_percent == target
    assert o.history_retention_years == history
    assert o.maintenance.planned_notice_hours == 48
    assert o.support.take_charge.working_hours == take
    assert [o.support.criticity_labels[c] for c in Criticity] == labels
    after = o.support.after_qualification
    plan, fix = after[Criticity.BLOCKING], after[Criticity.MAJOR]
    assert plan is not None and (plan.action, plan.working_hours) == ("corrective_plan", 12)
    assert fix is not None and (fix.action, fix.working_days) == ("fix", fix_days)
    assert after[Criticity.MINOR] is None
    assert o.support.compliance_target_percent == 75
    assert o.support.compliance_window_months == 12
    # Reference period and exclusions are the same in every booklet.
    prt = o.reference_calendar()
    assert prt.working_time_between(paris(2026, 11, 2), paris(2026, 11, 9)) == 5 * 13 * H
    assert prt.working_time_between(paris(2026, 11, 9), paris(2026, 11, 16)) == 4 * 13 * H
    assert set(o.availability.excluded_causes) == set(IncidentCause) - {IncidentCause.OUTAGE}


def test_limits_and_backups() -> None:
    hr = get_offering("hr-sprint")
    assert hr.limits.payslips_per_company_per_year == 9600
    assert hr.limits.users is None and hr.limits.companies is None
    assert [(t.frequency, t.keep.days, t.keep.months) for t in hr.backups.tiers] == [
        ("daily", 7, None),
        ("monthly", None, 2),
    ]
    assert (hr.backups.copies, hr.backups.locations) == (2, 2)
    assert hr.dsn_link is not None and hr.dsn_link.cutoff_service_hours == 12
    for oid in ("quadra-expert", "quadra-entreprise"):
        q = get_offering(oid)
        assert q.limits.shared_space_gb == 5
        assert [(t.frequency, t.keep.days) for t in q.backups.tiers] == [("daily", 45)]
    assert get_offering("cegid-loop").backups.rpo_hours == 24
    pl = get_offering("profession-liberale").backups.tiers
    assert [(t.keep.days, t.keep.months, t.keep.years) for t in pl] == [
        (7, None, None),
        (None, 2, None),
        (None, None, 1),
    ]
    assert [o.id for o in list_offerings() if o.dsn_link] == ["hr-sprint"]


@pytest.mark.parametrize(
    ("oid", "inside", "outside"),
    [
        (
            "hr-sprint",
            [(datetime(2026, 7, 1, 0, tzinfo=UTC), 7)],
            [(datetime(2026, 7, 1, 7, tzinfo=UTC), 1), (paris(2026, 7, 1, 0), 1)],
        ),
        (
            "cegid-loop",
            [(paris(2026, 11, 4, 20), 11), (paris(2026, 11, 7, 9), 8), (paris(2026, 11, 11, 9), 8)],
            [(paris(2026, 11, 4, 19), 2)],
        ),
        (
            "profession-liberale",
            [(paris(2026, 11, 4, 0), 7), (paris(2026, 11, 8, 9), 8)],
            [(paris(2026, 11, 7, 9), 1), (paris(2026, 11, 4, 23), 2)],
        ),
        ("quadra-expert", [(paris(2026, 11, 8, 20), 11)], [(paris(2026, 11, 4, 7), 1)]),
        ("quadra-entreprise", [(paris(2026, 11, 9, 20), 11)], [(paris(2026, 11, 9, 1), 1)]),
    ],
)
def test_maintenance_windows(
    oid: str, inside: list[tuple[datetime, int]], outside: list[tuple[datetime, int]]
) -> None:
    window = get_offering(oid).maintenance_calendar()
    for start, hours in inside:
        assert window.covers(start, start + hours * H), (oid, start)
    for start, hours in outside:
        assert not window.covers(start, start + hours * H), (oid, start)


def test_hr_sprint_window_is_utc_and_others_paris() -> None:
    zones = {o.id: o.maintenance.window.time_zone for o in list_offerings()}
    assert zones.pop("hr-sprint") == "UTC"
    assert set(zones.values()) == {"Europe/Paris"}
    assert get_offering("hr-sprint").maintenance.window.holidays is HolidayPolicy.IGNORE


@pytest.mark.parametrize(
    ("oid", "weekly_hours"),
    [
        ("hr-sprint", 45),
        ("cegid-loop", 45),
        ("profession-liberale", 32),
        ("quadra-expert", 34.5),
        ("quadra-entreprise", 34.5),
    ],
)
def test_support_hours_per_week(oid: str, weekly_hours: float) -> None:
    support = get_offering(oid).support_calendar()
    # A week without holidays, then the week of Nov 11 (a Wednesday).
    assert support.working_time_between(paris(2026, 11, 2), paris(2026, 11, 9)) == (
        weekly_hours * H
    )
    assert support.working_time_between(paris(2026, 11, 9), paris(2026, 11, 16)) < weekly_hours * H


def test_friday_afternoons_differ() -> None:
    pl = get_offering("profession-liberale").support_calendar()
    quadra = get_offering("quadra-expert").support_calendar()
    assert pl.covers(paris(2026, 11, 6, 14, 30), paris(2026, 11, 6, 17))
    assert not pl.covers(paris(2026, 11, 6, 14), paris(2026, 11, 6, 14, 30))
    assert quadra.covers(paris(2026, 11, 6, 14), paris(2026, 11, 6, 17))
    assert not quadra.covers(paris(2026, 11, 6, 17), paris(2026, 11, 6, 17, 30))
    assert quadra.covers(paris(2026, 11, 5, 17), paris(2026, 11, 5, 17, 30))


@pytest.mark.parametrize(
    ("oid", "value", "expected"),
    [
        ("quadra-expert", "Élevée", 2),
        ("quadra-expert", "elevee", 2),
        ("quadra-expert", " CRITIQUE ", 1),
        ("quadra-entreprise", "modérée", 3),
        ("quadra-expert", 3, 3),
        ("hr-sprint", "2", 2),
    ],
)
def test_criticity_labels(oid: str, value: str | int, expected: int) -> None:
    assert get_offering(oid).parse_criticity(value) == expected


def test_unknown_criticity_and_formula() -> None:
    with pytest.raises(UnknownCriticityError, match="1=Critique"):
        get_offering("quadra-expert").parse_criticity("urgent")
    with pytest.raises(UnknownFormulaError, match="available: open"):
        get_offering("cegid-loop").take_charge_hours(formula="private", criticity=Criticity.MAJOR)


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _hr_sprint_data() -> Any:
    return json.loads(schema_path("offerings", "hr-sprint.json").read_text(encoding="utf-8"))


def test_catalogue_errors_name_the_file_and_the_field(tmp_path: Path) -> None:
    data = _hr_sprint_data()
    data["availability"]["target_percent"] = 120
    with pytest.raises(OfferingCatalogueError, match=r"hr-sprint.json: .*availability.target_perc"):
        load_offering_file(_write(tmp_path, "hr-sprint", data))


def test_catalogue_rejects_bad_hours_unknown_fields_and_wrong_ids(tmp_path: Path) -> None:
    data = _hr_sprint_data()
    bad_hours = json.loads(json.dumps(data))
    bad_hours["maintenance"]["window"]["hours"]["mon"] = ["07:00-06:00"]
    with pytest.raises(OfferingCatalogueError, match=r"maintenance.window.hours.*within one day"):
        load_offering_file(_write(tmp_path, "hr-sprint", bad_hours))
    with pytest.raises(OfferingCatalogueError, match="colour: Extra inputs"):
        load_offering_file(_write(tmp_path, "hr-sprint", {**data, "colour": "blue"}))
    with pytest.raises(OfferingCatalogueError, match="does not match the file name"):
        load_offering_file(_write(tmp_path, "other", data))
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(OfferingCatalogueError, match="unreadable"):
        load_offering_file(broken)


def test_catalogue_rejects_blocking_hours_outside_the_window(tmp_path: Path) -> None:
    data = json.loads(schema_path("offerings", "cegid-loop.json").read_text(encoding="utf-8"))
    data["maintenance"]["window"]["blocking_hours"]["mon"] = ["18:00-24:00"]
    with pytest.raises(OfferingCatalogueError, match="outside the window"):
        load_offering_file(_write(tmp_path, "cegid-loop", data))
