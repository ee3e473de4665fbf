"""A portfolio's pages: the company × month grid and the bulk transmission of validated files."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.dashboard.routes import (
    VisitorDep,
    _checked_form,
    _csrf_refused,
    _layout,
    _page_number,
    page_links,
)
from api.dashboard.templating import render
from api.dashboard.wording import french_error
from api.deps import RuntimeDep, SessionDep
from dsnlink.declarations import monthly, portfolio
from dsnlink.months import MONTH_RE

router = APIRouter(prefix="/app", include_in_schema=False)
GRID_PAGE_SIZE = 50
BULK_LIMIT = 200
CELL_LABELS = {
    "depose": "Déposée",
    "en_cours": "Transmission en cours",
    "a_transmettre": "À transmettre",
    "rejete": "Rejetée ou en échec : à refaire",
    "manquant": "Rien reçu",
    "en_retard": "Non déposée, date limite passée",
    "a_venir": "À venir",
    "non_suivi": "Avant le suivi",
}


@router.get("/portefeuille")
def grid_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
    mois: str | None = None,
    q: str | None = None,
    jour: str | None = None,
    tri: str | None = None,
    page: str | None = None,
) -> HTMLResponse:
    now = runtime.clock.now()
    end = mois if mois and MONTH_RE.match(mois) else monthly.declaring_month(now=now)
    search = (q or "").strip()[:100]
    due_day = int(jour) if jour and jour.isdigit() and 1 <= int(jour) <= 31 else None
    sort = tri if tri in portfolio.GRID_SORTS else "nom"
    number = _page_number(page)
    grid = portfolio.portfolio_grid(
        session,
        principal=visitor.principal,
        end_month=end,
        now=now,
        search=search or None,
        due_day=due_day,
        sort=sort,
        limit=GRID_PAGE_SIZE,
        offset=(number - 1) * GRID_PAGE_SIZE,
    )
    pages = max(1, -(-grid.total // GRID_PAGE_SIZE))
    query = {
        "mois": end,
        **({"q": search} if search else {}),
        **({"jour": str(due_day)} if due_day else {}),
        **({"tri": sort} if sort != "nom" else {}),
    }
    return render(
        "portfolio.html",
        **_layout(
            session,
            runtime,
            visitor,
            request,
            grid=grid,
            end_month=end,
            search=search,
            due_day=due_day,
            sort=sort,
            cell_labels=CELL_LABELS,
            month_choices=list(
                reversed(portfolio.months_ending(monthly.declaring_month(now=now), 36))
            ),
            page=number,
            pages=pages,
            page_urls=page_links(query, number, pages),
            previous_url=f"?{urlencode({**query, 'page': number - 1})}" if number > 1 else None,
            next_url=f"?{urlencode({**query, 'page': number + 1})}" if number < pages else None,
            sort_urls={k: f"?{urlencode({**query, 'tri': k})}" for k in portfolio.GRID_SORTS},
        ),
    )


def _selected_ids(values: list[str]) -> list[uuid.UUID]:
    ids = []
    for value in values[:BULK_LIMIT]:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return list(dict.fromkeys(ids))


@router.post("/declarations/transmettre", response_model=None)
async def bulk_transmission(
    request: Request, session: SessionDep, runtime: RuntimeDep, visitor: VisitorDep
) -> Response:
    """Step one: the selected validated declarations, listed for one confirmation; step two
    (`confirmer=oui`): each is ordered, and the page says what happened to each."""
    form = await _checked_form(request, runtime.session_secret)
    if form is None:
        return _csrf_refused(request)
    ids = _selected_ids([str(v) for v in form.getlist("ids")])
    if not ids:
        return RedirectResponse("/app/declarations?statut=validated&selection=vide", 303)
    chosen = [
        d
        for d in portfolio.describe_selection(
            session, principal=visitor.principal, declaration_ids=ids
        )
        if d.status.transmittable
    ]
    context = _layout(session, runtime, visitor, request, chosen=chosen, results=None)
    if form.get("confirmer") != "oui" or not chosen:
        return render("bulk_transmit.html", **context)
    if context["maintenance"] is not None:
        return render(
            "error.html",
            status_code=503,
            title="Maintenance en cours",
            message="Les transmissions ne peuvent pas être ordonnées pendant la maintenance.",
            back="/app/declarations",
        )
    outcome = dict(
        portfolio.order_many(
            session,
            principal=visitor.principal,
            declaration_ids=[d.id for d in chosen],
            clock=runtime.clock,
            keyring=runtime.keyring,
        )
    )
    results = []
    for declaration in chosen:
        refused = outcome[declaration.id]
        results.append((declaration, french_error(refused) if refused is not None else None))
    context["results"] = results
    context["ordered"] = sum(1 for _, error in results if error is None)
    return render("bulk_transmit.html", **context)
