"""Declarations: intake, tracking, the transmission order, receipts, the month's deadlines."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import AwareDatetime
from starlette.background import BackgroundTask

from api.deps import PrincipalDep, RuntimeDep, SessionDep, reject_unknown_parameters
from api.errors import responses
from dsnlink.declarations import lifecycle, monthly, ordering, service, tracking
from dsnlink.declarations.errors import UnsupportedUpload, UploadTooLarge
from dsnlink.declarations.idempotency import StoredAnswer
from dsnlink.declarations.models import DeclarationStatus
from dsnlink.declarations.repository import DeclarationFilters
from dsnlink.declarations.schemas import (
    DeclarationPage,
    DeclarationRead,
    MonthDeadlines,
    PublicKeyRead,
    ReceiptRead,
)
from dsnlink.logs.logging import bind_log_fields
from dsnlink.transmission import views as transmission_views
from dsnlink.transmission.views import DeclarationDetail

router = APIRouter(tags=["declarations"])

ACCEPTED_TYPES = frozenset({"application/octet-stream", "text/plain"})
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "the DSN file itself (ISO-8859-1), optionally with Content-Encoding: gzip",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}} for media in ACCEPTED_TYPES
        },
    }
}


IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description=(
            "a unique key per request (a UUID): a retry with the same key and the same request "
            "within 24 h gets the original answer (header `Idempotent-Replayed: true`); the same "
            "key with another request is refused (422)"
        ),
        max_length=255,
    ),
]


def _replayed(answer: StoredAnswer) -> JSONResponse:
    return JSONResponse(
        answer.body, status_code=answer.status_code, headers={"Idempotent-Replayed": "true"}
    )


def _check_upload_headers(request: Request, max_bytes: int) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ACCEPTED_TYPES:
        raise UnsupportedUpload(
            f"Content-Type {media_type or '(none)'!r} is not accepted: send the raw DSN file as "
            "application/octet-stream or text/plain",
            content_type=media_type or None,
        )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise UploadTooLarge(f"the body is larger than {max_bytes} bytes", max_bytes=max_bytes)


@router.post(
    "/declarations",
    status_code=201,
    summary="Post a DSN file",
    description=(
        "The body is streamed to encrypted storage and validated against the norm of its "
        "version. A file the controls reject is stored with status `rejected` and its "
        "anomalies; it can never be transmitted. A refused upload (400, 403, 409, 413, 415, "
        "422) stores nothing. After the cut-off the upload is refused unless "
        "`accept_late=true`; it is then accepted with `guaranteed=false`. With "
        "`transmit=true` a validated declaration is also ordered for transmission."
    ),
    openapi_extra=UPLOAD_BODY,
    response_model=DeclarationRead,
    responses=responses(400, 403, 409, 413, 415, 422),
)
async def post_declaration(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    accept_late: Annotated[
        bool, Query(description="accept after the cut-off, without guarantee")
    ] = False,
    transmit: Annotated[bool, Query(description="also order its transmission")] = False,
    filename: Annotated[str | None, Query(max_length=255)] = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> DeclarationRead | JSONResponse:
    _check_upload_headers(request, runtime.settings.max_upload_bytes)
    received = await service.receive_declaration_once(
        session,
        principal=principal,
        chunks=request.stream(),
        content_encoding=request.headers.get("content-encoding"),
        filename=filename,
        accept_late=accept_late,
        transmit=transmit,
        runtime=runtime.intake,
        idempotency_key=idempotency_key,
    )
    if isinstance(received, StoredAnswer):
        return _replayed(received)
    bind_log_fields(declaration_id=received.id)
    return received


LISTING_PARAMETERS = frozenset(
    {
        "company_id",
        "establishment_id",
        "siret",
        "month",
        "nature",
        "type",
        "status",
        "received_after",
        "received_before",
        "updated_since",
        "cursor",
        "limit",
        "offset",
    }
)


@router.get(
    "/declarations",
    summary="List declarations: newest first, or by status change with `updated_since`",
    description=(
        "Follow changes without polling everything: pass `updated_since` (the time of your last "
        "sync; declarations whose status changed since then, oldest change first) and follow "
        "`next_cursor` page by page (keyset pagination, stable while declarations arrive). An "
        "unknown query parameter is refused (422) rather than ignored."
    ),
    responses=responses(422),
)
def list_declarations(
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    company_id: uuid.UUID | None = None,
    establishment_id: uuid.UUID | None = None,
    siret: Annotated[str | None, Query(pattern=r"^\d{14}$")] = None,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
    nature: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    type: Annotated[str | None, Query(pattern=r"^\d{2}$", description="S20.G00.05.002")] = None,
    status: DeclarationStatus | None = None,
    received_after: Annotated[AwareDatetime | None, Query(description="inclusive")] = None,
    received_before: Annotated[AwareDatetime | None, Query(description="exclusive")] = None,
    updated_since: Annotated[
        AwareDatetime | None, Query(description="status changed at or after (inclusive)")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> DeclarationPage:
    reject_unknown_parameters(request, LISTING_PARAMETERS)
    return tracking.list_declarations(
        session,
        principal=principal,
        filters=DeclarationFilters(
            company_id=company_id,
            establishment_id=establishment_id,
            month=month,
            nature=nature,
            status=status,
            siret=siret,
            type=type,
            received_after=received_after,
            received_before=received_before,
            updated_since=updated_since,
        ),
        limit=limit,
        offset=offset,
        cursor=cursor,
    )


@router.get(
    "/declarations/{declaration_id}",
    summary="One declaration, with its anomalies and timeline",
    responses=responses(404),
)
def read_declaration(
    declaration_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> DeclarationDetail:
    return transmission_views.read_declaration(
        session, principal=principal, declaration_id=declaration_id, keyring=runtime.keyring
    )


@router.post(
    "/declarations/{declaration_id}/transmit",
    summary="Order the transmission of a declaration (mandate)",
    description=(
        "Records who ordered it and when, and queues it durably in the same transaction. "
        "409 already-ordered; 422 declaration-rejected; 403 tenant-not-activated."
    ),
    response_model=DeclarationRead,
    responses=responses(403, 404, 409, 422),
)
def order_transmission(
    declaration_id: uuid.UUID,
    session: SessionDep,
    principal: PrincipalDep,
    runtime: RuntimeDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> DeclarationRead | JSONResponse:
    ordered = ordering.order_transmission_once(
        session,
        principal=principal,
        declaration_id=declaration_id,
        clock=runtime.clock,
        keyring=runtime.keyring,
        idempotency_key=idempotency_key,
    )
    return _replayed(ordered) if isinstance(ordered, StoredAnswer) else ordered


@router.get(
    "/declarations/{declaration_id}/receipt",
    summary="The signed receipt of a declaration",
    description="Verify `signature` (Ed25519) over the canonical JSON of `payload` with the "
    "key of `GET /v1/receipts/public-key`.",
    responses=responses(404),
)
def read_receipt(
    declaration_id: uuid.UUID, session: SessionDep, principal: PrincipalDep
) -> ReceiptRead:
    return tracking.read_receipt(session, principal=principal, declaration_id=declaration_id)


@router.get(
    "/declarations/{declaration_id}/deposit-receipt",
    summary="The signed deposit receipt: the deposit point holds the file (idflux, time)",
    description="Available once the deposit point holds the file (404 `not-deposited` before). "
    "Verify it like the intake receipt; its `sha256` is the intake receipt's.",
    responses=responses(404),
)
def read_deposit_receipt(
    declaration_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> ReceiptRead:
    return transmission_views.read_deposit_receipt(
        session, principal=principal, declaration_id=declaration_id, signer=runtime.signer
    )


@router.delete(
    "/declarations/{declaration_id}",
    status_code=204,
    summary="Delete a declaration that was validated (or rejected) and never ordered",
    description="Nothing left the gateway: the declaration, its timeline and its encrypted file "
    "are removed (the deletion is audited). 409 `not-cancellable` once its transmission was "
    "ordered.",
    responses=responses(404, 409),
)
def delete_declaration(
    declaration_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> Response:
    deleted = lifecycle.delete_declaration(
        session,
        principal=principal,
        declaration_id=declaration_id,
        blobs=runtime.blobs,
        clock=runtime.clock,
    )
    # The file goes once the deletion is committed (the response is sent after the commit).
    return Response(
        status_code=204,
        background=BackgroundTask(deleted.blob.unlink, missing_ok=True),
    )


@router.get(
    "/declarations/{declaration_id}/file",
    summary="Download the original file as received (decompressed); the download is audited",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
            "description": "the DSN file",
        },
        **responses(404),
    },
)
def download_file(
    declaration_id: uuid.UUID, session: SessionDep, principal: PrincipalDep, runtime: RuntimeDep
) -> StreamingResponse:
    original = lifecycle.download_original(
        session,
        principal=principal,
        declaration_id=declaration_id,
        blobs=runtime.blobs,
        clock=runtime.clock,
    )
    safe = "".join(c for c in original.filename if c.isalnum() or c in "._-") or "declaration.dsn"
    return StreamingResponse(
        original.chunks,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "Content-Length": str(original.size),
        },
    )


@router.get("/receipts/public-key", summary="The public key verifying receipts (no auth)")
def receipt_public_key(runtime: RuntimeDep) -> PublicKeyRead:
    return tracking.receipt_public_key(runtime.signer)


@router.get("/deadlines", summary="Per company: the month's deadline, cut-off and what was filed")
def month_deadlines(
    session: SessionDep,
    principal: PrincipalDep,
    month: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-10"])],
) -> MonthDeadlines:
    return monthly.month_deadlines(session, principal=principal, month=month)
