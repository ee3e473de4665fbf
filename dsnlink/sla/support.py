"""Support commitments: take-in-charge deadline, deadlines after qualification, compliance.

- Take in charge within N working hours of the offering's support calendar; N depends on the
  formula (Open / Private) or, for Quadra, on the criticity.
- Once qualified: criticity 1 → a corrective plan within N working hours; criticity 2 → a fix or
  workaround within N working days (same local time on the N-th following working day);
  criticity 3 → no deadline.
- Compliance: share of requests taken in charge within their deadline over the last 12 months,
  against a 75 % target. A request not yet taken in charge counts as late once its deadline has
  passed and is left out while it still may be on time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from dsnlink.errors import InputError
from dsnlink.sla.calendar import ensure_aware
from dsnlink.sla.offerings import Criticity, Offering, resolve_offering


@dataclass(frozen=True)
class SupportDeadlines:
    offering_id: str
    criticity: Criticity
    criticity_label: str
    formula: str | None
    opened: datetime
    take_charge_by: datetime
    qualified: datetime | None = None
    plan_by: datetime | None = None
    fix_by: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "offering": self.offering_id,
            "criticity": int(self.criticity),
            "criticity_label": self.criticity_label,
            "formula": self.formula,
            "opened": self.opened.isoformat(),
            "take_charge_by": self.take_charge_by.isoformat(),
        }
        if self.qualified is not None:
            result["qualified"] = self.qualified.isoformat()
            result["plan_by"] = self.plan_by.isoformat() if self.plan_by else None
            result["fix_by"] = self.fix_by.isoformat() if self.fix_by else None
        return result


def take_charge_deadline(
    offering: Offering | str | None = None,
    *,
    opened: datetime,
    criticity: Criticity | str | int,
    formula: str | None = None,
) -> datetime:
    """When a request opened at `opened` must have been taken in charge."""
    chosen = resolve_offering(offering)
    level = chosen.parse_criticity(criticity)
    hours = chosen.take_charge_hours(formula=formula, criticity=level)
    return chosen.support_calendar().add_working_time(
        ensure_aware(opened, "opened"), timedelta(hours=hours)
    )


def qualified_deadline(
    offering: Offering | str | None = None,
    *,
    qualified: datetime,
    criticity: Criticity | str | int,
) -> tuple[Literal["corrective_plan", "fix"], datetime] | None:
    """What is due after qualification and by when; None for criticity 3."""
    chosen = resolve_offering(offering)
    rule = chosen.support.after_qualification[chosen.parse_criticity(criticity)]
    if rule is None:
        return None
    calendar = chosen.support_calendar()
    ensure_aware(qualified, "qualified")
    if rule.working_hours is not None:
        due = calendar.add_working_time(qualified, timedelta(hours=rule.working_hours))
    else:
        due = calendar.add_working_days(qualified, rule.working_days or 0)
    return rule.action, due


def support_deadlines(
    offering: Offering | str | None = None,
    *,
    criticity: Criticity | str | int,
    opened: datetime,
    formula: str | None = None,
    qualified: datetime | None = None,
) -> SupportDeadlines:
    """All the deadlines of one support request."""
    chosen = resolve_offering(offering)
    level = chosen.parse_criticity(criticity)
    by_formula = chosen.support.take_charge.by == "formula"
    chosen_formula = (formula or chosen.support.take_charge.default_formula) if by_formula else None
    take_charge_by = take_charge_deadline(
        chosen, opened=opened, criticity=level, formula=chosen_formula
    )
    plan_by = fix_by = None
    if qualified is not None:
        if ensure_aware(qualified, "qualified") < ensure_aware(opened, "opened"):
            raise InputError("a request cannot be qualified before it is opened")
        after = qualified_deadline(chosen, qualified=qualified, criticity=level)
        if after is not None:
            action, due = after
            if action == "corrective_plan":
                plan_by = due
            else:
                fix_by = due
    return SupportDeadlines(
        offering_id=chosen.id,
        criticity=level,
        criticity_label=chosen.support.criticity_labels[level],
        formula=chosen_formula,
        opened=opened,
        take_charge_by=take_charge_by,
        qualified=qualified,
        plan_by=plan_by,
        fix_by=fix_by,
    )


@dataclass(frozen=True)
class SupportRequest:
    """One request as the compliance count needs it."""

    opened: datetime
    taken_in_charge_at: datetime | None
    deadline: datetime


@dataclass(frozen=True)
class SupportCompliance:
    since: datetime
    until: datetime
    on_time: int
    late: int
    pending: int
    target_percent: float

    @property
    def counted(self) -> int:
        return self.on_time + self.late

    @property
    def share_percent(self) -> float | None:
        """None when no request is counted yet."""
        return self.on_time / self.counted * 100 if self.counted else None

    @property
    def met(self) -> bool:
        share = self.share_percent
        return share is None or share >= self.target_percent


def support_compliance(
    requests: Iterable[SupportRequest | tuple[datetime, datetime | None, datetime]],
    *,
    now: datetime,
    offering: Offering | str | None = None,
) -> SupportCompliance:
    """Share of requests opened in the last 12 months that were taken in charge in time."""
    chosen = resolve_offering(offering)
    until = ensure_aware(now, "now")
    since = _months_before(until, chosen.support.compliance_window_months)
    on_time = late = pending = 0
    for item in requests:
        request = item if isinstance(item, SupportRequest) else SupportRequest(*item)
        if not since <= ensure_aware(request.opened, "opened") <= until:
            continue
        taken = request.taken_in_charge_at
        if taken is not None and ensure_aware(taken, "taken in charge") <= until:
            if taken <= request.deadline:
                on_time += 1
            else:
                late += 1
        elif request.deadline < until:
            late += 1
        else:
            pending += 1
    return SupportCompliance(
        since=since,
        until=until,
        on_time=on_time,
        late=late,
        pending=pending,
        target_percent=chosen.support.compliance_target_percent,
    )


def _months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` calendar months earlier (day clamped to month end)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    last_day = (following - timedelta(days=1)).day
    return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))
