"""The deadlines of a month: for each company the legal deadline, the cut-off and what was filed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel import Session

from dsnlink.deadlines import compute_deadlines
from dsnlink.declarations import repository
from dsnlink.declarations.models import DeclarationStatus
from dsnlink.declarations.schemas import (
    CompanyDeadline,
    CompanyDeadlineRow,
    CompanyRef,
    FiledDeclaration,
    MonthDeadlines,
    MonthDeadlinesPage,
)
from dsnlink.declarations.service import planned_maintenances, to_utc
from dsnlink.errors import DsnlinkError
from dsnlink.months import parse_month
from dsnlink.service_status.models import Maintenance
from dsnlink.tenants import repository as tenants_repository
from dsnlink.tenants.schemas import Principal


def month_deadlines(session: Session, *, principal: Principal, month: str) -> MonthDeadlines:
    """Per company: the monthly DSN's deadline and cut-off, and what was filed for that month."""
    parse_month(month)
    companies = tenants_repository.list_companies(
        session, tenant_id=principal.tenant_id, company_ids=principal.company_ids
    )
    establishments = {
        e.id: e
        for e in tenants_repository.list_establishments(
            session, company_ids=[c.id for c in companies]
        )
    }
    filed = repository.list_for_month(session, tenant_id=principal.tenant_id, month=month)
    maintenances = planned_maintenances(session, month=month)
    result = []
    # A monthly deadline depends only on the due day: three computations serve any number of
    # companies.
    per_due_day: dict[int, tuple[datetime | None, datetime | None, str]] = {}
    for company in companies:
        if company.due_day not in per_due_day:
            per_due_day[company.due_day] = _monthly_deadline(
                month=month, due_day=company.due_day, maintenances=maintenances
            )
        deadline, cutoff, rule = per_due_day[company.due_day]
        result.append(
            CompanyDeadline(
                company=CompanyRef(id=company.id, siren=company.siren, name=company.name),
                due_day=company.due_day,
                deadline=deadline,
                cutoff=cutoff,
                rule=rule,
                declarations=[
                    FiledDeclaration(
                        id=d.id,
                        status=DeclarationStatus(d.status),
                        nature=d.nature,
                        type=d.type,
                        siret=establishments[d.establishment_id].siret,
                        received_at=d.received_at,
                    )
                    for d in filed
                    if d.company_id == company.id
                ],
            )
        )
    return MonthDeadlines(month=month, companies=result)


def _monthly_deadline(
    *, month: str, due_day: int, maintenances: Sequence[Maintenance]
) -> tuple[datetime | None, datetime | None, str]:
    try:
        computed = compute_deadlines(
            nature="01",
            type="01",
            month=month,
            due_day=due_day,
            planned_maintenances=maintenances,
        )
    except DsnlinkError as exc:
        return None, None, str(exc)
    return to_utc(computed.deadline), to_utc(computed.cutoff), computed.rule


def declaring_month(*, now: datetime) -> str:
    """The month whose monthly DSN is being filed now: the previous month until its latest
    deadline (due day 20, moved to a working day) has passed, then the current month."""
    current = now.astimezone(UTC)
    index = current.year * 12 + current.month - 2
    previous = f"{index // 12:04d}-{index % 12 + 1:02d}"
    latest = compute_deadlines(nature="01", type="01", month=previous, due_day=20).deadline
    if latest is not None and now < latest:
        return previous
    return f"{current.year:04d}-{current.month:02d}"


def month_deadlines_page(
    session: Session,
    *,
    principal: Principal,
    month: str,
    search: str | None = None,
    pending_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> MonthDeadlinesPage:
    """The month's deadlines for many companies: searched (name, SIREN or SIRET), optionally only
    those with an establishment still to file, counted per establishment, one page at a time."""
    whole = month_deadlines(session, principal=principal, month=month)
    sirets: dict[uuid.UUID, list[str]] = {}
    for establishment in tenants_repository.list_establishments(
        session, company_ids=[c.company.id for c in whole.companies]
    ):
        sirets.setdefault(establishment.company_id, []).append(establishment.siret)
    needle = (search or "").strip().casefold().replace(" ", "")
    rows = []
    for item in whole.companies:
        company_sirets = sirets.get(item.company.id, [])
        if needle and not (
            needle in item.company.name.casefold().replace(" ", "")
            or item.company.siren.startswith(needle)
            or any(siret.startswith(needle) for siret in company_sirets)
        ):
            continue
        filed = {
            d.siret
            for d in item.declarations
            if d.nature == "01" and d.status != DeclarationStatus.REJECTED
        }
        row = CompanyDeadlineRow(
            **item.model_dump(),
            establishments=len(company_sirets),
            establishments_filed=len(filed & set(company_sirets)),
        )
        # A company with no establishment yet has nothing filed either: it is still to do.
        if pending_only and row.establishments_filed >= max(row.establishments, 1):
            continue
        rows.append(row)
    return MonthDeadlinesPage(
        month=month,
        companies=rows[offset : offset + limit],
        total=len(rows),
        limit=limit,
        offset=offset,
    )
