"""Administration pages: API keys (created and shown once, revoked), declarants, the alerts (the
addresses, the warnings before the cut-off, the log), and the status page inside the frame."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import SecretStr, ValidationError

from api.dashboard.routes import (
    VisitorDep,
    _checked_form,
    _csrf_refused,
    _error_page,
    _layout,
    _page_number,
)
from api.dashboard.templating import render
from api.dashboard.wording import french_error
from api.deps import DepositPointDep, RuntimeDep, SessionDep
from dsnlink.alerts import service as alerts_service
from dsnlink.errors import DsnlinkError
from dsnlink.service_status import service as service_status
from dsnlink.tenants import declarants as tenant_declarants
from dsnlink.tenants import keys as tenants_keys
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.schemas import DeclarantCreate
from dsnlink.transmission import credentials

router = APIRouter(prefix="/app", include_in_schema=False)
ALERTS_PAGE_SIZE = 50
STATE_LABELS = {
    "operational": "Opérationnel",
    "degraded": "Perturbé",
    "down": "Indisponible",
    "unknown": "État inconnu",
}


def _admin_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
    *,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    principal = visitor.principal
    if not principal.role.is_admin:
        return render(
            "error.html",
            status_code=403,
            title="Accès refusé",
            message="Cette page est réservée aux administrateurs de votre compte.",
            back="/app/declarations",
        )
    keys = tenants_service.list_api_keys(session, principal=principal)
    users = tenants_service.list_users(session, principal=principal)
    return render(
        "admin.html",
        status_code=status_code,
        **_layout(
            session,
            runtime,
            visitor,
            request,
            keys=sorted(keys, key=lambda k: (k.revoked_at is not None, k.created_at)),
            users=users,
            emails={u.id: u.email for u in users},
            declarants=tenant_declarants.list_declarants(
                session, principal=principal, keyring=runtime.keyring
            ),
            check_labels=CHECK_LABELS,
            **extra,
        ),
    )


@router.get("/administration")
def admin_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
    cle: str | None = None,
    declarant: str | None = None,
) -> HTMLResponse:
    notice = {"revoquee": "La clé est révoquée : elle ne permet plus aucun accès."}.get(cle or "")
    if declarant == "ajoute":
        notice = "Le déclarant est ajouté."
    return _admin_page(request, session, runtime, visitor, notice=notice)


@router.post("/administration/cles", response_model=None)
async def create_key(
    request: Request, session: SessionDep, runtime: RuntimeDep, visitor: VisitorDep
) -> Response:
    form = await _checked_form(request, runtime.session_secret)
    if form is None:
        return _csrf_refused(request)
    name = str(form.get("nom") or "").strip()[:200] or "clé du tableau de bord"
    owner = str(form.get("utilisateur") or "")
    try:
        key, plaintext = tenants_service.create_api_key(
            session,
            principal=visitor.principal,
            name=name,
            user_id=uuid.UUID(owner) if owner else None,
            secret=runtime.settings.secret_key,
            clock=runtime.clock,
        )
    except ValueError:
        return _admin_page(
            request, session, runtime, visitor, status_code=422, error="Utilisateur inconnu."
        )
    except DsnlinkError as exc:
        return _error_page(exc, back="/app/administration")
    # Shown once, on this answer only: never stored in clear, never shown again.
    response = _admin_page(
        request, session, runtime, visitor, new_key=plaintext, new_key_name=key.name
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/administration/cles/{key_id}/revoquer", response_model=None)
async def revoke_key(
    key_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
) -> Response:
    form = await _checked_form(request, runtime.session_secret)
    if form is None:
        return _csrf_refused(request)
    try:
        tenants_keys.revoke_api_key(
            session, principal=visitor.principal, key_id=key_id, clock=runtime.clock
        )
    except DsnlinkError as exc:
        return _error_page(exc, back="/app/administration")
    return RedirectResponse("/app/administration?cle=revoquee", status_code=303)


@router.post("/administration/declarants", response_model=None)
async def create_declarant(
    request: Request, session: SessionDep, runtime: RuntimeDep, visitor: VisitorDep
) -> Response:
    form = await _checked_form(request, runtime.session_secret)
    if form is None:
        return _csrf_refused(request)
    try:
        data = DeclarantCreate(
            siret=str(form.get("siret") or "").replace(" ", ""),
            nom=str(form.get("nom") or "").strip(),
            prenom=str(form.get("prenom") or "").strip(),
            password=SecretStr(str(form.get("mot_de_passe") or "")),
        )
    except ValidationError:
        return _admin_page(
            request,
            session,
            runtime,
            visitor,
            status_code=422,
            declarant_error="Vérifiez le SIRET (14 chiffres), le nom (64 caractères au plus), le "
            "prénom (39 au plus) et le mot de passe net-entreprises (30 au plus).",
        )
    try:
        tenant_declarants.create_declarant(
            session,
            principal=visitor.principal,
            data=data,
            keyring=runtime.keyring,
            clock=runtime.clock,
        )
    except DsnlinkError as exc:
        return _admin_page(
            request,
            session,
            runtime,
            visitor,
            status_code=422,
            declarant_error=french_error(exc),
        )
    return RedirectResponse("/app/administration?declarant=ajoute#declarants", status_code=303)


CHECK_LABELS = {
    "ok": "Reconnu par le point de dépôt",
    "unknown": "Inconnu du point de dépôt",
    "rejected": "Refusé par le point de dépôt",
    "unreachable": "Vérification impossible (point de dépôt injoignable)",
}


@router.post("/administration/declarants/{declarant_id}/verifier", response_model=None)
async def check_declarant(
    declarant_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
    deposit_point: DepositPointDep,
) -> Response:
    form = await _checked_form(request, runtime.session_secret)
    if form is None:
        return _csrf_refused(request)
    try:
        credentials.check_declarant(
            session,
            principal=visitor.principal,
            declarant_id=declarant_id,
            client=deposit_point,
            keyring=runtime.keyring,
            clock=runtime.clock,
        )
    except DsnlinkError as exc:
        return _error_page(exc, back="/app/administration#declarants")
    return RedirectResponse("/app/administration?declarant=verifie#declarants", status_code=303)


# --- alerts --------------------------------------------------------------------------------------


def _default_hours(runtime: RuntimeDep) -> list[int]:
    return alerts_service.parse_hours(runtime.settings.alert_cutoff_hours)


@router.get("/alertes")
def alerts_page(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
    page: str | None = None,
    enregistre: str | None = None,
) -> HTMLResponse:
    return _alerts(
        request, session, runtime, visitor, page=_page_number(page), saved=enregistre == "oui"
    )


def _alerts(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
    *,
    page: int = 1,
    status_code: int = 200,
    **extra: object,
) -> HTMLResponse:
    principal = visitor.principal
    log = alerts_service.list_alerts(
        session, principal=principal, limit=ALERTS_PAGE_SIZE, offset=(page - 1) * ALERTS_PAGE_SIZE
    )
    settings = alerts_service.read_settings(
        session, principal=principal, default_hours=_default_hours(runtime)
    )
    pages = max(1, -(-log.total // ALERTS_PAGE_SIZE))
    return render(
        "alerts.html",
        status_code=status_code,
        **_layout(
            session,
            runtime,
            visitor,
            request,
            log=log,
            alert_settings=settings,
            is_admin=principal.role.is_admin,
            smtp_configured=bool(runtime.settings.smtp_host),
            kind_labels=alerts_service.KIND_LABELS,
            delivery_labels=alerts_service.DELIVERY_LABELS,
            page=page,
            pages=pages,
            previous_url=f"?page={page - 1}" if page > 1 else None,
            next_url=f"?page={page + 1}" if page < pages else None,
            **extra,
        ),
    )


@router.post("/alertes", response_model=None)
async def update_alerts(
    request: Request, session: SessionDep, runtime: RuntimeDep, visitor: VisitorDep
) -> Response:
    form = await _checked_form(request, runtime.session_secret)
    if form is None:
        return _csrf_refused(request)
    try:
        alerts_service.update_settings(
            session,
            principal=visitor.principal,
            recipients=str(form.get("adresses") or "")[:10_000],
            cutoff_hours=str(form.get("heures") or "")[:200],
            on_events=form.get("evenements") == "oui",
            clock=runtime.clock,
        )
    except DsnlinkError as exc:
        return _alerts(
            request,
            session,
            runtime,
            visitor,
            status_code=422,
            form_error=french_error(exc),
            typed={"adresses": form.get("adresses"), "heures": form.get("heures")},
        )
    return RedirectResponse("/app/alertes?enregistre=oui", status_code=303)


# --- the status page, inside the frame ------------------------------------------------------------


@router.get("/etat")
def status_in_frame(
    request: Request, session: SessionDep, runtime: RuntimeDep, visitor: VisitorDep
) -> HTMLResponse:
    status = service_status.service_status(session, now=runtime.clock.now())
    return render(
        "status_frame.html",
        **_layout(session, runtime, visitor, request, status=status, states=STATE_LABELS),
    )
