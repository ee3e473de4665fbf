"""The tenant's users and their roles (administrators only)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.errors import responses
from dsnlink.tenants import service
from dsnlink.tenants.schemas import UserCreate, UserRead, UserUpdate

router = APIRouter(tags=["users"])


@router.post(
    "/users",
    status_code=201,
    summary="Add a user (administrators)",
    description="Roles: `saas_admin`, `external_saas_admin` (at most one), `user`. "
    "`company_ids` restricts a `user` to those companies' dossiers (a client company's user); "
    "`password` lets the user sign in to the dashboard (`/app`).",
    responses=responses(403, 404, 409),
)
def create_user(
    body: UserCreate, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> UserRead:
    user = service.create_user(
        session,
        principal=principal,
        email=body.email,
        role=body.role,
        clock=runtime.clock,
        company_ids=body.company_ids,
        password=body.password.get_secret_value() if body.password else None,
    )
    return service.describe_user(session, user)


@router.patch(
    "/users/{user_id}",
    summary="Change a user's company scope or dashboard password (administrators)",
    description="`company_ids`: the companies the user may see, `[]` lifts the restriction.",
    responses=responses(403, 404),
)
def update_user(
    user_id: uuid.UUID, body: UserUpdate, session: SessionDep, principal: PrincipalDep
) -> UserRead:
    user = service.update_user(
        session,
        principal=principal,
        user_id=user_id,
        company_ids=body.company_ids,
        password=body.password.get_secret_value() if body.password else None,
    )
    return service.describe_user(session, user)


@router.get("/users", summary="List the tenant's users (administrators)", responses=responses(403))
def list_users(session: SessionDep, principal: PrincipalDep) -> list[UserRead]:
    return [
        service.describe_user(session, user)
        for user in service.list_users(session, principal=principal)
    ]


@router.delete(
    "/users/{user_id}",
    status_code=204,
    summary="Remove a user and revoke their keys (administrators)",
    description="The last SaaS administrator cannot be removed (409 last-administrator).",
    responses=responses(403, 404, 409),
)
def remove_user(
    user_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> Response:
    service.remove_user(session, principal=principal, user_id=user_id, clock=runtime.clock)
    return Response(status_code=204)
