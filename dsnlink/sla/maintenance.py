"""Whether a maintenance may be scheduled: planned ones only in the window, announced in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from dsnlink.sla.calendar import ensure_aware
from dsnlink.sla.errors import MaintenanceRefusedError
from dsnlink.sla.offerings import Offering, resolve_offering


class MaintenanceKind(StrEnum):
    PLANNED = "planned"
    URGENT = "urgent"


class RefusalReason(StrEnum):
    EMPTY = "empty"
    NOTICE_TOO_SHORT = "notice_too_short"
    OUTSIDE_WINDOW = "outside_window"


def validate_maintenance(
    offering: Offering | str | None = None,
    *,
    start: datetime,
    end: datetime,
    announced_at: datetime,
    kind: MaintenanceKind = MaintenanceKind.PLANNED,
    blocking: bool = True,
) -> None:
    """Accept the maintenance or raise MaintenanceRefusedError with a `reason`.

    Urgent maintenance may happen at any time. Planned maintenance must be announced at least
    the offering's notice (48 h) before it starts and lie entirely inside the window; a blocking
    one inside the part of the window where blocking work is allowed (e.g. from 22:00).
    """
    chosen = resolve_offering(offering)
    # Same-tzinfo datetimes subtract as wall-clock times; the notice is real elapsed time.
    start = ensure_aware(start, "start").astimezone(UTC)
    end = ensure_aware(end, "end").astimezone(UTC)
    announced_at = ensure_aware(announced_at, "announced_at").astimezone(UTC)
    context = {"offering_id": chosen.id, "start": start, "end": end}
    if end <= start:
        raise MaintenanceRefusedError(
            "a maintenance must end after it starts", reason=RefusalReason.EMPTY, **context
        )
    if MaintenanceKind(kind) is MaintenanceKind.URGENT:
        return
    notice = timedelta(hours=chosen.maintenance.planned_notice_hours)
    if start - announced_at < notice:
        raise MaintenanceRefusedError(
            f"planned maintenance must be announced at least "
            f"{chosen.maintenance.planned_notice_hours} h before it starts (announced "
            f"{(start - announced_at) / timedelta(hours=1):.1f} h before)",
            reason=RefusalReason.NOTICE_TOO_SHORT,
            **context,
        )
    window = chosen.maintenance.window
    calendar = window.blocking_calendar() if blocking else window.calendar()
    if not calendar.covers(start, end):
        allowed = "blocking maintenance window" if blocking else "maintenance window"
        raise MaintenanceRefusedError(
            f"planned maintenance must lie inside the {allowed} of {chosen.id}: "
            f"{window.description}",
            reason=RefusalReason.OUTSIDE_WINDOW,
            **context,
        )
