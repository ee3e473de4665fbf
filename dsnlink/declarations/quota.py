"""The payslip quota of an offering: payslips per company per year, counted from the monthly
declarations (an annule-et-remplace replaces its month, any other type adds to it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlmodel import Session

from dsnlink.declarations import repository
from dsnlink.declarations.errors import QuotaExceeded
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.models import Company, Establishment

REPLACING_TYPES = frozenset({"03", "05"})


def payslips_counted(declarations: Iterable[tuple[uuid.UUID, str, str, int]]) -> int:
    """Payslips of a year from (establishment, month, type, individuals), oldest first.

    An annule-et-remplace (types 03 and 05) replaces what the establishment declared for that
    month; any other type adds to it.
    """
    per_month: dict[tuple[uuid.UUID, str], int] = {}
    for establishment_id, month, type_, individuals in declarations:
        key = (establishment_id, month)
        per_month[key] = individuals + (0 if type_ in REPLACING_TYPES else per_month.get(key, 0))
    return sum(per_month.values())


def check_quota(
    session: Session,
    *,
    company: Company,
    establishment: Establishment,
    nature: str,
    type_: str,
    month: str,
    individuals: int,
) -> None:
    if nature != "01":
        return
    tenant = tenants_service.get_tenant_or_raise(session, tenant_id=company.tenant_id)
    limit = tenants_service.payslip_limit(session, tenant=tenant)
    if limit is None:
        return
    year = int(month[:4])
    rows = [
        (d.establishment_id, d.month, d.type, d.individuals)
        for d in repository.list_monthly_for_year(session, company_id=company.id, year=year)
    ]
    used = payslips_counted(rows)
    after = payslips_counted([*rows, (establishment.id, month, type_, individuals)])
    if after > limit:
        raise QuotaExceeded(
            f"company {company.siren} would reach {after} payslips in {year}, over the limit of "
            f"{limit} per company per year of the {tenant.offering} offering; ask the operator "
            "to raise the tenant's limit",
            siren=company.siren,
            year=year,
            limit=limit,
            used=used,
            requested=individuals,
        )
