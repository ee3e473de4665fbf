"""Planned maintenance only inside the window, announced ≥ 48 h ahead; urgent at any time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dsnlink.errors import InputError
from dsnlink.sla.errors import MaintenanceRefusedError
from dsnlink.sla.maintenance import MaintenanceKind, RefusalReason, validate_maintenance

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def refusal(
    oid: str,
    start: datetime,
    hours: float,
    *,
    announced_at: datetime | None = None,
    kind: MaintenanceKind = MaintenanceKind.PLANNED,
    blocking: bool = True,
) -> RefusalReason | None:
    try:
        validate_maintenance(
            oid,
            start=start,
            end=start + hours * H,
            announced_at=start - 72 * H if announced_at is None else announced_at,
            kind=kind,
            blocking=blocking,
        )
    except MaintenanceRefusedError as exc:
        assert isinstance(exc, InputError)
        return RefusalReason(exc.context["reason"])
    return None


def test_hr_sprint_window_and_notice() -> None:
    start = utc(2026, 11, 20, 0)
    assert refusal("hr-sprint", start, 7) is None
    assert refusal("hr-sprint", start, 7, announced_at=start - 48 * H) is None
    assert refusal("hr-sprint", start, 7, announced_at=start - 47 * H) == "notice_too_short"
    assert refusal("hr-sprint", start, 8) == "outside_window"
    assert refusal("hr-sprint", paris(2026, 11, 20, 0), 1) == "outside_window"  # 23:00 UTC
    assert refusal("hr-sprint", start, 0) == "empty"


def test_urgent_maintenance_any_time() -> None:
    start = utc(2026, 11, 20, 12)
    assert refusal("hr-sprint", start, 2, announced_at=start, kind=MaintenanceKind.URGENT) is None
    assert refusal("hr-sprint", start, 2, announced_at=start) == "notice_too_short"


def test_blocking_work_only_from_22_00() -> None:
    assert refusal("cegid-loop", paris(2026, 11, 4, 21), 2) == "outside_window"
    assert refusal("cegid-loop", paris(2026, 11, 4, 21), 2, blocking=False) is None
    assert refusal("cegid-loop", paris(2026, 11, 4, 22), 8) is None  # across midnight
    assert refusal("cegid-loop", paris(2026, 11, 7, 9), 8) is None  # Saturday
    assert refusal("cegid-loop", paris(2026, 11, 11, 9), 8) is None  # Armistice Day
    assert refusal("cegid-loop", paris(2026, 11, 12, 9), 8) == "outside_window"  # Thursday
    assert refusal("quadra-expert", paris(2026, 11, 9, 1), 1) is None  # Sunday night
    assert refusal("quadra-entreprise", paris(2026, 11, 9, 1), 1) == "outside_window"  # Monday
    assert refusal("quadra-entreprise", paris(2026, 11, 10, 1), 1) is None  # Tuesday


def test_profession_liberale_sundays_not_saturdays() -> None:
    assert refusal("profession-liberale", paris(2026, 11, 8, 10), 5) is None
    assert refusal("profession-liberale", paris(2026, 11, 7, 10), 5) == "outside_window"
    assert refusal("profession-liberale", paris(2026, 11, 7, 0), 7) is None


def test_notice_is_real_time_across_dst() -> None:
    start = paris(2026, 3, 30, 3)  # CEST
    # 48 hours on the wall clock, but only 47 real hours: too short.
    assert refusal("profession-liberale", start, 2, announced_at=paris(2026, 3, 28, 3)) == (
        "notice_too_short"
    )
    assert refusal("profession-liberale", start, 2, announced_at=paris(2026, 3, 28, 2)) is None


def test_refusal_message_is_clear() -> None:
    with pytest.raises(MaintenanceRefusedError, match="inside the blocking maintenance window"):
        validate_maintenance(
            "hr-sprint",
            start=utc(2026, 11, 20, 8),
            end=utc(2026, 11, 20, 9),
            announced_at=utc(2026, 11, 1),
        )
    with pytest.raises(MaintenanceRefusedError, match=r"at least 48 h .*announced 24.0 h"):
        validate_maintenance(
            "hr-sprint",
            start=utc(2026, 11, 20, 1),
            end=utc(2026, 11, 20, 2),
            announced_at=utc(2026, 11, 19, 1),
        )
