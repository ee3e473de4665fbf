"""The deposit point's returns across every declaration of the tenant, with filters."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime

from api.deps import PrincipalDep, SessionDep, reject_unknown_parameters
from api.errors import responses
from dsnlink.transmission import views
from dsnlink.transmission.views import ReturnPage

router = APIRouter(tags=["returns"])

PARAMETERS = frozenset(
    {
        "declaration_id",
        "siret",
        "nature",
        "status",
        "published_after",
        "published_before",
        "cursor",
        "limit",
    }
)


@router.get(
    "/returns",
    summary="Every return of the deposit point (AEE, CCO, BAN, CRM...) across declarations",
    description="Oldest stored first; follow `next_cursor` to read new returns as they come. "
    "An unknown query parameter is refused (422).",
    responses=responses(422),
)
def list_returns(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    declaration_id: uuid.UUID | None = None,
    siret: Annotated[str | None, Query(pattern=r"^\d{14}$")] = None,
    nature: Annotated[str | None, Query(pattern=r"^\d{2}$", description="10 AEE, 11 CCO…")] = None,
    status: Annotated[str | None, Query(pattern=r"^(OK|ANO|KO)$")] = None,
    published_after: Annotated[AwareDatetime | None, Query(description="inclusive")] = None,
    published_before: Annotated[AwareDatetime | None, Query(description="exclusive")] = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ReturnPage:
    reject_unknown_parameters(request, PARAMETERS)
    return views.list_returns(
        session,
        principal=principal,
        declaration_id=declaration_id,
        siret=siret,
        nature=nature,
        status=status,
        published_after=published_after,
        published_before=published_before,
        cursor=cursor,
        limit=limit,
    )
