"""The public status page ("météo des offres SaaS"): HTML for people, JSON for machines."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.deps import RuntimeDep, SessionDep
from dsnlink.service_status import service as service_status
from dsnlink.service_status.schemas import StatusRead

router = APIRouter(tags=["status"])
PARIS = ZoneInfo("Europe/Paris")
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATE_LABELS = {
    "operational": "Opérationnel",
    "degraded": "Perturbé",
    "down": "Indisponible",
    "unknown": "État inconnu",
}
KIND_LABELS = {"planned": "planifiée", "urgent": "urgente"}


@cache
def _templates() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
    )
    environment.filters["paris"] = _paris
    environment.filters["french_number"] = _french_number
    environment.filters["month_label"] = _month_label
    return environment


MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def _french_number(value: float | int, decimals: int = 0) -> str:
    """1234.5 → '1 234,50': French separators (narrow no-break space, decimal comma)."""
    return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def _month_label(month: str) -> str:
    """'2026-12' → 'décembre 2026'."""
    if len(month) != 7 or not month[5:7].isdigit() or not 1 <= int(month[5:7]) <= 12:
        return month
    return f"{MONTHS[int(month[5:7]) - 1]} {month[:4]}"


def _paris(moment: datetime | None) -> str:
    """A UTC instant as French readers expect it: local time in Paris."""
    if moment is None:
        return "—"
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M (heure de Paris)")


@router.get("/v1/status", summary="State of the service, maintenances, this month's availability")
def read_status(session: SessionDep, runtime: RuntimeDep) -> StatusRead:
    return service_status.service_status(session, now=runtime.clock.now())


@router.get(
    "/status",
    response_class=HTMLResponse,
    summary="Status page (HTML, French)",
    include_in_schema=False,
)
def status_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> HTMLResponse:
    status = service_status.service_status(session, now=runtime.clock.now())
    html = (
        _templates()
        .get_template("status.html")
        .render(status=status, states=STATE_LABELS, kinds=KIND_LABELS)
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})
