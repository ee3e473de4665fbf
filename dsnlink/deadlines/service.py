"""Deadline rules of the DSN and the DSN Link cut-off; the only place these decisions are made.

- Monthly DSN (nature 01, types 01/02) of month M: 12:00 Europe/Paris on the company's due day
  (5, 15 or 20) of M+1, moved day by day to the next working day (Saturday, Sunday and public
  holidays of France métropolitaine are skipped, repeatedly).
- Its annule et remplace (types 03/05): by midnight Paris on the eve of that deadline, i.e. the
  deadline's date at 00:00 Paris.
- Signalements (natures 04 arrêt, 05 reprise, 07 fin de contrat): within 5 working days of the
  event. The 1st working day is the first one after the event date; the deadline is the end of
  the 5th, expressed as the following midnight (00:00 Paris the next calendar day). Their own
  annule et remplace / annule (types 03/04) has no time limit.
- Signalement DPAE (nature 10, from P26V01): the DPAE is due before the hire (Code du travail
  R1221-5: at the latest when work starts), not within 5 days; with only a hire date known, the
  deadline is the start of the hire day, 00:00 Paris.
- Natures 08 (amorçage) and 09 (substitution): no statutory deadline here.

A deadline is the instant from which a deposit is late. The cut-off is the deadline minus the
offering's guaranteed number of *service hours* (every hour outside the maintenance window and
outside announced planned maintenance): a DSN received at or before it is guaranteed to be sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol

from dsnlink.errors import InputError
from dsnlink.months import parse_month
from dsnlink.sla.calendar import (
    PARIS,
    Interval,
    add_french_working_days,
    ensure_aware,
    next_french_working_day,
)
from dsnlink.sla.offerings import Offering, resolve_offering

MONTHLY_DEADLINE_TIME = time(12, 0)
DUE_DAYS = (5, 15, 20)
SIGNALEMENT_WORKING_DAYS = 5

NATURES = {
    "01": "DSN mensuelle",
    "04": "signalement arrêt de travail",
    "05": "signalement reprise suite à arrêt",
    "07": "signalement fin de contrat unique",
    "08": "amorçage des données variables",
    "09": "DSN de substitution",
    "10": "signalement DPAE",
}
TYPES = {
    "01": "normale",
    "02": "normale néant",
    "03": "annule et remplace intégral",
    "04": "annule",
    "05": "annule et remplace néant",
}
SIGNALEMENT_NATURES = frozenset({"04", "05", "07"})
_WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


class DeadlineKind(StrEnum):
    MONTHLY = "monthly"
    MONTHLY_CORRECTION = "monthly_correction"
    SIGNALEMENT = "signalement"
    SIGNALEMENT_CORRECTION = "signalement_correction"
    DPAE = "dpae"
    NONE = "none"


class _HasInterval(Protocol):
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Deadlines:
    """When a declaration is due (`deadline`) and until when sending it is guaranteed (`cutoff`)."""

    nature: str
    type: str
    kind: DeadlineKind
    deadline: datetime | None
    cutoff: datetime | None
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "nature": self.nature,
            "type": self.type,
            "kind": str(self.kind),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "deadline_utc": self.deadline.astimezone(UTC).isoformat() if self.deadline else None,
            "cutoff_utc": self.cutoff.astimezone(UTC).isoformat() if self.cutoff else None,
            "rule": self.rule,
        }


def compute_deadlines(
    *,
    nature: str | int = "01",
    type: str | int = "01",
    month: date | str | None = None,
    due_day: int | None = None,
    event_date: date | str | None = None,
    planned_maintenances: Iterable[tuple[datetime, datetime] | _HasInterval] = (),
    offering: Offering | str | None = None,
) -> Deadlines:
    """Deadline and cut-off of one declaration; `offering` defaults to hr-sprint (DSN Link)."""
    nature_code, type_code = _code(nature, NATURES, "nature"), _code(type, TYPES, "type")
    _check_combination(nature_code, type_code)
    chosen = resolve_offering(offering)
    label = f"{NATURES[nature_code]} (nature {nature_code}, type {type_code} {TYPES[type_code]})"

    deadline: datetime | None
    if nature_code == "01":
        first = _parse_month(month)
        day = _parse_due_day(due_day)
        monthly = _monthly_deadline(first, day)
        if type_code in {"01", "02"}:
            kind, deadline = DeadlineKind.MONTHLY, monthly
            rule = (
                f"{label} du mois {first:%m/%Y} : le {day} du mois suivant à 12:00 (Paris), "
                f"reporté au jour ouvré suivant si samedi, dimanche ou férié → {_fr(deadline)}"
            )
        else:
            kind = DeadlineKind.MONTHLY_CORRECTION
            deadline = datetime.combine(monthly.date(), time(0), PARIS)
            rule = (
                f"{label} du mois {first:%m/%Y} : avant minuit (Paris) la veille de l'échéance "
                f"mensuelle du {_fr(monthly)} → {_fr(deadline)}"
            )
    elif nature_code in SIGNALEMENT_NATURES and type_code == "01":
        event = _parse_date(event_date, "event date")
        last_day = add_french_working_days(event, SIGNALEMENT_WORKING_DAYS)
        kind = DeadlineKind.SIGNALEMENT
        deadline = datetime.combine(last_day + timedelta(days=1), time(0), PARIS)
        rule = (
            f"{label} : dans les {SIGNALEMENT_WORKING_DAYS} jours ouvrés suivant l'événement du "
            f"{event:%d/%m/%Y}, soit jusqu'à la fin du {_WEEKDAYS_FR[last_day.weekday()]} "
            f"{last_day:%d/%m/%Y} → échéance {_fr(deadline)}"
        )
    elif nature_code in SIGNALEMENT_NATURES:
        kind, deadline = DeadlineKind.SIGNALEMENT_CORRECTION, None
        rule = f"{label} : pas de délai pour l'annulation ou le remplacement d'un signalement"
    elif nature_code == "10" and type_code == "01":
        hire = _parse_date(event_date, "event date (hire date)")
        kind = DeadlineKind.DPAE
        deadline = datetime.combine(hire, time(0), PARIS)
        rule = (
            f"{label} : la DPAE précède l'embauche (au plus tard à la prise de poste) ; "
            f"heure d'embauche inconnue → début du jour d'embauche, {_fr(deadline)}"
        )
    elif nature_code == "10":
        kind, deadline = DeadlineKind.SIGNALEMENT_CORRECTION, None
        rule = f"{label} : pas de délai pour l'annulation ou le remplacement d'une DPAE"
    else:
        kind, deadline = DeadlineKind.NONE, None
        rule = f"{label} : pas d'échéance réglementaire"

    cutoff = None
    if deadline is not None:
        cutoff, cutoff_rule = _cutoff(deadline, chosen, _intervals(planned_maintenances))
        rule = f"{rule} ; {cutoff_rule}"
    return Deadlines(
        nature=nature_code, type=type_code, kind=kind, deadline=deadline, cutoff=cutoff, rule=rule
    )


def monthly_deadline(month: date | str, due_day: int) -> datetime:
    """12:00 Paris on the due day of the month after `month`, on a working day."""
    return _monthly_deadline(_parse_month(month), _parse_due_day(due_day))


def _monthly_deadline(first: date, due_day: int) -> datetime:
    following = date(first.year + first.month // 12, first.month % 12 + 1, due_day)
    return datetime.combine(next_french_working_day(following), MONTHLY_DEADLINE_TIME, PARIS)


def _cutoff(
    deadline: datetime, offering: Offering, planned: list[Interval]
) -> tuple[datetime | None, str]:
    if offering.dsn_link is None:
        return None, f"l'offre {offering.id} ne garantit pas d'heure limite de dépôt"
    hours = offering.dsn_link.cutoff_service_hours
    calendar = offering.service_calendar(planned)
    cutoff = calendar.add_working_time(deadline, -timedelta(hours=hours)).astimezone(PARIS)
    excluded = "fenêtre de maintenance" + (" et maintenances annoncées" if planned else "")
    return cutoff, (
        f"envoi garanti si reçu au moins {hours:g} h de service {offering.name} avant "
        f"l'échéance, hors {excluded} → {_fr(cutoff)}"
    )


def _intervals(items: Iterable[tuple[datetime, datetime] | _HasInterval]) -> list[Interval]:
    result: list[Interval] = []
    for item in items:
        start, end = item if isinstance(item, tuple) else (item.start, item.end)
        ensure_aware(start, "maintenance start")
        ensure_aware(end, "maintenance end")
        if end <= start:
            raise InputError(
                f"planned maintenance ends ({end.isoformat()}) before it starts "
                f"({start.isoformat()})"
            )
        result.append((start, end))
    return result


def _code(value: str | int, known: dict[str, str], name: str) -> str:
    text = str(value).strip()
    code = text.zfill(2) if text.isdigit() and len(text) <= 2 else text
    if code not in known:
        raise InputError(
            f"unknown {name} {value!r} (expected one of {', '.join(known)})", **{name: text}
        )
    return code


def _check_combination(nature: str, type_code: str) -> None:
    """The norm's rules on which types each nature takes (control CCH on S20.G00.05.002)."""
    if type_code in {"02", "05"} and nature != "01":
        raise InputError(
            f"type {type_code} ({TYPES[type_code]}) exists only for nature 01",
            nature=nature, type=type_code,
        )
    if type_code == "04" and nature not in {"07", "08", "09"}:
        raise InputError(
            "type 04 (annule) exists only for natures 07, 08 and 09",
            nature=nature, type=type_code,
        )
    if type_code == "03" and nature == "08":
        raise InputError("type 03 does not exist for nature 08", nature=nature, type=type_code)


def _parse_month(month: date | str | None) -> date:
    if month is None:
        raise InputError("a monthly DSN needs its month (YYYY-MM)")
    return parse_month(month)


def _parse_due_day(due_day: int | None) -> int:
    if due_day not in DUE_DAYS:
        raise InputError(
            f"due day must be one of {', '.join(map(str, DUE_DAYS))}, got {due_day!r}",
            due_day=due_day,
        )
    return due_day


def _parse_date(value: date | str | None, name: str) -> date:
    if value is None:
        raise InputError(f"a signalement needs its {name} (YYYY-MM-DD)")
    if isinstance(value, datetime):
        raise InputError(f"{name} must be a date, not a datetime")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(f"{name} must read YYYY-MM-DD, got {value!r}") from exc


def _fr(moment: datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{_WEEKDAYS_FR[local.weekday()]} {local:%d/%m/%Y %H:%M} (Paris)"
