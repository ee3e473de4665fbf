"""Jinja2 environment of the dashboard and the French wording of the domain's codes."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from dsnlink.declarations.models import DeclarationStatus
from dsnlink.deposit_point.returns.labels import NATURES
from dsnlink.norm.catalogue import get_catalogue

PARIS = ZoneInfo("Europe/Paris")
TEMPLATES = Path(__file__).resolve().parent / "templates"
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip

SHORT_MONTHS = (
    "janv.", "févr.", "mars", "avr.", "mai", "juin",
    "juil.", "août", "sept.", "oct.", "nov.", "déc.",
)  # fmt: skip
STATUS_LABELS: dict[str, str] = {
    DeclarationStatus.RECEIVED: "Reçue",
    DeclarationStatus.VALIDATED: "Validée, à transmettre",
    DeclarationStatus.REJECTED: "Rejetée (contrôles de la norme)",
    DeclarationStatus.ORDERED: "Transmission ordonnée",
    DeclarationStatus.TRANSMITTING: "Transmission en cours",
    DeclarationStatus.WAITING_FOR_DEPOSIT_POINT: "En attente du point de dépôt",
    DeclarationStatus.RECONCILING: "Vérification du dépôt",
    DeclarationStatus.DEPOSITED: "Déposée (AEE reçu)",
    DeclarationStatus.REFUSED_BY_DEPOSIT_POINT: "Refusée par le point de dépôt (ARE)",
    DeclarationStatus.CONFORM: "Conforme",
    DeclarationStatus.ANOMALIES: "Déposée, anomalies non bloquantes",
    DeclarationStatus.REJECTED_BY_DEPOSIT_POINT: "Rejetée par le point de dépôt (BAN)",
    DeclarationStatus.TRANSMISSION_FAILED: "Échec de transmission",
}
# Badge tone per status; each tone's colours pass WCAG AA (see dashboard.css).
STATUS_TONES: dict[str, str] = {
    DeclarationStatus.RECEIVED: "neutre",
    DeclarationStatus.VALIDATED: "attention",
    DeclarationStatus.REJECTED: "erreur",
    DeclarationStatus.ORDERED: "info",
    DeclarationStatus.TRANSMITTING: "info",
    DeclarationStatus.WAITING_FOR_DEPOSIT_POINT: "attention",
    DeclarationStatus.RECONCILING: "info",
    DeclarationStatus.DEPOSITED: "info",
    DeclarationStatus.REFUSED_BY_DEPOSIT_POINT: "erreur",
    DeclarationStatus.CONFORM: "succes",
    DeclarationStatus.ANOMALIES: "attention",
    DeclarationStatus.REJECTED_BY_DEPOSIT_POINT: "erreur",
    DeclarationStatus.TRANSMISSION_FAILED: "erreur",
}
FINAL_STATUSES = frozenset(
    {
        DeclarationStatus.REJECTED,
        DeclarationStatus.REFUSED_BY_DEPOSIT_POINT,
        DeclarationStatus.CONFORM,
        DeclarationStatus.ANOMALIES,
        DeclarationStatus.REJECTED_BY_DEPOSIT_POINT,
        DeclarationStatus.TRANSMISSION_FAILED,
    }
)
NATURE_LABELS = {
    "01": "DSN mensuelle",
    "04": "Signalement d'arrêt de travail",
    "05": "Signalement de reprise du travail",
    "07": "Signalement de fin de contrat (FCTU)",
}
TYPE_LABELS = {
    "01": "normale",
    "02": "néant",
    "03": "annule et remplace",
    "04": "annule et remplace néant",
    "05": "annule et remplace intégral",
}
FAILED_STATUSES = frozenset(
    {
        DeclarationStatus.REJECTED,
        DeclarationStatus.REFUSED_BY_DEPOSIT_POINT,
        DeclarationStatus.REJECTED_BY_DEPOSIT_POINT,
        DeclarationStatus.TRANSMISSION_FAILED,
    }
)


@cache
def return_nature_labels() -> dict[str, str]:
    """The French labels of the returns' natures (every family the reader knows)."""
    return {code: nature.label[0].upper() + nature.label[1:] for code, nature in NATURES.items()}


OUTCOME_LABELS = {
    "sending": "envoi en cours",
    "accepted": "accepté (AEE)",
    "refused": "refusé (ARE)",
    "not_sent": "non envoyé (connexion impossible)",
    "ambiguous": "issue incertaine",
    "reconciled": "retrouvé au point de dépôt",
    "lost": "non reçu par le point de dépôt",
    "failed": "échec",
}
DETAIL_LABELS = {
    "anomaly_count": "anomalies",
    "norm_version": "version de la norme",
    "size": "taille (octets)",
    "idflux": "identifiant du flux",
    "error": "message",
    "message": "message",
    "reason": "motif",
    "return_id": "retour n°",
    "nature": "nature du retour",
}


def paris(moment: datetime | None, with_zone: bool = False) -> str:
    """A UTC instant as French readers expect it: local time in Paris."""
    if moment is None:
        return "—"
    text = moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    return f"{text} (heure de Paris)" if with_zone else text


def month_label(month: str | None) -> str:
    if not month or len(month) != 7:
        return month or "—"
    return f"{MONTHS[int(month[5:7]) - 1]} {month[:4]}"


def month_short(month: str | None) -> str:
    """'2026-11' → 'nov. 26'."""
    if not month or len(month) != 7:
        return month or "—"
    return f"{SHORT_MONTHS[int(month[5:7]) - 1]} {month[2:4]}"


def time_left(moment: datetime | None, now: datetime) -> str:
    """'dans 2 j 4 h', 'dans 35 min', or 'dépassée depuis 1 j 2 h'."""
    if moment is None:
        return "—"
    seconds = int((moment - now).total_seconds())
    minutes = abs(seconds) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        span = f"{days} j {hours} h"
    elif hours:
        span = f"{hours} h {mins:02d} min"
    else:
        span = f"{mins} min"
    return f"dans {span}" if seconds >= 0 else f"dépassée depuis {span}"


def urgency(moment: datetime | None, now: datetime) -> str:
    """The colour class of a countdown: passed, under 12 h, under 48 h, under a week, later."""
    if moment is None:
        return "restant"
    left = (moment - now).total_seconds()
    if left < 0:
        return "depasse"
    if left < 12 * 3600:
        return "critique"
    if left < 48 * 3600:
        return "urgent"
    if left < 7 * 24 * 3600:
        return "proche"
    return "restant"


def french_number(value: float | int | None, decimals: int = 0) -> str:
    """1234.5 → '1 234,50' (narrow no-break space between thousands, comma for decimals)."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def masked_nir(nir: str | None) -> str:
    """A NIR shown with only its last four characters (the key and one digit)."""
    if not nir:
        return "—"
    clean = nir.replace(" ", "")
    return "•" * max(len(clean) - 4, 0) + clean[-4:]


def size_label(size: int) -> str:
    if size < 1024:
        return f"{size} o"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} Ko".replace(".", ",")
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")


def group_by_rubric(anomalies: Iterable[Any]) -> list[tuple[str, list[Any]]]:
    """Anomalies grouped by rubric (file order of their first line), each group by line."""
    groups: dict[str, list[Any]] = {}
    for anomaly in anomalies:
        groups.setdefault(anomaly.rubric or "Fichier", []).append(anomaly)
    ordered = [
        (rubric, sorted(items, key=lambda a: a.line or 0)) for rubric, items in groups.items()
    ]
    return sorted(ordered, key=lambda group: group[1][0].line or 0)


def rubric_label(rubric: str | None, version: str | None) -> str | None:
    """The norm's label of a rubric (S21.G00.30.001 → 'Numéro d'inscription au répertoire')."""
    catalogue = get_catalogue(version) if rubric else None
    found = catalogue.rubrics.get(rubric) if catalogue and rubric else None
    return found.label if found else None


def event_details(detail: dict[str, Any]) -> list[str]:
    """The readable facts of a timeline event's detail (scalars with a French label, codes with
    theirs, instants in Paris time)."""
    facts = []
    for key, value in detail.items():
        if key not in DETAIL_LABELS or not isinstance(value, str | int | float) or value == "":
            continue
        if key == "nature" and str(value) in return_nature_labels():
            value = f"{return_nature_labels()[str(value)]} ({value})"
        elif key in {"error", "message", "reason"}:
            value = french_message(str(value))
        elif isinstance(value, str) and ISO_INSTANT.match(value):
            with contextlib.suppress(ValueError):
                value = paris(datetime.fromisoformat(value))
        facts.append(f"{DETAIL_LABELS[key]} : {value}")
    return facts


ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


# What the worker or the deposit-point client wrote in English, as a French reader reads it;
# the deposit point's own words (after the colon of an ARE) are French already and kept.
def _gave_up_unsure(m: re.Match[str]) -> str:
    try:
        sent = paris(datetime.fromisoformat(m.group(2)))
    except ValueError:
        sent = m.group(2)
    return (
        f"Abandon après {m.group(1)} h : on ne sait pas si le dernier dépôt (envoyé le {sent}, "
        "heure de Paris) a "
        "été reçu ; vérifiez sur net-entreprises.fr avant de l'envoyer de nouveau."
    )


MESSAGE_TRANSLATIONS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (
        re.compile(r"^deposit refused by the deposit point \(ARE\)(: )?"),
        lambda m: "Fichier refusé par le point de dépôt (ARE)" + (" : " if m.group(1) else "."),
    ),
    (
        re.compile(r"^gave up after ([\d.]+) h: whether the last deposit \(sent at ([^)]+)\).*$"),
        _gave_up_unsure,
    ),
    (
        re.compile(r"^gave up after ([\d.]+) h of failed attempts.*$"),
        r"Abandon après \1 h d'essais infructueux ; la dernière erreur figure dans la liste des "
        "tentatives.",
    ),
    (
        re.compile(r"^the ambiguous deposit was not received: sending again$"),
        "le dépôt incertain n'a pas été reçu : nouvel envoi",
    ),
    (
        re.compile(r"^reconciliation: (\d+) unattributed flows$"),
        r"vérification des dépôts : \1 flux non attribués",
    ),
    (re.compile(r"^reconciliation: "), "vérification des dépôts : "),
    (re.compile(r"(?i)^transmission not done after.*$"), "Transmission non aboutie dans le délai"),
    (re.compile(r"(?i)^.*connection (refused|failed|error).*$"), "point de dépôt injoignable"),
    (re.compile(r"(?i)^.*timed? ?out.*$"), "délai d'attente dépassé"),
)


def french_message(text: str) -> str:
    """A worker's or client's message in French when it is a known English one."""
    for pattern, french in MESSAGE_TRANSLATIONS:
        if pattern.search(text):
            return pattern.sub(french, text, count=1)
    return text


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        paris=paris,
        month_label=month_label,
        month_short=month_short,
        time_left=time_left,
        urgency=urgency,
        french_number=french_number,
        masked_nir=masked_nir,
        french_message=french_message,
        size_label=size_label,
        event_details=event_details,
    )
    env.globals.update(
        status_labels=STATUS_LABELS,
        status_tones=STATUS_TONES,
        final_statuses=FINAL_STATUSES,
        failed_statuses=FAILED_STATUSES,
        return_nature_labels=return_nature_labels(),
        nature_labels=NATURE_LABELS,
        type_labels=TYPE_LABELS,
        outcome_labels=OUTCOME_LABELS,
        detail_labels=DETAIL_LABELS,
        group_by_rubric=group_by_rubric,
        rubric_label=rubric_label,
        all_statuses=list(DeclarationStatus),
    )
    return env


def render(
    template: str, status_code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    html = environment().get_template(template).render(**context)
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )
