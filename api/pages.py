"""Standalone HTML pages of the API (outside the dashboard): Jinja2 over api/templates/,
autoescaped, times in Europe/Paris."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from dsnlink.clock import in_paris

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
    )
    environment.filters["paris"] = lambda moment: in_paris(moment) if moment else "—"
    return environment


def render_page(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)



