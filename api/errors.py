"""Every error as RFC 9457 problem+json, with a stable `type` per domain error code.

Domain errors know nothing of HTTP: this module maps each class (by its MRO) to a status. The
`type` is `PROBLEM_BASE + exc.code`; the error's typed context becomes extension members. The
`title` and `detail` a person reads are French, written from the code and the context
(api/problem_texts.py); `Accept-Language: en` gives the domain's English message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.problem_texts import texts, wants_english
from dsnlink.declarations.errors import UnsupportedUpload, UploadTooLarge
from dsnlink.errors import (
    ConflictError,
    DeadlineError,
    DsnlinkError,
    ForbiddenError,
    InputError,
    LimitExceeded,
    NotFoundError,
    UnavailableError,
    UnreadableInputError,
)
from dsnlink.tenants.errors import AuthenticationRequired

PROBLEM_BASE = "https://dsnlink.example/problems/"
PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("dsnlink.api")

# Most specific first: the first class in an error's MRO found here gives its status.
STATUS_BY_ERROR: dict[type[DsnlinkError], int] = {
    AuthenticationRequired: 401,
    UploadTooLarge: 413,
    UnsupportedUpload: 415,
    UnreadableInputError: 400,
    InputError: 422,
    NotFoundError: 404,
    ForbiddenError: 403,
    ConflictError: 409,
    LimitExceeded: 422,
    DeadlineError: 422,
    UnavailableError: 503,
}


class Problem(BaseModel):
    """RFC 9457 problem details; extension members carry the error's typed context."""

    type: str = Field(examples=[PROBLEM_BASE + "duplicate-declaration"])
    title: str = Field(
        examples=["Déclaration déjà reçue"],
        description="in French (English with Accept-Language: en)",
    )
    status: int = Field(examples=[409])
    detail: str = Field(
        examples=[
            "Ce fichier a déjà été reçu (déclaration …) : il n'est pas enregistré une seconde fois."
        ],
        description="in French (English with Accept-Language: en); times in Europe/Paris",
    )

    model_config = {"extra": "allow"}


def problem_response(
    status: int,
    code: str,
    detail: str,
    /,
    headers: Mapping[str, str] | None = None,
    *,
    title: str | None = None,
    english: bool = False,
    **extra: Any,
) -> JSONResponse:
    """A problem+json answer; `detail` is the English message, the French one is written from
    `code` and `extra` unless `english`."""
    if "status" in extra:  # a context's own `status` (a declaration's) must not hide the HTTP one
        extra.setdefault("current_status", extra["status"])
    if title is not None:
        # The edge's own problems (timeouts, unknown paths...) come with their French title
        # and detail.
        french_title, text = title, detail[:1].upper() + detail[1:]
    else:
        french_title, text = texts(code, status, detail, extra, english=english)
    body = {
        "type": PROBLEM_BASE + code,
        "title": french_title,
        "status": status,
        "detail": text,
        **{k: v for k, v in extra.items() if k not in {"type", "title", "status", "detail"}},
    }
    return JSONResponse(
        jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers
    )


def status_of(exc: DsnlinkError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DsnlinkError)
    status = status_of(exc)
    if status == 500:
        logger.error("unmapped domain error %s", type(exc).__name__, exc_info=exc)
    headers = {"WWW-Authenticate": 'Bearer realm="dsnlink"'} if status == 401 else None
    return problem_response(
        status, exc.code, exc.message, headers, english=_english(request), **exc.context
    )


async def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in exc.errors()
    ]
    return problem_response(
        422,
        "invalid-request",
        "the request does not match what this endpoint takes",
        english=_english(request),
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(
        exc.status_code, HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
    )
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    extra: dict[str, Any] = {}
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no such resource: {request.url.path}"
        extra["path"] = request.url.path
    return problem_response(
        exc.status_code, code, detail, exc.headers, english=_english(request), **extra
    )


async def _concurrent_change(request: Request, exc: Exception) -> JSONResponse:
    """A row changed or vanished under a request (a concurrent deletion): retrying decides."""
    return problem_response(
        409,
        "concurrent-change",
        "what this request changes was changed or removed by another request at the same "
        "moment; read it again before retrying",
        english=_english(request),
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(
        500,
        "internal-error",
        "an unexpected error occurred; it was logged",
        english=_english(request),
    )


def _english(request: Request) -> bool:
    return wants_english(request.headers.get("accept-language"))


def install(app: FastAPI) -> None:
    app.add_exception_handler(DsnlinkError, _domain_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(StaleDataError, _concurrent_change)
    app.add_exception_handler(Exception, _unexpected)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declaration of the problem+json answers a route can give."""
    return {
        status: {
            "model": Problem,
            "content": {PROBLEM_JSON: {}},
            "description": HTTPStatus(status).phrase,
        }
        for status in statuses
    }
