"""The deadlines of a month: for each company the legal deadline, the cut-off and what was filed."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from dsnlink.deadlines import compute_deadlines
from dsnlink.declarations import repository
from dsnlink.declarations.models import Declaration, DeclarationStatus
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

FILED_STATUSES = frozenset(s for s in DeclarationStatus if s.filed)
# A declaration in one of these will never be filed: the establishment is to do again.
FAILED_STATUSES = frozenset(
    {
        DeclarationStatus.REJECTED,
        DeclarationStatus.REFUSED_BY_DEPOSIT_POINT,
        DeclarationStatus.REJECTED_BY_DEPOSIT_POINT,
        DeclarationStatus.TRANSMISSION_FAILED,
    }
)
IN_FLIGHT_STATUSES = frozenset(
    {
        DeclarationStatus.ORDERED,
        DeclarationStatus.TRANSMITTING,
        DeclarationStatus.WAITING_FOR_DEPOSIT_POINT,
        DeclarationStatus.RECONCILING,
    }
)
SORTS = ("urgence", "nom", "echeance")


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
    visible = {c.id for c in companies}
    filed = [
        d
        for d in repository.list_for_month(session, tenant_id=principal.tenant_id, month=month)
        if d.company_id in visible
    ]
    filed_at = repository.first_events_at(
        session,
        declaration_ids=[d.id for d in filed if DeclarationStatus(d.status).filed],
        statuses=FILED_STATUSES,
    )
    replaced = _replacements(filed)
    maintenances = planned_maintenances(session, month=month)
    result = []
    # A monthly deadline depends only on the due day: three computations serve any number of
    # companies.
    per_due_day: dict[int, tuple[datetime | None, datetime | None, str]] = {}
    for company in companies:
        if company.due_day not in per_due_day:
            per_due_day[company.due_day] = monthly_deadline(
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
                        filed=DeclarationStatus(d.status).filed,
                        filed_at=filed_at.get(d.id),
                        replaced_by=replaced.get(d.id),
                    )
                    for d in filed
                    if d.company_id == company.id
                ],
            )
        )
    return MonthDeadlines(month=month, companies=result)


def _replacements(declarations: Sequence[Declaration]) -> dict[uuid.UUID, uuid.UUID]:
    """For each failed declaration, the newest later declaration of the same establishment and
    nature that did not fail (it was sent again); `declarations` are oldest received first."""
    replaced: dict[uuid.UUID, uuid.UUID] = {}
    for index, failed in enumerate(declarations):
        if DeclarationStatus(failed.status) not in FAILED_STATUSES:
            continue
        for later in reversed(declarations[index + 1 :]):
            if (
                later.establishment_id == failed.establishment_id
                and later.nature == failed.nature
                and DeclarationStatus(later.status) not in FAILED_STATUSES
            ):
                replaced[failed.id] = later.id
                break
    return replaced


def monthly_deadline(
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
    due_day: int | None = None,
    sort: str = "urgence",
    limit: int = 50,
    offset: int = 0,
) -> MonthDeadlinesPage:
    """The month's deadlines for many companies: searched (name, SIREN or SIRET prefix), by due
    day, optionally only those with an establishment still to file, counted per establishment;
    most at risk first (pending ones by cut-off, then legal deadline), one page at a time."""
    whole = month_deadlines(session, principal=principal, month=month)
    sirets = company_sirets(session, [c.company.id for c in whole.companies])
    rows = []
    for item in whole.companies:
        own = sirets.get(item.company.id, [])
        if not matches(item.company, own, search) or (
            due_day is not None and item.due_day != due_day
        ):
            continue
        filed = {d.siret: d for d in item.declarations if d.nature == "01" and d.filed}
        done = [filed[s] for s in own if s in filed]
        # A company with no establishment yet has nothing filed either: it is still to do.
        pending = len(done) < max(len(own), 1)
        moments = [d.filed_at or d.received_at for d in done]
        row = CompanyDeadlineRow(
            **item.model_dump(),
            establishments=len(own),
            establishments_filed=len(done),
            pending=pending,
            filed_at=None if pending or not moments else max(moments),
            pending_sirets=[s for s in own if s not in filed],
        )
        if pending_only and not pending:
            continue
        rows.append(row)
    rows.sort(key=_sort_key(sort))
    return MonthDeadlinesPage(
        month=month,
        companies=rows[offset : offset + limit],
        total=len(rows),
        limit=limit,
        offset=offset,
    )


def _sort_key(sort: str) -> Callable[[CompanyDeadlineRow], tuple[Any, ...]]:
    far = datetime.max.replace(tzinfo=UTC)
    if sort == "nom":
        return lambda r: (r.company.name.casefold(), r.company.siren)
    if sort == "echeance":
        return lambda r: (r.deadline or far, r.company.name.casefold())
    # What is at risk first: still to file, by time left before the cut-off, then the deadline.
    return lambda r: (
        not r.pending,
        r.cutoff or far,
        r.deadline or far,
        r.company.name.casefold(),
    )


def company_sirets(session: Session, company_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Each company's establishments' SIRETs."""
    sirets: dict[uuid.UUID, list[str]] = {}
    for establishment in tenants_repository.list_establishments(session, company_ids=company_ids):
        sirets.setdefault(establishment.company_id, []).append(establishment.siret)
    return sirets


def matches(company: CompanyRef, sirets: Sequence[str], search: str | None) -> bool:
    """Whether a company answers a search: part of its name, its SIREN's or a SIRET's start."""
    needle = (search or "").strip().casefold().replace(" ", "")
    if not needle:
        return True
    return (
        needle in company.name.casefold().replace(" ", "")
        or company.siren.startswith(needle)
        or any(siret.startswith(needle) for siret in sirets)
    )
