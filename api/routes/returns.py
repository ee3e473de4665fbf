"""Returns of the deposit point for a declaration: the XML documents as published."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.errors import responses
from dsnlink.transmission import views as transmission_views

router = APIRouter(tags=["declarations"])


@router.get(
    "/declarations/{declaration_id}/returns/{return_id}",
    summary="One return of the deposit point (AEE, CCO, BAN, CRM...) as its XML document",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}, **responses(404)},
)
def read_return(
    declaration_id: uuid.UUID,
    return_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
) -> Response:
    xml = transmission_views.read_return_xml(
        session,
        principal=principal,
        declaration_id=declaration_id,
        return_id=return_id,
        keyring=runtime.keyring,
    )
    return Response(xml.encode("utf-8"), media_type="application/xml")
