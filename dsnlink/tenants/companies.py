"""Companies of a tenant and their establishments (SIREN/SIRET checked), each with its declarant."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from sqlmodel import Session
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from dsnlink.clock import Clock
from dsnlink.errors import NotFoundError
from dsnlink.tenants import limits, repository
from dsnlink.tenants.errors import (
    AlreadyExists,
    InvalidSiren,
    InvalidSiret,
)
from dsnlink.tenants.models import (
    Company,
    Establishment,
)
from dsnlink.tenants.schemas import (
    CompanyCreate,
    CompanyRead,
    CompanyUpdate,
    EstablishmentCreate,
    EstablishmentRead,
    Principal,
)
from dsnlink.tenants.service import require_admin


def check_siren(siren: str) -> str:
    if not (re.fullmatch(r"\d{9}", siren) and stdnum_siren.is_valid(siren)):
        raise InvalidSiren(f"SIREN {siren} is not valid (wrong check digit)", siren=siren)
    return siren


def check_siret(siret: str) -> str:
    """A SIRET's key, La Poste's (SIREN 356000000: digit sum a multiple of 5) included."""
    if not (re.fullmatch(r"\d{14}", siret) and stdnum_siret.is_valid(siret)):
        raise InvalidSiret(f"SIRET {siret} is not valid (wrong check digit)", siret=siret)
    return siret


def _describe_company(company: Company, establishments: Sequence[Establishment]) -> CompanyRead:
    return CompanyRead(
        id=company.id,
        siren=company.siren,
        name=company.name,
        due_day=company.due_day,
        declarant_id=company.declarant_id,
        establishments=[
            EstablishmentRead(id=e.id, nic=e.nic, siret=e.siret, name=e.name)
            for e in establishments
            if e.company_id == company.id
        ],
        created_at=company.created_at,
    )


def _add_establishments(
    session: Session, *, company: Company, items: Sequence[EstablishmentCreate], clock: Clock
) -> None:
    seen: set[str] = set()
    for item in items:
        siret = check_siret(company.siren + item.nic)
        if siret in seen or repository.get_establishment_by_siret(
            session, tenant_id=company.tenant_id, siret=siret
        ):
            raise AlreadyExists(f"establishment {siret} is already registered", siret=siret)
        seen.add(siret)
        session.add(
            Establishment(
                tenant_id=company.tenant_id,
                company_id=company.id,
                nic=item.nic,
                siret=siret,
                name=item.name,
                created_at=clock.now(),
            )
        )


def _check_declarant(
    session: Session, *, tenant_id: uuid.UUID, declarant_id: uuid.UUID | None
) -> None:
    if declarant_id is not None and not repository.get_declarant(
        session, tenant_id=tenant_id, declarant_id=declarant_id
    ):
        raise NotFoundError(f"no declarant {declarant_id}", declarant_id=str(declarant_id))


def register_company(
    session: Session, *, principal: Principal, data: CompanyCreate, clock: Clock
) -> CompanyRead:
    require_admin(principal)
    check_siren(data.siren)
    existing = repository.get_company_by_siren(
        session, tenant_id=principal.tenant_id, siren=data.siren
    )
    if existing is not None:
        raise AlreadyExists(
            f"company {data.siren} is already registered",
            siren=data.siren,
            company_id=str(existing.id),
        )
    limits.check_limit(
        session,
        tenant_id=principal.tenant_id,
        name="companies",
        count_after=len(repository.list_companies(session, tenant_id=principal.tenant_id)) + 1,
    )
    _check_declarant(session, tenant_id=principal.tenant_id, declarant_id=data.declarant_id)
    company = Company(
        tenant_id=principal.tenant_id,
        siren=data.siren,
        name=data.name,
        due_day=data.due_day,
        declarant_id=data.declarant_id,
        created_at=clock.now(),
    )
    session.add(company)
    session.flush()
    _add_establishments(session, company=company, items=data.establishments, clock=clock)
    session.flush()
    return _describe_company(
        company, repository.list_establishments(session, company_ids=[company.id])
    )


def list_companies(session: Session, *, principal: Principal) -> list[CompanyRead]:
    """The companies the principal may see (every company of the tenant unless restricted)."""
    companies = repository.list_companies(
        session, tenant_id=principal.tenant_id, company_ids=principal.company_ids
    )
    establishments = repository.list_establishments(session, company_ids=[c.id for c in companies])
    return [_describe_company(c, establishments) for c in companies]


def get_company_or_raise(
    session: Session, *, tenant_id: uuid.UUID, company_id: uuid.UUID
) -> Company:
    company = repository.get_company(session, tenant_id=tenant_id, company_id=company_id)
    if company is None:
        raise NotFoundError(f"no company {company_id}", company_id=str(company_id))
    return company


def read_company(session: Session, *, principal: Principal, company_id: uuid.UUID) -> CompanyRead:
    company = get_company_or_raise(session, tenant_id=principal.tenant_id, company_id=company_id)
    if not principal.may_see(company.id):
        # Outside a restricted user's scope: answered exactly like another tenant's company.
        raise NotFoundError(f"no company {company_id}", company_id=str(company_id))
    return _describe_company(
        company, repository.list_establishments(session, company_ids=[company.id])
    )


def update_company(
    session: Session,
    *,
    principal: Principal,
    company_id: uuid.UUID,
    data: CompanyUpdate,
    clock: Clock,
) -> CompanyRead:
    require_admin(principal)
    company = get_company_or_raise(session, tenant_id=principal.tenant_id, company_id=company_id)
    if data.name is not None:
        company.name = data.name
    if data.due_day is not None:
        company.due_day = data.due_day
    if "declarant_id" in data.model_fields_set:
        _check_declarant(session, tenant_id=principal.tenant_id, declarant_id=data.declarant_id)
        company.declarant_id = data.declarant_id
    session.add(company)
    _add_establishments(session, company=company, items=data.establishments, clock=clock)
    session.flush()
    return _describe_company(
        company, repository.list_establishments(session, company_ids=[company.id])
    )


def find_establishment(
    session: Session, *, tenant_id: uuid.UUID, siret: str
) -> Establishment | None:
    return repository.get_establishment_by_siret(session, tenant_id=tenant_id, siret=siret)
