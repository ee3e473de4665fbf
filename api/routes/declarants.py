"""Declarants: net-entreprises identities (their password is stored encrypted, never shown)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import DepositPointDep, PrincipalDep, RuntimeDep, SessionDep
from api.errors import responses
from dsnlink.tenants import declarants
from dsnlink.tenants.schemas import DeclarantCreate, DeclarantRead, DeclarantUpdate
from dsnlink.transmission import credentials

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


@router.patch(
    "/declarants/{declarant_id}",
    summary="Correct a declarant's identity or password (administrators)",
    description="The password is re-encrypted; the identity must be checked again "
    "(`POST /v1/declarants/{id}/check`).",
    responses=responses(403, 404, 422),
)
def update_declarant(
    declarant_id: uuid.UUID,
    body: DeclarantUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
) -> DeclarantRead:
    return declarants.update_declarant(
        session, principal=principal, declarant_id=declarant_id, data=body, keyring=runtime.keyring
    )


@router.delete(
    "/declarants/{declarant_id}",
    status_code=204,
    summary="Remove a declarant (administrators)",
    description="Its companies no longer have a declarant: no transmission can be ordered for "
    "them until another is set. Refused (409) while their transmissions are under way.",
    responses=responses(403, 404, 409),
)
def remove_declarant(
    declarant_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> Response:
    credentials.remove_declarant(
        session, principal=principal, declarant_id=declarant_id, clock=runtime.clock
    )
    return Response(status_code=204)


@router.post(
    "/declarants/{declarant_id}/check",
    summary="Test a declarant's credentials at the deposit point (administrators)",
    description="A declarant-scoped listing through the concentrator: `check_status` says whether "
    "the deposit point knows this identity (`ok`), does not (`unknown`), refuses it (`rejected`), "
    "or did not answer (`unreachable`). `unknown` and `rejected` block ordering transmissions "
    "until the identity is corrected and checked again.",
    responses=responses(403, 404),
)
def check_declarant(
    declarant_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    deposit_point: DepositPointDep,
) -> DeclarantRead:
    return credentials.check_declarant(
        session,
        principal=principal,
        declarant_id=declarant_id,
        client=deposit_point,
        keyring=runtime.keyring,
        clock=runtime.clock,
    )
