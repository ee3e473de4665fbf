"""Declarants: net-entreprises identities (their password is stored encrypted, never shown)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.errors import responses
from dsnlink.tenants import declarants
from dsnlink.tenants.schemas import DeclarantCreate, DeclarantRead

router = APIRouter(tags=["declarants"])


@router.post(
    "/declarants",
    status_code=201,
    summary="Register a declarant (administrators)",
    responses=responses(403),
)
def create_declarant(
    body: DeclarantCreate, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> DeclarantRead:
    return declarants.create_declarant(
        session, principal=principal, data=body, keyring=runtime.keyring, clock=runtime.clock
    )


@router.get("/declarants", summary="List declarants (administrators)", responses=responses(403))
def list_declarants(
    session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> list[DeclarantRead]:
    return declarants.list_declarants(session, principal=principal, keyring=runtime.keyring)
