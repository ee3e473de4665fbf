"""The declarant dashboard: French server-rendered pages under /app (Jinja2, htmx optional)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.dashboard import admin, portfolio, returns
from api.dashboard.routes import not_found_router, router

STATIC = Path(__file__).resolve().parent / "static"


def install(app: FastAPI) -> None:
    """Mount the pages and their static files (htmx, CSS, the drag-and-drop script)."""
    app.mount("/app/static", StaticFiles(directory=STATIC), name="dashboard-static")
    app.include_router(router)
    app.include_router(portfolio.router)
    app.include_router(returns.router)
    app.include_router(admin.router)
    # Last: any other /app address gets the French "page introuvable".
    app.include_router(not_found_router)
