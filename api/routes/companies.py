"""Companies (SIREN) and their establishments (SIRET)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.errors import responses
from dsnlink.tenants import companies
from dsnlink.tenants.schemas import CompanyCreate, CompanyRead, CompanyUpdate

router = APIRouter(tags=["companies"])


@router.post(
    "/companies",
    status_code=201,
    summary="Register a company and its establishments (administrators)",
    description="SIREN and SIRET keys are checked (La Poste's exception included).",
    responses=responses(403, 404, 409),
)
def register_company(
    body: CompanyCreate, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> CompanyRead:
    return companies.register_company(session, principal=principal, data=body, clock=runtime.clock)


@router.get("/companies", summary="List the tenant's companies")
def list_companies(session: SessionDep, principal: PrincipalDep) -> list[CompanyRead]:
    return companies.list_companies(session, principal=principal)


@router.get("/companies/{company_id}", summary="One company", responses=responses(404))
def read_company(
    company_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> CompanyRead:
    return companies.read_company(session, principal=principal, company_id=company_id)


@router.patch(
    "/companies/{company_id}",
    summary="Update a company, name its declarant, add establishments (administrators)",
    responses=responses(403, 404, 409),
)
def update_company(
    company_id: uuid.UUID,
    body: CompanyUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
) -> CompanyRead:
    return companies.update_company(
        session, principal=principal, company_id=company_id, data=body, clock=runtime.clock
    )
