"""The caller's tenant, its API keys and its administrator audit trail."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.errors import responses
from dsnlink.tenants import keys, service
from dsnlink.tenants.schemas import (
    AdministratorChangeRead,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    TenantRead,
)

router = APIRouter(tags=["tenant"])


@router.get("/tenant", summary="The caller's tenant: offering, limits, activation time")
def read_tenant(session: SessionDep, principal: PrincipalDep) -> TenantRead:
    return service.read_tenant(session, principal=principal)


@router.get(
    "/administrator-changes",
    summary="Audit trail of administrator changes (administrators)",
    responses=responses(403),
)
def list_administrator_changes(
    session: SessionDep, principal: PrincipalDep
) -> list[AdministratorChangeRead]:
    return [
        AdministratorChangeRead.model_validate(change, from_attributes=True)
        for change in service.list_administrator_changes(session, principal=principal)
    ]


@router.post(
    "/api-keys",
    status_code=201,
    summary="Create an API key (administrators); the key is shown once",
    description="The tenant's first key activates it (Mise en service).",
    responses=responses(403, 404),
)
def create_api_key(
    body: ApiKeyCreate, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> ApiKeyCreated:
    key, plaintext = service.create_api_key(
        session,
        principal=principal,
        name=body.name,
        user_id=body.user_id,
        secret=runtime.settings.secret_key,
        clock=runtime.clock,
        scopes=[str(scope) for scope in body.scopes] if body.scopes is not None else None,
        expires_at=body.expires_at,
    )
    return ApiKeyCreated(
        **ApiKeyRead.model_validate(key, from_attributes=True).model_dump(), key=plaintext
    )


@router.get(
    "/api-keys", summary="List the tenant's API keys (administrators)", responses=responses(403)
)
def list_api_keys(session: SessionDep, principal: PrincipalDep) -> list[ApiKeyRead]:
    return [
        ApiKeyRead.model_validate(key, from_attributes=True)
        for key in service.list_api_keys(session, principal=principal)
    ]


@router.delete(
    "/api-keys/{key_id}",
    summary="Revoke an API key (administrators); it fails at once",
    responses=responses(403, 404, 409),
)
def revoke_api_key(
    key_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> ApiKeyRead:
    key = keys.revoke_api_key(session, principal=principal, key_id=key_id, clock=runtime.clock)
    return ApiKeyRead.model_validate(key, from_attributes=True)
