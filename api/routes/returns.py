"""Returns of the deposit point and the organisms for a declaration: the documents as published,
read for people (JSON, a printable page) and their anomalies as CSV."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from api.deps import PrincipalDep, RuntimeDep, SessionDep
from api.errors import responses
from api.pages import render_page
from dsnlink.deposit_point.returns import anomalies_csv
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
    raw = transmission_views.read_return_raw(
        session,
        principal=principal,
        declaration_id=declaration_id,
        return_id=return_id,
        keyring=runtime.keyring,
    )
    # Byte for byte: the document declares its own encoding (OC CRMs are ISO-8859-1).
    return Response(raw, media_type="application/xml")


@router.get(
    "/declarations/{declaration_id}/returns/{return_id}/document",
    summary="One return read for people: what it is, its verdict, the next step, its anomalies "
    "by employee",
    responses=responses(404),
)
def read_return_document(
    declaration_id: uuid.UUID,
    return_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
) -> transmission_views.ReturnDocumentRead:
    read, _ = transmission_views.read_return_document(
        session,
        principal=principal,
        declaration_id=declaration_id,
        return_id=return_id,
        keyring=runtime.keyring,
    )
    return read


@router.get(
    "/declarations/{declaration_id}/returns/{return_id}/anomalies.csv",
    summary="The anomalies of one return as CSV (French columns, `;`, for a spreadsheet)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **responses(404)},
)
def read_return_anomalies_csv(
    declaration_id: uuid.UUID,
    return_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
) -> Response:
    _, document = transmission_views.read_return_document(
        session,
        principal=principal,
        declaration_id=declaration_id,
        return_id=return_id,
        keyring=runtime.keyring,
    )
    return Response(
        anomalies_csv(document).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="anomalies-retour-{return_id}.csv"'
        },
    )


@router.get(
    "/declarations/{declaration_id}/returns/{return_id}/print",
    summary="One return as a printable page (French; print it to PDF from the browser)",
    response_class=HTMLResponse,
    responses=responses(404),
)
def print_return(
    declaration_id: uuid.UUID,
    return_id: str,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
) -> HTMLResponse:
    read, _ = transmission_views.read_return_document(
        session,
        principal=principal,
        declaration_id=declaration_id,
        return_id=return_id,
        keyring=runtime.keyring,
    )
    html = render_page("return.html", document=read, declaration_id=declaration_id)
    return HTMLResponse(html)
