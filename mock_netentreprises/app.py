"""HTTP edge of the mock deposit point: the API DSN (`/1.0/` XML, `/2.0/` JSON) and `/_mock/`."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from fastapi import FastAPI, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from lxml import etree
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_netentreprises.clock import Clock
from mock_netentreprises.config import RETURN_NATURES, Account, DepositThenFail, MockConfig
from mock_netentreprises.reports import Declarant
from mock_netentreprises.service import (
    CONCENTRATOR_WINDOW,
    DECLARANT_WINDOW,
    ApiError,
    DepositPoint,
    ListedReturn,
)
from mock_netentreprises.store import Flow, ReturnStatus, Store

IDENTIFIANTS = ("siret", "nom", "prenom", "motdepasse", "service")
FIELD_LIMITS = {"siret": 14, "nom": 64, "prenom": 39, "motdepasse": 30, "service": 2}
MSA_IDENTIFIANTS = ("identifiant", "motdepasse")
MSA_FIELD_LIMIT = 30
# The platform's Expires on every 200: do not repeat the same query before then.
ANSWER_FRESHNESS = timedelta(minutes=2)
ADMIN_PREFIX = "/_mock"
XML = "application/xml"
JSON = "application/json"
TOKEN_TYPE = "application/octet-stream"
LOGIN_TYPES = frozenset({"application/xml", "text/xml"})
DEPOSIT_TYPES = frozenset({"text/plain"})
VERSIONS = ("1.0", "2.0")


class ConnectionDropped(RuntimeError):
    """Raised after the response started, so the server cuts the connection mid-answer."""


class ClockAdvance(BaseModel):
    seconds: float = Field(ge=0)


def create_app(
    config: MockConfig | None = None,
    *,
    clock: Clock | None = None,
    state_file: Path | None = None,
) -> FastAPI:
    """The mock as an ASGI app; `clock` lets tests fast-forward the publication of returns."""
    point = DepositPoint(
        config or MockConfig(), clock=clock or Clock(), store=Store(state_file=state_file)
    )
    app = FastAPI(
        title="mock net-entreprises API DSN",
        description="Stand-in for the net-entreprises.fr deposit point (API DSN /1.0/ and /2.0/).",
        docs_url=f"{ADMIN_PREFIX}/docs",
        openapi_url=f"{ADMIN_PREFIX}/openapi.json",
        redoc_url=None,
    )
    app.state.point = point
    app.add_middleware(FailureInjection, point=point)
    app.add_exception_handler(StarletteHTTPException, _platform_http_error)
    _api_routes(app, point)
    _admin_routes(app, point)
    return app


class FailureInjection:
    """Latency, hangs, 503 and 500 on API calls, as scripted in the config (never on /_mock)."""

    def __init__(self, app: ASGIApp, point: DepositPoint) -> None:
        self.app = app
        self.point = point

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        config = self.point.config
        if config.latency:
            await asyncio.sleep(config.latency)
        if self.point.roll(config.hang_rate):
            await asyncio.sleep(config.hang_seconds)
        status = 503 if self.point.roll(config.fail_rate) else None
        if status is None and self.point.roll(config.error_rate):
            status = 500
        if status is None:
            await self.app(scope, receive, send)
            return
        await Response(status_code=status)(scope, receive, send)


async def _platform_http_error(request: Request, exc: Exception) -> Response:
    """Unknown route or method: an empty answer with no Content-Type, as the platform gives.

    The `/_mock/` admin API keeps FastAPI's JSON errors.
    """
    assert isinstance(exc, StarletteHTTPException)
    if request.url.path.startswith(ADMIN_PREFIX):
        return await http_exception_handler(request, exc)
    return Response(status_code=exc.status_code, headers=exc.headers)


def _respond(
    point: DepositPoint,
    request: Request,
    body: bytes,
    *,
    status: int = 200,
    media_type: str | None = XML,
    headers: dict[str, str] | None = None,
    no_cache: bool = False,
    compress: bool | None = None,
) -> Response:
    """Every API answer: `Expires` on 200, no-cache if asked, gzip as `compress` says.

    `compress` None negotiates (gzip only when the client's Accept-Encoding asks for it, as the
    reference's RESTEasy @GZIP does); True always compresses; False never does (the login).
    """
    all_headers = dict(headers or {})
    if not body:
        media_type = None
    elif compress or (compress is None and _asks_gzip(request)):
        body = gzip.compress(body, mtime=0)
        all_headers["Content-Encoding"] = "gzip"
    if media_type is not None:
        # Set as a header so Starlette does not add "; charset=utf-8" to a text/* return.
        all_headers["Content-Type"] = media_type
    if status == 200:
        moment = point.clock.now() + ANSWER_FRESHNESS
        all_headers["Expires"] = format_datetime(moment, usegmt=True)
    if no_cache:
        all_headers["Cache-Control"] = "no-cache"
    return Response(body, status_code=status, headers=all_headers)


def _error(point: DepositPoint, request: Request, error: ApiError) -> Response:
    return _respond(point, request, error.body, status=error.status, headers=error.headers)


def _accepts_gzip(request: Request) -> bool:
    header = request.headers.get("accept-encoding")
    if header is None:
        return True
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().casefold() in {"gzip", "*"}:
            quality = params.strip().casefold().replace(" ", "")
            return quality not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}
    return False


def _asks_gzip(request: Request) -> bool:
    """The client said it reads gzip (no Accept-Encoding at all means plain answers)."""
    return request.headers.get("accept-encoding") is not None and _accepts_gzip(request)


def _check_accept(request: Request) -> None:
    if not _accepts_gzip(request):
        raise ApiError(406)


def _check_content_type(request: Request, allowed: frozenset[str]) -> None:
    """415 for a declared type the service does not consume; an absent type is let through."""
    header = request.headers.get("content-type")
    if header is None:
        return
    if header.partition(";")[0].strip().casefold() not in allowed:
        raise ApiError(415)


def _api_routes(app: FastAPI, point: DepositPoint) -> None:
    def route(path: str, methods: list[str]) -> Any:
        def register(handler: Any) -> Any:
            app.add_api_route(path, handler, methods=methods, include_in_schema=False)
            alternate = path[:-1] if path.endswith("/") else path + "/"
            app.add_api_route(alternate, handler, methods=methods, include_in_schema=False)
            return handler

        return register

    @route("/authentifier/1.0/", ["POST"])
    async def authentifier(request: Request) -> Response:
        try:
            _check_content_type(request, LOGIN_TYPES)
            _check_accept(request)
            fields = _identifiants(await request.body())
            token = point.authenticate(**fields)
        except ApiError as error:
            return _error(point, request, error)
        return _respond(
            point, request, token.value.encode("ascii"), media_type=TOKEN_TYPE, compress=False
        )

    @route("/authentifier/2.0/", ["POST"])
    async def authentifier_msa(request: Request) -> Response:
        try:
            _check_content_type(request, LOGIN_TYPES)
            _check_accept(request)
            fields = _msa_identifiants(await _login_body(request))
            token = point.authenticate_msa(**fields)
        except ApiError as error:
            return _error(point, request, error)
        return _respond(
            point, request, token.value.encode("ascii"), media_type=TOKEN_TYPE, compress=False
        )

    for version in VERSIONS:
        _versioned_routes(route, point, version)

    @route("/telecharger-retour/1.0/{idflux}/{idretour}", ["GET"])
    async def telecharger(request: Request, idflux: str, idretour: str) -> Response:
        try:
            _check_accept(request)
            point.check_ids(idflux, idretour)
            caller = point.caller(request.headers.get("authorization"), needs_declarant=False)
            version = point.download(caller, idflux, idretour)
        except ApiError as error:
            return _error(point, request, error)
        return _respond(point, request, version.body, media_type=version.media_type, no_cache=True)


def _versioned_routes(route: Any, point: DepositPoint, version: str) -> None:
    """The routes served as `/1.0/` (XML) and `/2.0/` (JSON) under the same rules."""
    as_json = version == "2.0"

    @route(f"/deposer-dsn/{version}/", ["POST"])
    async def deposer(request: Request) -> Response:
        try:
            raw = await _deposit_body(request)
            caller = point.caller(request.headers.get("authorization"), needs_declarant=True)
            outcome = point.deposit(caller, raw)
        except ApiError as error:
            return _error(point, request, error)
        if outcome.then_fail is DepositThenFail.UNAVAILABLE:
            return Response(status_code=503)
        if outcome.then_fail is DepositThenFail.DROP:
            return _DroppedResponse()
        if outcome.then_fail is DepositThenFail.HANG:
            await asyncio.sleep(point.config.hang_seconds)
        # The reference answers the bilan itself on /2.0/ too, only labelled JSON; its AEE is
        # always gzip-encoded (Content-Encoding set by hand), its ARE only when asked.
        return _respond(
            point,
            request,
            outcome.report,
            status=200 if outcome.accepted else 422,
            media_type=JSON if as_json else XML,
            compress=True if outcome.accepted else None,
        )

    @route(f"/lister-depots/{version}/{{debut}}", ["GET"])
    async def lister_depots(request: Request, debut: str) -> Response:
        return _deposits(request, debut, None)

    @route(f"/lister-depots/{version}/{{debut}}/{{fin}}", ["GET"])
    async def lister_depots_fin(request: Request, debut: str, fin: str) -> Response:
        return _deposits(request, debut, fin)

    def _deposits(request: Request, debut: str, fin: str | None) -> Response:
        try:
            start, end = point.dates(debut, fin)
            _check_accept(request)
            caller = point.caller(request.headers.get("authorization"), needs_declarant=True)
            limit = CONCENTRATOR_WINDOW if caller.token.concentrator else DECLARANT_WINDOW
            point.check_window(start, end, limit_minutes=limit)
            flows = point.deposits(caller, start, end)
        except ApiError as error:
            return _error(point, request, error)
        assert caller.declarant is not None
        ordered = sorted(flows, key=lambda flow: flow.received_at)
        render = _deposits_json if as_json else _deposits_xml
        return _respond(
            point,
            request,
            render(point, caller.declarant, ordered),
            media_type=JSON if as_json else XML,
            no_cache=True,
            headers=_accept_ranges(limit),
        )

    @route(f"/lister-retours-declarant/{version}/{{debut}}", ["GET"])
    async def retours_declarant(request: Request, debut: str) -> Response:
        return _declarant_returns(request, debut, None)

    @route(f"/lister-retours-declarant/{version}/{{debut}}/{{fin}}", ["GET"])
    async def retours_declarant_fin(request: Request, debut: str, fin: str) -> Response:
        return _declarant_returns(request, debut, fin)

    def _declarant_returns(request: Request, debut: str, fin: str | None) -> Response:
        try:
            start, end = point.dates(debut, fin)
            _check_accept(request)
            caller = point.caller(request.headers.get("authorization"), needs_declarant=True)
            point.check_window(start, end, limit_minutes=DECLARANT_WINDOW)
            listed = point.declarant_returns(caller, start, end)
        except ApiError as error:
            return _error(point, request, error)
        return _listed(request, listed, headers=_accept_ranges(DECLARANT_WINDOW))

    @route(f"/lister-retours-concentrateur/{version}/{{debut}}", ["GET"])
    async def retours_concentrateur(request: Request, debut: str) -> Response:
        return _concentrator_returns(request, debut, None)

    @route(f"/lister-retours-concentrateur/{version}/{{debut}}/{{fin}}", ["GET"])
    async def retours_concentrateur_fin(request: Request, debut: str, fin: str) -> Response:
        return _concentrator_returns(request, debut, fin)

    def _concentrator_returns(request: Request, debut: str, fin: str | None) -> Response:
        try:
            start, end = point.dates(debut, fin)
            _check_accept(request)
            caller = point.caller(
                request.headers.get("authorization"), needs_declarant=False, concentrator_only=True
            )
            point.check_window(start, end, limit_minutes=CONCENTRATOR_WINDOW)
            listed = point.concentrator_returns(caller, start, end)
        except ApiError as error:
            return _error(point, request, error)
        return _listed(request, listed, headers=_accept_ranges(CONCENTRATOR_WINDOW))

    @route(f"/lister-retours-flux/{version}/{{idflux}}", ["GET"])
    async def retours_flux(request: Request, idflux: str) -> Response:
        try:
            point.check_ids(idflux)
            _check_accept(request)
            caller = point.caller(request.headers.get("authorization"), needs_declarant=False)
            listed = point.flow_returns(caller, idflux)
        except ApiError as error:
            return _error(point, request, error)
        return _listed(request, listed)

    def _listed(
        request: Request, listed: list[ListedReturn], *, headers: dict[str, str] | None = None
    ) -> Response:
        if as_json:
            body, media_type = _returns_json(request, point, listed), JSON
        else:
            body, media_type = _returns_xml(request, point, listed), XML
        return _respond(point, request, body, media_type=media_type, no_cache=True, headers=headers)


def _accept_ranges(minutes: int) -> dict[str, str]:
    return {"Accept-Ranges": f"minutes=0-{minutes}"}


async def _login_body(request: Request) -> bytes:
    """The MSA login body, gzip-decoded when declared so (the reference's MSA tests send it so)."""
    body = await request.body()
    if request.headers.get("content-encoding", "").strip().casefold() != "gzip":
        return body
    try:
        return gzip.decompress(body)
    except (OSError, EOFError, zlib.error) as exc:
        raise ApiError(400) from exc


def _msa_identifiants(body: bytes) -> dict[str, str]:
    """`<identifiants><identifiant/><motdepasse/></identifiants>`: 400 unparsable, 422 invalid."""
    fields = _xml_fields(body, MSA_IDENTIFIANTS)
    if any(not value or len(value) > MSA_FIELD_LIMIT for value in fields.values()):
        raise ApiError(422)
    return fields


def _xml_fields(body: bytes, names: tuple[str, ...]) -> dict[str, str]:
    """The text of root `identifiants`' children, which must be exactly `names` in order."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise ApiError(400) from exc
    children = [child for child in root if isinstance(child.tag, str)]
    if root.tag != "identifiants" or tuple(child.tag for child in children) != names:
        raise ApiError(422)
    return {child.tag: (child.text or "").strip() for child in children}


def _identifiants(body: bytes) -> dict[str, str]:
    """The five fields of `<identifiants>`, in the spec's order; 400 unparsable, 422 invalid.

    An XML declaration and indentation are accepted (JAXB writes both, as the reference's tests).
    """
    fields = _xml_fields(body, IDENTIFIANTS)
    for name, value in fields.items():
        limit = FIELD_LIMITS[name]
        too_long = len(value) != limit if name == "siret" else len(value) > limit
        if not value or too_long:
            raise ApiError(422)
    return fields


async def _deposit_body(request: Request) -> bytes:
    """The decompressed DSN file, after the spec's first checks (415, 406, 422 empty)."""
    _check_content_type(request, DEPOSIT_TYPES)
    if request.headers.get("content-encoding", "").strip().casefold() != "gzip":
        raise ApiError(415)
    _check_accept(request)
    compressed = await request.body()
    if not compressed:
        raise ApiError(422)
    try:
        raw = gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error) as exc:
        raise ApiError(415) from exc
    if not raw:
        raise ApiError(422)
    return raw


def _deposits_xml(point: DepositPoint, who: Declarant, flows: list[Flow]) -> bytes:
    depots = "".join(
        f"<depot><idflux>{escape(f.idflux)}</idflux><date>{point.local(f.received_at)}</date>"
        f"<statut>{f.statut}</statut></depot>"
        for f in flows
    )
    return (
        f"<depots><declarant><siret>{escape(who.siret)}</siret><nom>{escape(who.nom)}</nom>"
        f"<prenom>{escape(who.prenom)}</prenom>{depots}</declarant></depots>"
    ).encode()


def _deposits_json(point: DepositPoint, who: Declarant, flows: list[Flow]) -> bytes:
    """`/2.0/` shape of the reference (Jackson over its JAXB model): {"declarant": {...}}."""
    depots = [
        {"date": point.local(f.received_at), "idflux": f.idflux, "statut": f.statut} for f in flows
    ]
    declarant = {"depot": depots, "siret": who.siret, "nom": who.nom, "prenom": who.prenom}
    return json.dumps({"declarant": declarant}, ensure_ascii=False).encode("utf-8")


def _returns_by_flow(listed: list[ListedReturn]) -> dict[str, list[ListedReturn]]:
    by_flow: dict[str, list[ListedReturn]] = {}
    for entry in sorted(listed, key=lambda e: (e.version.published_at, int(e.item.id))):
        by_flow.setdefault(entry.idflux, []).append(entry)
    return by_flow


def _download_url(request: Request, idflux: str, entry: ListedReturn) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}/telecharger-retour/1.0/{idflux}/{entry.item.id}"


def _returns_xml(request: Request, point: DepositPoint, listed: list[ListedReturn]) -> bytes:
    parts = ["<retours>"]
    for idflux, entries in _returns_by_flow(listed).items():
        parts.append(f"<flux><id>{escape(idflux)}</id>")
        for entry in entries:
            when = point.local(entry.version.published_at)
            ops = f"<ops>{escape(entry.item.ops)}</ops>" if entry.item.ops else ""
            url = _download_url(request, idflux, entry)
            parts.append(
                f"<retour><publication>{when}</publication><production>{when}</production>{ops}"
                f"<nature>{entry.item.nature}</nature><statut>{entry.version.statut}</statut>"
                f"<id>{entry.item.id}</id><url>{escape(url)}</url></retour>"
            )
        parts.append("</flux>")
    parts.append("</retours>")
    return "".join(parts).encode("utf-8")


def _returns_json(request: Request, point: DepositPoint, listed: list[ListedReturn]) -> bytes:
    """`/2.0/` shape of the reference: {"flux": [{"id": ..., "Retour": [{...}]}]}."""
    flux = []
    for idflux, entries in _returns_by_flow(listed).items():
        retours = []
        for entry in entries:
            when = point.local(entry.version.published_at)
            retours.append(
                {
                    "publication": when,
                    "production": when,
                    "nature": entry.item.nature,
                    "statut": str(entry.version.statut),
                    "id": entry.item.id,
                    "url": _download_url(request, idflux, entry),
                    "delegataire": None,
                    "ops": entry.item.ops,
                }
            )
        flux.append({"id": idflux, "Retour": retours})
    return json.dumps({"flux": flux}, ensure_ascii=False).encode("utf-8")


class _DroppedResponse(Response):
    """Start a 200, send a few bytes, then fail: the client sees the connection cut."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", XML.encode()), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b"<?xml", "more_body": True})
        raise ConnectionDropped("deposit stored, connection dropped on purpose (deposit_then_fail)")


def _admin_routes(app: FastAPI, point: DepositPoint) -> None:
    @app.get(f"{ADMIN_PREFIX}/config")
    async def get_config() -> dict[str, Any]:
        return point.config.model_dump(mode="json")

    @app.post(f"{ADMIN_PREFIX}/config", response_model=None)
    async def set_config(changes: dict[str, Any]) -> dict[str, Any] | JSONResponse:
        try:
            return point.update_config(changes).model_dump(mode="json")
        except ValidationError as exc:
            return JSONResponse(
                {"detail": exc.errors(include_url=False, include_context=False)}, 422
            )

    @app.get(f"{ADMIN_PREFIX}/deposits")
    async def deposits() -> list[dict[str, Any]]:
        now = point.clock.now()
        with point.store.lock:
            flows = list(point.store.flows.values())
        return [
            {
                "idflux": flow.idflux,
                "sha256": flow.sha256,
                "received_at": flow.received_at.isoformat(),
                "declarant_siret": flow.declarant.siret,
                "declarant_nom": flow.declarant.nom,
                "declarant_prenom": flow.declarant.prenom,
                "concentrator_siret": flow.concentrator_siret,
                "statut": flow.statut,
                "nature": flow.nature,
                "essai_reel": flow.essai_reel,
                "size": flow.size,
                "returns": [
                    {
                        "id": item.id,
                        "nature": item.nature,
                        "ops": item.ops,
                        "versions": [
                            {
                                "published_at": v.published_at.isoformat(),
                                "published": v.published_at <= now,
                                "statut": str(v.statut),
                                "kind": v.kind,
                                "media_type": v.media_type,
                            }
                            for v in item.versions
                        ],
                    }
                    for item in flow.returns
                ],
            }
            for flow in flows
        ]

    @app.post(f"{ADMIN_PREFIX}/flows/{{idflux}}/returns", status_code=201, response_model=None)
    async def attach_return(
        request: Request,
        idflux: str,
        nature: str = Query(description="return nature code, e.g. 61 (URSSAF CRM)"),
        statut: ReturnStatus = ReturnStatus.OK,
        ops: str | None = Query(default=None, min_length=1, max_length=50),
        delay: float = Query(default=0.0, ge=0, description="seconds before it is published"),
        replace: bool = Query(default=False, description="drop this key's other versions"),
    ) -> dict[str, Any] | JSONResponse:
        """Attach any document (the raw body, served with its Content-Type) as a return."""
        if nature not in RETURN_NATURES:
            return JSONResponse(
                {"detail": f"unknown nature {nature!r}; known: {sorted(RETURN_NATURES)}"}, 422
            )
        body = await request.body()
        if not body:
            return JSONResponse({"detail": "the return document (request body) is empty"}, 422)
        attached = point.attach_return(
            idflux,
            nature=nature,
            ops=ops,
            statut=statut,
            body=body,
            media_type=request.headers.get("content-type") or XML,
            delay_seconds=delay,
            replace=replace,
        )
        if attached is None:
            return JSONResponse({"detail": f"unknown flow {idflux!r}"}, 404)
        item, version = attached
        return {
            "idflux": idflux,
            "id": item.id,
            "nature": item.nature,
            "ops": item.ops,
            "statut": str(version.statut),
            "media_type": version.media_type,
            "published_at": version.published_at.isoformat(),
        }

    @app.post(f"{ADMIN_PREFIX}/reset")
    async def reset() -> dict[str, str]:
        point.reset()
        return {"status": "reset"}

    @app.get(f"{ADMIN_PREFIX}/accounts")
    async def accounts() -> list[dict[str, Any]]:
        return [a.model_dump(exclude={"motdepasse"}) for a in point.config.accounts]

    @app.post(f"{ADMIN_PREFIX}/accounts", status_code=201)
    async def register(account: Account) -> dict[str, Any]:
        point.register_account(account)
        return account.model_dump(exclude={"motdepasse"})

    @app.get(f"{ADMIN_PREFIX}/clock")
    async def clock_now() -> dict[str, str]:
        return {"now": point.clock.now().isoformat()}

    @app.post(f"{ADMIN_PREFIX}/clock")
    async def clock_advance(advance: ClockAdvance) -> dict[str, str]:
        return {"now": point.clock.advance(timedelta(seconds=advance.seconds)).isoformat()}
