"""The dashboard's pages: each route parses, calls the domain services, renders a template.

Every page works without JavaScript (plain links and form posts, 303 after each post); htmx
only swaps parts of a page (filters, the upload's result, a declaration's progress).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from api.dashboard import session as cookies
from api.dashboard.templating import render
from api.dashboard.wording import french_error
from api.deps import Runtime, RuntimeDep, SessionDep
from api.errors import status_of
from dsnlink.declarations import monthly, tracking
from dsnlink.declarations import ordering as declarations_ordering
from dsnlink.declarations import service as declarations_service
from dsnlink.declarations.errors import CutoffPassed, DuplicateDeclaration
from dsnlink.declarations.models import DeclarationStatus
from dsnlink.declarations.repository import DeclarationFilters
from dsnlink.errors import DsnlinkError, NotFoundError
from dsnlink.months import MONTH_RE
from dsnlink.service_status import service as service_status
from dsnlink.tenants import companies as tenant_companies
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants import signin
from dsnlink.tenants.errors import AuthenticationRequired, TooManySignInAttempts
from dsnlink.tenants.schemas import Principal
from dsnlink.transmission import views as transmission_views

router = APIRouter(prefix="/app", include_in_schema=False)
SIGN_IN_REASONS = {
    "expiree": "Votre session a expiré : reconnectez-vous pour reprendre là où vous en étiez.",
}
PAGE_SIZE = 25
DEADLINES_PAGE_SIZE = 50
UPLOAD_CHUNK = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
# While a declaration is in one of these, its page refreshes its progress (htmx polling).
IN_PROGRESS = frozenset(
    {
        DeclarationStatus.ORDERED,
        DeclarationStatus.TRANSMITTING,
        DeclarationStatus.WAITING_FOR_DEPOSIT_POINT,
        DeclarationStatus.RECONCILING,
        DeclarationStatus.DEPOSITED,
    }
)


@dataclass(frozen=True)
class Visitor:
    """A signed-in person: their principal (same roles and scope as on the API) and CSRF token."""

    principal: Principal
    data: cookies.SessionData
    csrf: str


def _sign_in_required(request: Request, *, expired: bool = False) -> HTTPException:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if _is_htmx(request):
        # htmx's request asked for a fragment: send the person to the page they were on.
        current = request.headers.get("HX-Current-URL", "")
        path = urlsplit(current).path
        if path.startswith("/app/"):
            target = path + (f"?{urlsplit(current).query}" if urlsplit(current).query else "")
    # An htmx request comes from a page that was open: its session ran out meanwhile.
    reason = {"raison": "expiree"} if expired or _is_htmx(request) else {}
    location = "/app/connexion?" + urlencode({"suivant": target, **reason})
    if _is_htmx(request):
        # The browser would follow a 303 inside htmx's request, and htmx would swap the sign-in
        # page (or nothing) into the list: a 401 is not followed, HX-Redirect loads the page.
        return HTTPException(401, headers={"HX-Redirect": location})
    return HTTPException(303, headers={"Location": location})


def get_visitor(request: Request, session: SessionDep, runtime: RuntimeDep) -> Visitor:
    secret = runtime.session_secret
    data = cookies.read(request, secret=secret)
    if data is None or data.user_id is None or data.tenant_id is None:
        # A cookie that no longer reads (past its lifetime) was a session that expired.
        raise _sign_in_required(request, expired=data is None and cookies.COOKIE in request.cookies)
    try:
        principal = signin.resume_session(
            session,
            tenant_id=data.tenant_id,
            user_id=data.user_id,
            api_key_id=data.api_key_id,
            stamp=data.stamp,
        )
    except AuthenticationRequired:
        raise _sign_in_required(request, expired=True) from None
    return Visitor(principal=principal, data=data, csrf=cookies.csrf_token(data, secret=secret))


VisitorDep = Annotated[Visitor, Depends(get_visitor)]


def _layout(
    session: Session, runtime: Runtime, visitor: Visitor, request: Request, **context: Any
) -> dict[str, Any]:
    """What every signed-in page shows: who, for which client, maintenance, the CSRF token."""
    principal = visitor.principal
    now = runtime.clock.now()
    emails = tenants_service.user_emails(session, principal=principal, user_ids=[principal.user_id])
    return {
        "request_path": request.url.path,
        "csrf": visitor.csrf,
        "now": now,
        "tenant": tenants_service.read_tenant(session, principal=principal),
        "user_email": emails.get(principal.user_id, ""),
        "via_api_key": principal.api_key_id is not None,
        "restricted": principal.company_ids is not None,
        "is_admin": principal.role.is_admin,
        "maintenance": service_status.maintenance_in_progress(session, now),
        **context,
    }


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _safe_next(target: str | None) -> str:
    """Only a path of the dashboard itself: never an open redirect."""
    if target and target.startswith("/app/") and not target.startswith("//"):
        return target
    return "/app/declarations"


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _page_number(value: str | None) -> int:
    return int(value) if value and value.isdigit() and 0 < int(value) < 1_000_000 else 1


def _csrf_refused(request: Request) -> HTMLResponse:
    return render(
        "error.html",
        status_code=403,
        title="Formulaire expiré",
        message="Ce formulaire a expiré ou ne vient pas de cette page (protection CSRF). "
        "Rechargez la page et recommencez.",
        back=request.headers.get("referer") or "/app/declarations",
    )


def _error_page(exc: DsnlinkError, *, back: str) -> HTMLResponse:
    status = status_of(exc)
    titles = {404: "Introuvable", 403: "Accès refusé", 409: "Conflit", 422: "Demande refusée"}
    return render(
        "error.html",
        status_code=status,
        title=titles.get(status, "Erreur"),
        message=french_error(exc),
        back=back,
    )


async def _checked_form(request: Request, secret: str) -> FormData | None:
    """The posted form if its CSRF token matches the session's; None otherwise."""
    form = await request.form()
    token = form.get("csrf")
    data = cookies.read(request, secret=secret)
    if not cookies.csrf_matches(data, token if isinstance(token, str) else None, secret=secret):
        return None
    return form


# --- sign-in -------------------------------------------------------------------------------------


@router.get("")
@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/app/declarations", status_code=303)


def _sign_in_page(
    request: Request,
    runtime: Runtime,
    *,
    status_code: int = 200,
    error: str | None = None,
    email: str = "",
    tenant_name: str = "",
    ask_tenant: bool = False,
    target: str | None = None,
    reason: str | None = None,
) -> HTMLResponse:
    secret = runtime.session_secret
    data = cookies.read(request, secret=secret)
    if reason is None and error is None and target and target != "/app/declarations":
        reason = "Connectez-vous pour ouvrir cette page."
    if data is None or data.user_id is not None:
        data = cookies.SessionData.anonymous()
    response = render(
        "signin.html",
        status_code=status_code,
        csrf=cookies.csrf_token(data, secret=secret),
        error=error,
        email=email,
        tenant_name=tenant_name,
        ask_tenant=ask_tenant,
        suivant=_safe_next(target),
        reason=reason,
    )
    cookies.write(response, request, data, secret=secret)
    return response


@router.get("/connexion")
def sign_in_form(
    request: Request, runtime: RuntimeDep, suivant: str | None = None, raison: str | None = None
) -> HTMLResponse:
    return _sign_in_page(request, runtime, target=suivant, reason=SIGN_IN_REASONS.get(raison or ""))


def _signed_in(
    request: Request, runtime: Runtime, principal: Principal, *, stamp: str | None, target: str
) -> RedirectResponse:
    # A new nonce at sign-in (so a new CSRF token): no session fixation.
    data = dataclasses.replace(
        cookies.SessionData.anonymous(),
        tenant_id=principal.tenant_id,
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        stamp=stamp,
    )
    response = RedirectResponse(_safe_next(target), status_code=303)
    cookies.write(response, request, data, secret=runtime.session_secret)
    return response


def _expired_form(request: Request, runtime: Runtime) -> HTMLResponse:
    """A sign-in form whose CSRF token no longer matches the session: ask again."""
    return _sign_in_page(
        request, runtime, status_code=403, error="Le formulaire a expiré : veuillez recommencer."
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _throttled(
    request: Request, runtime: Runtime, session: Session, *, email: str | None, target: str
) -> HTMLResponse | None:
    """The refusal page when this address tried too often, or this (address, e-mail) pair
    failed too often lately."""
    try:
        signin.throttle_sign_in(
            session,
            client=_client(request),
            email=email,
            secret=runtime.settings.secret_key,
            clock=runtime.clock,
        )
    except TooManySignInAttempts as exc:
        retry_after = exc.context["retry_after"]
        response = _sign_in_page(
            request,
            runtime,
            status_code=429,
            error=f"Trop de tentatives de connexion : réessayez dans {retry_after} s.",
            email=email or "",
            target=target,
        )
        response.headers["Retry-After"] = str(retry_after)
        return response
    return None


@router.post("/connexion", response_model=None)
async def sign_in(request: Request, runtime: RuntimeDep, session: SessionDep) -> Response:
    form = await _checked_form(request, runtime.session_secret)
    if form is None:
        return _expired_form(request, runtime)
    target = str(form.get("suivant") or "")
    email = str(form.get("email") or "").strip()
    tenant_name = str(form.get("client") or "").strip()
    refused = _throttled(request, runtime, session, email=email, target=target)
    if refused is not None:
        return refused
    try:
        principal, stamp = signin.sign_in_with_password(
            session,
            email=email,
            password=str(form.get("mot_de_passe") or ""),
            tenant_name=tenant_name or None,
        )
    except AuthenticationRequired as exc:
        ask_tenant = bool(exc.context.get("tenant_required"))
        if not ask_tenant:
            signin.record_sign_in(
                session,
                client=_client(request),
                email=email,
                succeeded=False,
                secret=runtime.settings.secret_key,
                clock=runtime.clock,
            )
        return _sign_in_page(
            request,
            runtime,
            status_code=401,
            error=(
                "Cette adresse permet de se connecter à plusieurs clients : indiquez le nom "
                "du client."
                if ask_tenant
                else "Adresse e-mail ou mot de passe incorrect."
            ),
            email=email,
            tenant_name=tenant_name,
            ask_tenant=ask_tenant or bool(tenant_name),
            target=target,
        )
    signin.record_sign_in(
        session,
        client=_client(request),
        email=email,
        succeeded=True,
        secret=runtime.settings.secret_key,
        clock=runtime.clock,
    )
    return _signed_in(request, runtime, principal, stamp=stamp, target=target)


@router.post("/connexion/cle", response_model=None)
async def sign_in_with_key(request: Request, runtime: RuntimeDep, session: SessionDep) -> Response:
    form = await _checked_form(request, runtime.session_secret)
    if form is None:
        return _expired_form(request, runtime)
    target = str(form.get("suivant") or "")
    refused = _throttled(request, runtime, session, email=None, target=target)
    if refused is not None:
        return refused
    try:
        principal = tenants_service.authenticate(
            session,
            raw_key=str(form.get("cle") or "").strip(),
            secret=runtime.settings.secret_key,
            clock=runtime.clock,
        )
    except AuthenticationRequired:
        return _sign_in_page(
            request,
            runtime,
            status_code=401,
            error="Clé d'API inconnue ou révoquée.",
            target=target,
        )
    stamp = signin.key_session_stamp(session, principal=principal)
    return _signed_in(request, runtime, principal, stamp=stamp, target=target)


@router.post("/deconnexion", response_model=None)
async def sign_out(request: Request, runtime: RuntimeDep, session: SessionDep) -> Response:
    """Sign-out ends the session on the server too: the user's session version moves on, so a
    copy of the cookie no longer opens anything (every session of this user ends)."""
    form = await _checked_form(request, runtime.session_secret)
    if form is None:
        return _csrf_refused(request)
    data = cookies.read(request, secret=runtime.session_secret)
    if data is not None and data.tenant_id is not None and data.user_id is not None:
        signin.end_sessions(session, tenant_id=data.tenant_id, user_id=data.user_id)
    response = RedirectResponse("/app/connexion", status_code=303)
    cookies.clear(response, request)
    return response


# --- declarations --------------------------------------------------------------------------------


@router.get("/declarations")
def declarations_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
    entreprise: str | None = None,
    siret: str | None = None,
    mois: str | None = None,
    nature: str | None = None,
    statut: str | None = None,
    page: str | None = None,
    selection: str | None = None,
) -> HTMLResponse:
    principal = visitor.principal
    companies = tenant_companies.list_companies(session, principal=principal)
    company_id = _uuid_or_none(entreprise)
    notices = ["Cochez au moins une déclaration à transmettre."] if selection == "vide" else []
    establishment_id = None
    siret = (siret or "").replace(" ", "")
    if siret:
        found = tenant_companies.find_establishment(
            session, tenant_id=principal.tenant_id, siret=siret
        )
        if found is None or not principal.may_see(found.company_id):
            notices.append(f"Aucun établissement de SIRET {siret}.")
            establishment_id = uuid.UUID(int=0)
        else:
            establishment_id = found.id
    month = mois if mois and MONTH_RE.match(mois) else None
    status = statut if statut in set(DeclarationStatus) else None
    number = _page_number(page)
    listing = tracking.list_declarations(
        session,
        principal=principal,
        filters=DeclarationFilters(
            company_id=company_id,
            establishment_id=establishment_id,
            month=month,
            nature=nature if nature and nature.isdigit() and len(nature) == 2 else None,
            status=DeclarationStatus(status) if status else None,
        ),
        limit=PAGE_SIZE,
        offset=(number - 1) * PAGE_SIZE,
    )
    current_month = monthly.declaring_month(now=runtime.clock.now())
    deadlines = monthly.month_deadlines(session, principal=principal, month=current_month)
    if company_id is not None:
        deadline_rows = [c for c in deadlines.companies if c.company.id == company_id]
    else:
        deadline_rows = []
    # Companies share a deadline per due day: a summary stays short for any number of them.
    by_due_day: dict[int, dict[str, Any]] = {}
    for item in deadlines.companies:
        group = by_due_day.setdefault(
            item.due_day,
            {"due_day": item.due_day, "deadline": item.deadline, "cutoff": item.cutoff, "count": 0},
        )
        group["count"] += 1
    filters = {
        "entreprise": str(company_id) if company_id else "",
        "siret": siret,
        "mois": month or "",
        "nature": nature or "",
        "statut": status or "",
    }
    pages = max(1, -(-listing.total // PAGE_SIZE))
    query = {k: v for k, v in filters.items() if v}
    return render(
        "declarations.html",
        **_layout(
            session,
            runtime,
            visitor,
            request,
            companies=companies,
            listing=listing,
            filters=filters,
            notices=notices,
            page=number,
            pages=pages,
            previous_url=f"?{urlencode({**query, 'page': number - 1})}" if number > 1 else None,
            next_url=f"?{urlencode({**query, 'page': number + 1})}" if number < pages else None,
            current_month=current_month,
            deadline_groups=sorted(by_due_day.values(), key=lambda g: g["due_day"]),
            company_deadlines=deadline_rows,
        ),
    )


@router.get("/declarations/{declaration_id}", response_model=None)
def declaration_page(
    declaration_id: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
) -> HTMLResponse:
    parsed = _uuid_or_none(declaration_id)
    try:
        if parsed is None:
            raise NotFoundError(f"no declaration {declaration_id}")
        detail = transmission_views.read_declaration(
            session, principal=visitor.principal, declaration_id=parsed, keyring=runtime.keyring
        )
    except DsnlinkError as exc:
        return _error_page(exc, back="/app/declarations")
    people = {
        person
        for e in detail.timeline
        for person in (e.user_id, e.api_key_created_by_user_id)
        if person is not None
    }
    if detail.ordered_by_user_id:
        people.add(detail.ordered_by_user_id)
    return render(
        "declaration.html",
        **_layout(
            session,
            runtime,
            visitor,
            request,
            d=detail,
            emails=tenants_service.user_emails(
                session, principal=visitor.principal, user_ids=list(people)
            ),
            polling=detail.status in IN_PROGRESS,
        ),
    )


@router.post("/declarations/{declaration_id}/transmettre", response_model=None)
async def order_transmission(
    declaration_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
) -> Response:
    form = await _checked_form(request, runtime.session_secret)
    if form is None:
        return _csrf_refused(request)
    back = f"/app/declarations/{declaration_id}"
    if service_status.maintenance_in_progress(session, runtime.clock.now()) is not None:
        return render(
            "error.html",
            status_code=503,
            title="Maintenance en cours",
            message="Les transmissions ne peuvent pas être ordonnées pendant la maintenance. "
            "Réessayez à sa fin : rien de ce qui est déjà reçu n'est perdu.",
            back=back,
        )
    try:
        declarations_ordering.order_transmission(
            session,
            principal=visitor.principal,
            declaration_id=declaration_id,
            clock=runtime.clock,
            keyring=runtime.keyring,
        )
    except DsnlinkError as exc:
        return _error_page(exc, back=back)
    return RedirectResponse(f"{back}?transmission=ordonnee", status_code=303)


@router.get("/declarations/{declaration_id}/retours/{return_id}", response_model=None)
def download_return(
    declaration_id: uuid.UUID,
    return_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
) -> Response:
    try:
        xml = transmission_views.read_return_xml(
            session,
            principal=visitor.principal,
            declaration_id=declaration_id,
            return_id=return_id,
            keyring=runtime.keyring,
        )
    except DsnlinkError as exc:
        return _error_page(exc, back=f"/app/declarations/{declaration_id}")
    safe = "".join(c for c in return_id if c.isalnum() or c in "-_") or "retour"
    return Response(
        xml.encode("utf-8"),
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="retour-{safe}.xml"'},
    )


# --- upload --------------------------------------------------------------------------------------


@router.get("/depot")
def upload_page(
    request: Request, session: SessionDep, runtime: RuntimeDep, visitor: VisitorDep
) -> HTMLResponse:
    return render("upload.html", **_layout(session, runtime, visitor, request, result=None))


async def _file_chunks(upload: UploadFile, first: bytes) -> AsyncIterator[bytes]:
    if first:
        yield first
    while chunk := await upload.read(UPLOAD_CHUNK):
        yield chunk


@router.post("/depot", response_model=None)
async def upload(
    request: Request, session: SessionDep, runtime: RuntimeDep, visitor: VisitorDep
) -> Response:
    form = await _checked_form(request, runtime.session_secret)
    if form is None:
        return _csrf_refused(request)
    context = _layout(session, runtime, visitor, request, result=None)

    def answer(status: int) -> int:
        # htmx swaps only 2xx answers: its requests get 200 and the page says what happened.
        return 200 if _is_htmx(request) else status

    upload = form.get("fichier")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return render(
            "upload.html", status_code=answer(422), error="Choisissez un fichier DSN.", **context
        )
    if context["maintenance"] is not None:
        return render(
            "upload.html",
            status_code=answer(503),
            error="Les dépôts sont suspendus pendant la maintenance en cours ; réessayez à sa fin.",
            **context,
        )
    accept_late = form.get("accepter_retard") == "oui"
    first = await upload.read(UPLOAD_CHUNK)
    try:
        result = await declarations_service.receive_declaration(
            session,
            principal=visitor.principal,
            chunks=_file_chunks(upload, first),
            content_encoding="gzip" if first.startswith(GZIP_MAGIC) else None,
            filename=upload.filename,
            accept_late=accept_late,
            transmit=False,
            runtime=runtime.intake,
        )
    except CutoffPassed as exc:
        return render(
            "upload.html",
            status_code=answer(422),
            late={
                "deadline": exc.context.get("deadline"),
                "cutoff": exc.context.get("cutoff"),
                "filename": upload.filename,
            },
            **context,
        )
    except DuplicateDeclaration as exc:
        return render(
            "upload.html",
            status_code=answer(409),
            error="Ce fichier a déjà été reçu.",
            duplicate_id=exc.context.get("declaration_id"),
            **context,
        )
    except DsnlinkError as exc:
        return render(
            "upload.html",
            status_code=answer(status_of(exc)),
            error=french_error(exc),
            error_anomalies=exc.context.get("anomalies") or [],
            **context,
        )
    context["result"] = result
    return render("upload.html", status_code=answer(201), **context)


# --- deadlines -----------------------------------------------------------------------------------


@router.get("/echeances")
def deadlines_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
    mois: str | None = None,
    q: str | None = None,
    a_faire: str | None = None,
    jour: str | None = None,
    tri: str | None = None,
    page: str | None = None,
) -> HTMLResponse:
    month = (
        mois if mois and MONTH_RE.match(mois) else monthly.declaring_month(now=runtime.clock.now())
    )
    number = _page_number(page)
    pending = a_faire == "oui"
    search = (q or "").strip()[:100]
    due_day = int(jour) if jour and jour.isdigit() and 1 <= int(jour) <= 31 else None
    sort = tri if tri in monthly.SORTS else "urgence"
    result = monthly.month_deadlines_page(
        session,
        principal=visitor.principal,
        month=month,
        search=search or None,
        pending_only=pending,
        due_day=due_day,
        sort=sort,
        limit=DEADLINES_PAGE_SIZE,
        offset=(number - 1) * DEADLINES_PAGE_SIZE,
    )
    pages = max(1, -(-result.total // DEADLINES_PAGE_SIZE))
    query = {
        "mois": month,
        **({"q": search} if search else {}),
        **({"a_faire": "oui"} if pending else {}),
        **({"jour": str(due_day)} if due_day else {}),
        **({"tri": sort} if sort != "urgence" else {}),
    }
    year, month_number = int(month[:4]), int(month[5:7])
    before = f"{year - 1}-12" if month_number == 1 else f"{year}-{month_number - 1:02d}"
    after = f"{year + 1}-01" if month_number == 12 else f"{year}-{month_number + 1:02d}"
    return render(
        "deadlines.html",
        **_layout(
            session,
            runtime,
            visitor,
            request,
            result=result,
            month=month,
            search=search,
            pending=pending,
            due_day=due_day,
            sort=sort,
            page=number,
            pages=pages,
            page_urls=page_links(query, number, pages),
            previous_url=f"?{urlencode({**query, 'page': number - 1})}" if number > 1 else None,
            next_url=f"?{urlencode({**query, 'page': number + 1})}" if number < pages else None,
            sort_urls={k: f"?{urlencode({**query, 'tri': k})}" for k in monthly.SORTS},
            month_before=f"?{urlencode({**query, 'mois': before})}",
            month_after=f"?{urlencode({**query, 'mois': after})}",
        ),
    )


def page_links(query: dict[str, str], current: int, pages: int) -> list[tuple[int | None, str]]:
    """Direct links to pages: the first, the last, and those around the current one (None: a
    gap)."""
    shown = sorted({1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)})
    links: list[tuple[int | None, str]] = []
    for index, number in enumerate(shown):
        if index and number - shown[index - 1] > 1:
            links.append((None, ""))
        links.append((number, f"?{urlencode({**query, 'page': number})}"))
    return links


not_found_router = APIRouter(prefix="/app", include_in_schema=False)


@not_found_router.api_route("/{rest:path}", methods=["GET", "HEAD"], response_model=None)
def page_not_found(rest: str) -> HTMLResponse:
    return render(
        "error.html",
        status_code=404,
        title="Page introuvable",
        message="Cette page n'existe pas (ou plus). Vérifiez l'adresse, ou repartez de la liste "
        "des déclarations.",
        back="/app/declarations",
    )
