"""A portfolio at a glance: companies × the last twelve months, the state of each monthly DSN."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.declarations import repository, tracking
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.declarations.monthly import (
    FAILED_STATUSES,
    IN_FLIGHT_STATUSES,
    company_sirets,
    matches,
    monthly_deadline,
)
from dsnlink.declarations.ordering import order_transmission
from dsnlink.declarations.schemas import (
    CompanyRef,
    DeclarationSummary,
    GridCell,
    GridRow,
    PortfolioGrid,
)
from dsnlink.declarations.service import planned_maintenances
from dsnlink.errors import DsnlinkError
from dsnlink.months import parse_month
from dsnlink.security.keys import Keyring
from dsnlink.tenants import repository as tenants_repository
from dsnlink.tenants.schemas import Principal

GRID_MONTHS = 12
GRID_SORTS = ("nom", "echeance", "retard")


def months_ending(month: str, count: int = GRID_MONTHS) -> list[str]:
    """`count` months ending with `month`, oldest first."""
    first = parse_month(month)
    index = first.year * 12 + first.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def cell_state(
    declarations: Sequence[Declaration],
    sirets: Sequence[str],
    *,
    establishment_sirets: dict[uuid.UUID, str],
    deadline: datetime | None,
    now: datetime,
    followed_since: datetime | None = None,
) -> str:
    """Where a company's monthly DSN of one month stands, from its establishments' latest files."""
    latest: dict[str, Declaration] = {}
    filed: set[str] = set()
    for declaration in declarations:  # oldest first: the last one wins
        siret = establishment_sirets.get(declaration.establishment_id)
        if siret is None:
            continue
        latest[siret] = declaration
        if DeclarationStatus(declaration.status).filed:
            filed.add(siret)
    if sirets and all(s in filed for s in sirets):
        return "depose"
    todo = [latest[s] for s in sirets if s not in filed and s in latest]
    statuses = {DeclarationStatus(d.status) for d in todo}
    if statuses & IN_FLIGHT_STATUSES:
        return "en_cours"
    if statuses & FAILED_STATUSES:
        return "rejete"
    if statuses:
        return "a_transmettre"
    if followed_since is not None and deadline is not None and deadline < followed_since:
        return "non_suivi"  # due before the company was added: not ours to say
    if deadline is not None and deadline < now:
        return "en_retard"
    if deadline is not None and (deadline - now).days > 40:
        return "a_venir"
    return "manquant"


def portfolio_grid(
    session: Session,
    *,
    principal: Principal,
    end_month: str,
    now: datetime,
    search: str | None = None,
    due_day: int | None = None,
    sort: str = "nom",
    limit: int = 50,
    offset: int = 0,
) -> PortfolioGrid:
    """One page of the principal's companies, each with its twelve months up to `end_month`."""
    months = months_ending(end_month)
    companies = tenants_repository.list_companies(
        session, tenant_id=principal.tenant_id, company_ids=principal.company_ids
    )
    sirets = company_sirets(session, [c.id for c in companies])
    selected = [
        c
        for c in companies
        if matches(CompanyRef(id=c.id, siren=c.siren, name=c.name), sirets.get(c.id, []), search)
        and (due_day is None or c.due_day == due_day)
    ]
    deadlines: dict[tuple[str, int], datetime | None] = {}
    for month in months:
        maintenances = planned_maintenances(session, month=month)
        for day in {c.due_day for c in selected}:
            deadlines[(month, day)] = monthly_deadline(
                month=month, due_day=day, maintenances=maintenances
            )[0]
    visible = {c.id for c in selected}
    by_cell: dict[tuple[uuid.UUID, str], list[Declaration]] = {}
    for declaration in repository.list_for_months(
        session, tenant_id=principal.tenant_id, months=months, company_ids=visible
    ):
        by_cell.setdefault((declaration.company_id, declaration.month), []).append(declaration)
    establishment_sirets = {
        e.id: e.siret
        for e in tenants_repository.list_establishments(session, company_ids=list(visible))
    }
    rows = []
    for company in selected:
        cells = []
        for month in months:
            found = by_cell.get((company.id, month), [])
            cells.append(
                GridCell(
                    month=month,
                    state=cell_state(
                        found,
                        sirets.get(company.id, []),
                        establishment_sirets=establishment_sirets,
                        deadline=deadlines[(month, company.due_day)],
                        now=now,
                        followed_since=company.created_at,
                    ),
                    declaration_id=found[-1].id if found else None,
                    declarations=len(found),
                )
            )
        rows.append(
            GridRow(
                company=CompanyRef(id=company.id, siren=company.siren, name=company.name),
                due_day=company.due_day,
                cells=cells,
            )
        )
    if sort == "echeance":
        rows.sort(key=lambda r: (r.due_day, r.company.name.casefold()))
    elif sort == "retard":
        rows.sort(
            key=lambda r: (
                -sum(c.state in {"en_retard", "rejete"} for c in r.cells),
                r.company.name.casefold(),
            )
        )
    return PortfolioGrid(
        months=months,
        rows=rows[offset : offset + limit],
        total=len(rows),
        limit=limit,
        offset=offset,
    )


def describe_selection(
    session: Session, *, principal: Principal, declaration_ids: Sequence[uuid.UUID]
) -> list[DeclarationSummary]:
    """The selected declarations the principal may see, in the order given (others skipped)."""
    found = []
    for declaration_id in declaration_ids:
        declaration = repository.get_declaration(
            session, tenant_id=principal.tenant_id, declaration_id=declaration_id
        )
        if declaration is None or not principal.may_see(declaration.company_id):
            continue
        found.append(declaration)
    companies, establishments = tracking.company_refs(session, found)
    return [
        DeclarationSummary(
            **tracking._summary_fields(
                d, companies[d.company_id], establishments[d.establishment_id]
            )
        )
        for d in found
    ]


def order_many(
    session: Session,
    *,
    principal: Principal,
    declaration_ids: Sequence[uuid.UUID],
    clock: Clock,
    keyring: Keyring,
) -> list[tuple[uuid.UUID, DsnlinkError | None]]:
    """Order the transmission of each declaration, each in its own savepoint: one refused order
    (already ordered, not validated) leaves the others ordered; says what happened to each."""
    results: list[tuple[uuid.UUID, DsnlinkError | None]] = []
    for declaration_id in declaration_ids:
        try:
            with session.begin_nested():
                order_transmission(
                    session,
                    principal=principal,
                    declaration_id=declaration_id,
                    clock=clock,
                    keyring=keyring,
                )
        except DsnlinkError as exc:
            results.append((declaration_id, exc))
        else:
            results.append((declaration_id, None))
    return results
