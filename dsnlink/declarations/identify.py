"""Which of the tenant's companies and establishments a DSN file is about."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from dsnlink.declarations.errors import ForeignEstablishment, UnidentifiableDeclaration
from dsnlink.tenants import repository as tenants_repository
from dsnlink.tenants.companies import check_siren, check_siret
from dsnlink.tenants.models import Company, Establishment
from dsnlink.tenants.schemas import Principal


@dataclass(frozen=True)
class Identified:
    nature: str
    type: str
    month: str
    individuals: int
    event_date: str | None = None
    order_number: str | None = None
    replaced_id: str | None = None


def identify(
    session: Session,
    *,
    principal: Principal,
    declarations: Sequence[Any],
    anomalies: list[dict[str, Any]],
) -> tuple[Company, Establishment, Identified]:
    """The tenant's company and establishment the file is about; every S20 block must be ours,
    and inside a restricted user's company scope."""
    tenant_id = principal.tenant_id
    found: list[tuple[Company, Establishment]] = []
    for item in declarations:
        siren, nic = item.siren, item.nic
        if not (siren and nic and item.nature and item.type and item.month):
            continue
        establishment = tenants_repository.get_establishment_by_siret(
            session, tenant_id=tenant_id, siret=siren + nic
        )
        if establishment is None and principal.company_ids is not None:
            raise not_for_this_user(None, siren=siren, nic=nic)
        if establishment is None:
            # A wrong key is a typing error in the file, not an unknown company: say so.
            check_siren(siren)
            check_siret(siren + nic)
            company = tenants_repository.get_company_by_siren(
                session, tenant_id=tenant_id, siren=siren
            )
            if company is None:
                raise ForeignEstablishment(
                    f"SIREN {siren} is not a company registered for this tenant: register it "
                    "with POST /v1/companies",
                    siren=siren,
                    siret=siren + nic,
                    nic=nic,
                    missing="company",
                )
            raise ForeignEstablishment(
                f"SIRET {siren + nic} is not an establishment registered for company {siren}: "
                f"add NIC {nic} with PATCH /v1/companies/{company.id}",
                siren=siren,
                siret=siren + nic,
                nic=nic,
                company_id=str(company.id),
                missing="establishment",
            )
        company = tenants_repository.get_company(
            session, tenant_id=tenant_id, company_id=establishment.company_id
        )
        assert company is not None  # an establishment always belongs to a company
        if not principal.may_see(company.id):
            raise not_for_this_user(establishment)
        found.append((company, establishment))
    first = next(
        (d for d in declarations if d.siren and d.nic and d.nature and d.type and d.month), None
    )
    if first is None or not found:
        raise UnidentifiableDeclaration(
            "no declaration with a readable nature, type, month, SIREN and NIC was found in the "
            "file: it cannot be filed for any company",
            anomalies=anomalies[:20],
        )
    company, establishment = found[0]
    identified = Identified(
        nature=first.nature,
        type=first.type,
        month=first.month,
        individuals=first.individuals,
        event_date=first.event_date,
        order_number=first.order_number,
        replaced_id=first.replaced_id,
    )
    return company, establishment, identified


def not_for_this_user(
    establishment: Establishment | None, *, siren: str = "", nic: str = ""
) -> ForeignEstablishment:
    """One answer for a restricted user, whether the establishment is unknown to the tenant or
    belongs to a company outside the user's scope: the difference would tell them which
    companies the tenant has."""
    siret = establishment.siret if establishment is not None else siren + nic
    return ForeignEstablishment(
        f"SIRET {siret} is not among the establishments this user may file for",
        siren=siret[:9],
        siret=siret,
    )
