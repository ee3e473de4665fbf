"""The deposit point's returns as people read them: a printable page (anomalies by employee, the
next step), CSV, the signed receipt, and a month's returns and receipts in one zip."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from api.dashboard.routes import VisitorDep, _error_page, _layout, _uuid_or_none
from api.dashboard.templating import STATUS_LABELS as STATUS_WORDS
from api.dashboard.templating import environment, masked_nir, render
from api.deps import Runtime, RuntimeDep, SessionDep
from dsnlink.declarations import monthly, tracking
from dsnlink.declarations.repository import DeclarationFilters
from dsnlink.deposit_point.returns import (
    Anomaly,
    ReturnDocument,
    ReturnKind,
    ReturnStatus,
    anomalies_csv,
    read_return,
)
from dsnlink.errors import DsnlinkError, NotFoundError
from dsnlink.months import MONTH_RE
from dsnlink.tenants.schemas import Principal
from dsnlink.transmission import views as transmission_views

router = APIRouter(prefix="/app", include_in_schema=False)
EXPORT_LIMIT = 500
KIND_LABELS = {
    ReturnKind.AEE: "Accusé d'enregistrement électronique (AEE)",
    ReturnKind.ARE: "Avis de rejet d'envoi (ARE)",
    ReturnKind.CCO: "Certificat de conformité (CCO)",
    ReturnKind.BAN: "Bilan d'anomalies (BAN)",
    ReturnKind.BIS: "Bilan d'identification des salariés (BIS)",
    ReturnKind.CID: "Contrôles inter-déclarations (CID)",
    ReturnKind.ACK: "Accusé de réception d'un organisme",
    ReturnKind.AER: "Attestation employeur rematérialisée (AER)",
    ReturnKind.CRM: "Compte rendu métier d'un organisme (CRM)",
    ReturnKind.UNKNOWN: "Retour",
}
STATUS_LABELS = {
    ReturnStatus.OK: "Traité sans anomalie",
    ReturnStatus.ANO: "Anomalies non bloquantes",
    ReturnStatus.KO: "Anomalies bloquantes",
}


@dataclass
class EmployeeGroup:
    """The anomalies of one employee (or of the declaration itself when none is named)."""

    name: str
    nir: str | None
    matricule: str | None
    anomalies: list[Anomaly] = field(default_factory=list)


def by_employee(anomalies: Iterable[Anomaly]) -> list[EmployeeGroup]:
    groups: dict[tuple[str | None, ...], EmployeeGroup] = {}
    for anomaly in anomalies:
        person = anomaly.employee
        if person is None or not (person.nir or person.last_name or person.matricule):
            key: tuple[str | None, ...] = (None,)
            name = "La déclaration (aucun salarié désigné)"
            nir = matricule = None
        else:
            key = (person.nir or person.ntt, person.last_name, person.matricule)
            name = " ".join(p for p in (person.last_name, person.first_names) if p) or "Salarié"
            nir, matricule = person.nir or person.ntt, person.matricule
        groups.setdefault(key, EmployeeGroup(name=name, nir=nir, matricule=matricule))
        groups[key].anomalies.append(anomaly)
    # The declaration's own anomalies first, then employees by name.
    return sorted(
        groups.values(),
        key=lambda g: (g.nir is not None or g.matricule is not None, g.name.casefold()),
    )


# Rubrics whose value is a NIR (the employee's, a child's...): shown masked like the NIR itself.
NIR_RUBRICS = ("S21.G00.30.001", "S21.G00.30.020", "S21.G00.31.008")


def value_of(anomaly: Anomaly, group: EmployeeGroup) -> str | None:
    """The anomaly's value as the page shows it: a NIR masked but for its last characters."""
    value = anomaly.value
    if not value:
        return None
    if (group.nir and value.replace(" ", "") == group.nir.replace(" ", "")) or (
        anomaly.rubric or ""
    ).startswith(NIR_RUBRICS):
        return masked_nir(value)
    return value


def next_step(document: ReturnDocument) -> tuple[str, str]:
    """(tone, what to do now) for a return, in French."""
    blocking = bool(document.blocking_anomalies) or document.status is ReturnStatus.KO
    kind = document.kind
    if kind is ReturnKind.ARE:
        return "erreur", (
            "Le point de dépôt a refusé le fichier : rien n'est déposé. Corrigez le fichier dans "
            "votre logiciel de paie (voir les anomalies ci-dessous) et déposez-le de nouveau "
            "avant l'heure limite."
        )
    if kind is ReturnKind.BAN and blocking:
        return "erreur", (
            "La déclaration est rejetée : elle n'est pas déposée. Corrigez les anomalies "
            "bloquantes et envoyez-la de nouveau comme une déclaration normale (pas un annule et "
            "remplace), avant l'heure limite."
        )
    if kind is ReturnKind.BAN:
        return "attention", (
            "La déclaration est déposée avec des anomalies non bloquantes : corrigez-les dans la "
            "prochaine DSN."
        )
    if kind is ReturnKind.CCO:
        return "succes", "La déclaration est conforme : il n'y a rien à faire."
    if kind is ReturnKind.AEE:
        return "info", (
            "Le dépôt est enregistré. Le certificat de conformité ou le bilan d'anomalies suit."
        )
    if blocking:
        return "erreur", (
            "L'organisme n'a pas pris en compte tout ou partie de la déclaration : corrigez les "
            "données signalées (annule et remplace avant la date limite, ou prochaine DSN) et, au "
            "besoin, contactez l'organisme."
        )
    if document.status is ReturnStatus.ANO:
        return "attention", "Des anomalies non bloquantes sont à corriger dans la prochaine DSN."
    return "info", "Pour information : aucune action n'est demandée."


def _document(
    session: Session,
    runtime: Runtime,
    principal: Principal,
    declaration_id: uuid.UUID,
    return_id: str,
) -> tuple[Any, Any, ReturnDocument]:
    detail = transmission_views.read_declaration(
        session, principal=principal, declaration_id=declaration_id, keyring=runtime.keyring
    )
    found = next(
        (
            r
            for r in (detail.transmission.returns if detail.transmission else [])
            if r.return_id == return_id
        ),
        None,
    )
    if found is None:
        raise NotFoundError(f"no return {return_id}", return_id=return_id)
    xml = transmission_views.read_return_xml(
        session,
        principal=principal,
        declaration_id=declaration_id,
        return_id=return_id,
        keyring=runtime.keyring,
    )
    document = read_return(xml_bytes(xml), nature=found.nature, name=return_id)
    return detail, found, document


def _cell(text: str) -> str:
    """A spreadsheet cell that is never read as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*encoding=["'])[^"']+""")


def xml_bytes(xml: str) -> bytes:
    """The stored return (given decoded) as UTF-8 bytes that say so: an ISO-8859-1 document of
    a complementary organism is not read back as Latin-1 a second time."""
    return XML_ENCODING.sub(r"\g<1>UTF-8", xml, count=1).encode("utf-8")


def _safe(text: str) -> str:
    return "".join(c for c in text if c.isalnum() or c in "-_") or "retour"


def _printable(
    detail: Any,
    summary: Any,
    document: ReturnDocument,
    *,
    standalone: bool,
    context: dict[str, Any],
) -> str:
    tone, step = next_step(document)
    return (
        environment()
        .get_template("return.html")
        .render(
            d=detail,
            r=summary,
            doc=document,
            kind_label=KIND_LABELS.get(document.kind, "Retour"),
            status_label=STATUS_LABELS.get(document.status) if document.status else None,
            groups=by_employee(document.anomalies),
            tone=tone,
            step=step,
            standalone=standalone,
            value_of=value_of,
            **context,
        )
    )


@router.get("/declarations/{declaration_id}/retours/{return_id}/lecture", response_model=None)
def return_page(
    declaration_id: str,
    return_id: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
    telecharger: str | None = None,
) -> Response:
    parsed = _uuid_or_none(declaration_id)
    try:
        if parsed is None:
            raise NotFoundError(f"no declaration {declaration_id}")
        detail, summary, document = _document(
            session, runtime, visitor.principal, parsed, return_id
        )
    except DsnlinkError as exc:
        return _error_page(exc, back=f"/app/declarations/{declaration_id}")
    if telecharger == "html":
        html = _printable(
            detail, summary, document, standalone=True, context={"now": runtime.clock.now()}
        )
        return HTMLResponse(
            html,
            headers={
                "Content-Disposition": f'attachment; filename="retour-{_safe(return_id)}.html"',
                "Cache-Control": "no-store",
            },
        )
    tone, step = next_step(document)
    return render(
        "return.html",
        **_layout(
            session,
            runtime,
            visitor,
            request,
            d=detail,
            r=summary,
            doc=document,
            kind_label=KIND_LABELS.get(document.kind, "Retour"),
            status_label=STATUS_LABELS.get(document.status) if document.status else None,
            groups=by_employee(document.anomalies),
            tone=tone,
            step=step,
            standalone=False,
            value_of=value_of,
        ),
    )


@router.get("/declarations/{declaration_id}/retours/{return_id}/anomalies.csv", response_model=None)
def return_csv(
    declaration_id: uuid.UUID,
    return_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
) -> Response:
    try:
        _, _, document = _document(session, runtime, visitor.principal, declaration_id, return_id)
    except DsnlinkError as exc:
        return _error_page(exc, back=f"/app/declarations/{declaration_id}")
    return Response(
        # A BOM so spreadsheet software reads the accents as UTF-8.
        ("\ufeff" + anomalies_csv(document)).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="anomalies-{_safe(return_id)}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/declarations/{declaration_id}/recu", response_model=None)
def receipt(declaration_id: uuid.UUID, session: SessionDep, visitor: VisitorDep) -> Response:
    try:
        signed = tracking.read_receipt(
            session, principal=visitor.principal, declaration_id=declaration_id
        )
    except DsnlinkError as exc:
        return _error_page(exc, back="/app/declarations")
    return Response(
        json.dumps(signed.model_dump(mode="json"), ensure_ascii=False, indent=2).encode("utf-8"),
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="recu-{declaration_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/echeances/export", response_model=None)
def month_export(
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: VisitorDep,
    mois: str | None = None,
) -> Response:
    """Every declaration of the month: its signed receipt, and each return as XML, CSV and a
    printable HTML page, one folder per establishment."""
    month = (
        mois if mois and MONTH_RE.match(mois) else monthly.declaring_month(now=runtime.clock.now())
    )
    listing = tracking.list_declarations(
        session,
        principal=visitor.principal,
        filters=DeclarationFilters(month=month),
        limit=EXPORT_LIMIT,
        offset=0,
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        summary_csv = io.StringIO()
        table = csv.writer(summary_csv, delimiter=";", lineterminator="\r\n")
        table.writerow(["Déclaration", "Entreprise", "SIRET", "Statut", "Retours"])
        for item in listing.items:
            folder = f"{_safe(item.company.name)}-{item.establishment.siret}/{item.id}"
            signed = tracking.read_receipt(
                session, principal=visitor.principal, declaration_id=item.id
            )
            archive.writestr(
                f"{folder}/recu.json",
                json.dumps(signed.model_dump(mode="json"), ensure_ascii=False, indent=2),
            )
            detail = transmission_views.read_declaration(
                session,
                principal=visitor.principal,
                declaration_id=item.id,
                keyring=runtime.keyring,
            )
            returns = detail.transmission.returns if detail.transmission else []
            for summary in returns:
                xml = transmission_views.read_return_xml(
                    session,
                    principal=visitor.principal,
                    declaration_id=item.id,
                    return_id=summary.return_id,
                    keyring=runtime.keyring,
                )
                document = read_return(
                    xml_bytes(xml), nature=summary.nature, name=summary.return_id
                )
                name = f"{folder}/retour-{_safe(summary.return_id)}"
                archive.writestr(f"{name}.xml", xml)
                archive.writestr(f"{name}-anomalies.csv", "\ufeff" + anomalies_csv(document))
                archive.writestr(
                    f"{name}.html",
                    _printable(
                        detail,
                        summary,
                        document,
                        standalone=True,
                        context={"now": runtime.clock.now()},
                    ),
                )
            table.writerow(
                [
                    item.id,
                    _cell(item.company.name),
                    item.establishment.siret,
                    STATUS_WORDS.get(item.status, item.status),
                    len(returns),
                ]
            )
        archive.writestr("sommaire.csv", "\ufeff" + summary_csv.getvalue())
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="dsn-{month}-retours-et-recus.zip"',
            "Cache-Control": "no-store",
        },
    )
