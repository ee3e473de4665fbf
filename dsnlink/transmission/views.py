"""Read views of the transmission for the API and the dashboard: a declaration with its attempts,
flow and returns, and the stored XML of a return. Callers get only what the principal may see."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session

from dsnlink.declarations import repository as declarations_repository
from dsnlink.declarations import tracking
from dsnlink.declarations.errors import NotDeposited, UnknownFilter
from dsnlink.declarations.models import DeclarationStatus
from dsnlink.declarations.schemas import DeclarationRead, EventRead, ReceiptRead
from dsnlink.deposit_point.returns import (
    DeclarationOutcome,
    Employee,
    ReturnDocument,
    ReturnStatus,
    declaration_outcome,
    read_return,
)
from dsnlink.deposit_point.returns.labels import CRM_CODE_LABELS, OUTCOME_LABELS, STATUS_LABELS
from dsnlink.errors import NotFoundError
from dsnlink.norm.catalogue import get_catalogue
from dsnlink.outbox.models import JobStatus
from dsnlink.security.keys import Keyring
from dsnlink.security.receipts import ReceiptSigner
from dsnlink.tenants import repository as tenants_repository
from dsnlink.tenants.models import Company, Establishment
from dsnlink.tenants.schemas import Principal
from dsnlink.transmission import repository
from dsnlink.transmission.models import DepositReturn
from dsnlink.transmission.protocol import MAX_EVENT_ANOMALIES


class AttemptView(BaseModel):
    """One try at depositing the declaration."""

    id: int
    started_at: datetime
    sent_at: datetime
    finished_at: datetime | None
    outcome: str = Field(
        description="sending, accepted, refused, not_sent, ambiguous, reconciled, lost or failed"
    )
    http_status: int | None
    duration_ms: int | None
    error: str | None = Field(description="the deposit point's own message when it gave one")
    idflux: str | None


class ReturnView(BaseModel):
    """A return the deposit point published for the flow (latest version)."""

    return_id: str
    nature: str
    label: str | None
    ops: str | None = Field(description="the body (organisme) that produced it, if any")
    status: str | None = Field(description="OK, ANO (non-blocking anomalies) or KO")
    status_label: str | None
    kind: str | None
    readable: bool = Field(
        default=True, description="false: the document could not be read; kept raw, quarantined"
    )
    error: str | None = Field(default=None, description="why it could not be read")
    organism: str | None = None
    crm_code: int | None = Field(
        default=None, description="the organism's CRM code: 0 accepted, 1 with anomalies, 2, 3 KO"
    )
    delegataire: str | None = None
    published_at: datetime | None
    versions: int = Field(description="how many versions were seen (bodies overwrite returns)")
    schema_valid: bool | None
    anomalies: list[dict[str, Any]] = Field(default_factory=list)
    url: str = Field(description="the XML document: GET this path")


class TransmissionView(BaseModel):
    """Where the transmission of a declaration stands."""

    idflux: str | None
    deposited_at: datetime | None
    reconciled: bool = Field(
        description="the flow was found through lister-depots after an ambiguous attempt"
    )
    settled: bool = Field(description="no more returns are polled for this flow")
    job_status: str | None
    next_try_at: datetime | None
    last_error: str | None
    attempts: list[AttemptView]
    returns: list[ReturnView]


class DeclarationDetail(DeclarationRead):
    timeline: list[EventRead]
    transmission: TransmissionView | None = None


def read_declaration(
    session: Session, *, principal: Principal, declaration_id: uuid.UUID, keyring: Keyring
) -> DeclarationDetail:
    """A declaration the principal may see, with its timeline and its transmission."""
    declaration = tracking.get_visible_declaration_or_raise(
        session, principal=principal, declaration_id=declaration_id
    )
    described = tracking.describe_declaration(
        session,
        declaration,
        anomalies=tracking.declaration_anomalies(declaration, keyring=keyring),
    )
    stored_events = declarations_repository.list_events(session, declaration_id=declaration.id)
    creators = tenants_repository.api_key_creators(
        session,
        tenant_id=declaration.tenant_id,
        key_ids={e.api_key_id for e in stored_events if e.api_key_id},
    )
    events = [
        EventRead(
            status=DeclarationStatus(e.status),
            at=e.at,
            user_id=e.user_id,
            api_key_id=e.api_key_id,
            api_key_created_by_user_id=creators.get(e.api_key_id) if e.api_key_id else None,
            detail=tracking.event_detail(e, keyring=keyring),
        )
        for e in stored_events
    ]
    transmission = get_transmission_view(session, declaration_id=declaration.id, keyring=keyring)
    return DeclarationDetail(**described.model_dump(), timeline=events, transmission=transmission)


class EmployeeRead(BaseModel):
    """The employee an anomaly is about, as the return names them."""

    nir: str | None = None
    ntt: str | None = Field(default=None, description="numéro technique temporaire")
    last_name: str | None = None
    first_names: str | None = None
    matricule: str | None = None
    birth_date: str | None = None


class ReturnAnomalyRead(BaseModel):
    code: str
    message: str
    category: str | None = None
    blocking: bool | None = None
    rubric: str | None = None
    rubric_label: str | None = None
    value: str | None = None
    expected_value: str | None = None
    line: int | None = None
    action: str | None = Field(default=None, description="what the organism asks to do")


class AnomalyGroup(BaseModel):
    """The anomalies of one employee (or, `employee` null, of the declaration as a whole)."""

    employee: EmployeeRead | None
    anomalies: list[ReturnAnomalyRead]


class ReturnDocumentRead(BaseModel):
    """A return as a person reads it: what it is, what it says, what to do next."""

    return_id: str
    nature: str
    label: str | None
    kind: str
    organism: str | None
    readable: bool
    error: str | None = Field(description="why it could not be read (then only the raw bytes)")
    status: str | None
    status_label: str | None
    crm_code: int | None
    crm_code_label: str | None
    outcome: str | None = Field(description="what it means for the declaration")
    next_step: str | None
    siren: str | None
    nic: str | None
    month: str | None
    received_at: datetime | None
    anomaly_count: int
    by_employee: list[AnomalyGroup]


_NEXT_STEPS: dict[DeclarationOutcome, str] = {
    DeclarationOutcome.REFUSED_BY_DEPOSIT_POINT: (
        "L'envoi est refusé : corrigez le fichier selon les anomalies et déposez-le de nouveau."
    ),
    DeclarationOutcome.REJECTED_BY_DEPOSIT_POINT: (
        "La déclaration n'est pas déposée : corrigez les anomalies bloquantes et envoyez un "
        "nouveau fichier comme déclaration normale avant la date limite."
    ),
    DeclarationOutcome.CRM_ANOMALIES: (
        "Déclaration acceptée par l'organisme : corrigez ces anomalies dans la paie, elles seront "
        "reprises par une prochaine déclaration."
    ),
    DeclarationOutcome.CRM_KO: (
        "L'organisme n'a pas (entièrement) pris en compte la déclaration : suivez les actions "
        "indiquées, puis corrigez par une déclaration annule et remplace ou le mois suivant."
    ),
}


def read_return_document(
    session: Session,
    *,
    principal: Principal,
    declaration_id: uuid.UUID,
    return_id: str,
    keyring: Keyring,
) -> tuple[ReturnDocumentRead, ReturnDocument]:
    """A return of a declaration the principal may see, read again from its stored bytes; a
    rubric the return does not label is labelled from the declaration's norm catalogue."""
    declaration = tracking.get_visible_declaration_or_raise(
        session, principal=principal, declaration_id=declaration_id
    )
    row = _return_row(session, declaration_id=declaration_id, return_id=return_id)
    content = keyring.decrypt(row.xml_sealed)
    document = read_return(content, nature=row.nature, name=row.return_id)
    outcome = declaration_outcome(document)
    catalogue = get_catalogue(declaration.norm_version)
    groups: dict[Employee | None, list[ReturnAnomalyRead]] = {}
    for anomaly in document.anomalies:
        read = ReturnAnomalyRead.model_validate(anomaly, from_attributes=True)
        if read.rubric_label is None and catalogue and read.rubric in catalogue.rubrics:
            read.rubric_label = catalogue.rubrics[read.rubric].label
        groups.setdefault(anomaly.employee, []).append(read)
    return (
        ReturnDocumentRead(
            return_id=row.return_id,
            nature=row.nature,
            label=row.label,
            kind=document.kind.value,
            organism=document.organism,
            readable=document.readable,
            error=document.error or row.error,
            status=document.status.value if document.status else row.status,
            status_label=_status_label(row.status),
            crm_code=document.crm_code,
            crm_code_label=CRM_CODE_LABELS.get(document.crm_code)
            if document.crm_code is not None
            else None,
            outcome=OUTCOME_LABELS[outcome] if outcome else None,
            next_step=_NEXT_STEPS.get(outcome) if outcome else None,
            siren=document.flow.siren,
            nic=document.flow.nic,
            month=document.flow.month,
            received_at=document.received_at,
            anomaly_count=len(document.anomalies),
            by_employee=[
                AnomalyGroup(
                    employee=EmployeeRead.model_validate(employee, from_attributes=True)
                    if employee
                    else None,
                    anomalies=anomalies,
                )
                for employee, anomalies in sorted(
                    groups.items(), key=lambda item: item[0] is not None
                )
            ],
        ),
        document,
    )


def read_return_raw(
    session: Session,
    *,
    principal: Principal,
    declaration_id: uuid.UUID,
    return_id: str,
    keyring: Keyring,
) -> bytes:
    """A return's bytes exactly as the deposit point published them (any encoding)."""
    tracking.get_visible_declaration_or_raise(
        session, principal=principal, declaration_id=declaration_id
    )
    row = _return_row(session, declaration_id=declaration_id, return_id=return_id)
    return keyring.decrypt(row.xml_sealed)


def _return_row(session: Session, *, declaration_id: uuid.UUID, return_id: str) -> DepositReturn:
    row = repository.get_return(session, declaration_id=declaration_id, return_id=return_id)
    if row is None:
        raise NotFoundError(
            f"no return {return_id} for declaration {declaration_id}",
            declaration_id=str(declaration_id),
            return_id=return_id,
        )
    return row


def read_return_xml(
    session: Session,
    *,
    principal: Principal,
    declaration_id: uuid.UUID,
    return_id: str,
    keyring: Keyring,
) -> str:
    """One return of the deposit point for a declaration the principal may see, as XML."""
    tracking.get_visible_declaration_or_raise(
        session, principal=principal, declaration_id=declaration_id
    )
    return get_return_xml(
        session, declaration_id=declaration_id, return_id=return_id, keyring=keyring
    )


def get_transmission_view(
    session: Session, *, declaration_id: uuid.UUID, keyring: Keyring
) -> TransmissionView:
    """Attempts, flow and returns of a declaration (the caller checked the tenant)."""
    attempts = repository.attempts_of(session, declaration_id)
    flow = repository.flow_of(session, declaration_id)
    returns = repository.returns_of(session, declaration_id)
    job = repository.job_of(session, declaration_id)
    return TransmissionView(
        idflux=flow.idflux if flow else None,
        deposited_at=flow.deposited_at if flow else None,
        reconciled=bool(flow and flow.reconciled),
        settled=bool(flow and flow.settled_at),
        job_status=job.status if job else None,
        next_try_at=job.available_at if job and job.status == JobStatus.QUEUED else None,
        last_error=job.last_error if job else None,
        attempts=[
            AttemptView(
                id=a.id or 0,
                started_at=a.started_at,
                sent_at=a.sent_at,
                finished_at=a.finished_at,
                outcome=a.outcome,
                http_status=a.http_status,
                duration_ms=a.duration_ms,
                error=a.error,
                idflux=a.idflux,
            )
            for a in attempts
        ],
        returns=[
            ReturnView(
                return_id=r.return_id,
                nature=r.nature,
                label=r.label,
                ops=r.ops or None,
                status=r.status,
                status_label=_status_label(r.status),
                kind=r.kind,
                published_at=r.published_at,
                versions=r.versions,
                schema_valid=r.schema_valid,
                readable=r.readable,
                error=r.error,
                organism=r.organism,
                crm_code=r.crm_code,
                delegataire=r.delegataire or None,
                anomalies=_parsed_anomalies(keyring.open_json(r.parsed_sealed)),
                url=f"/v1/declarations/{declaration_id}/returns/{r.return_id}",
            )
            for r in returns
        ],
    )


def _status_label(status: str | None) -> str | None:
    try:
        return STATUS_LABELS[ReturnStatus(status)] if status else None
    except ValueError:
        return None


def _parsed_anomalies(parsed: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(parsed.get("anomalies") or [])
    if "outcome" not in parsed:  # stored by the first reader: per-declaration ones apart
        for declaration in parsed.get("declarations") or []:
            found.extend(declaration.get("anomalies") or [])
    return [{k: v for k, v in a.items() if v is not None} for a in found][:MAX_EVENT_ANOMALIES]


def get_return_xml(
    session: Session, *, declaration_id: uuid.UUID, return_id: str, keyring: Keyring
) -> str:
    """The stored XML of a return of a declaration (the caller checked the tenant)."""
    row = _return_row(session, declaration_id=declaration_id, return_id=return_id)
    return keyring.decrypt(row.xml_sealed).decode("utf-8", errors="replace")


# --- the deposit receipt (integration API, issue 14) ----------------------------------------------


def read_deposit_receipt(
    session: Session, *, principal: Principal, declaration_id: uuid.UUID, signer: ReceiptSigner
) -> ReceiptRead:
    """The signed proof that the deposit point holds the declaration's file: its idflux and the
    deposit time, from `deposited_flow` (Ed25519 is deterministic: the same proof every time)."""
    declaration = tracking.get_visible_declaration_or_raise(
        session, principal=principal, declaration_id=declaration_id
    )
    flow = repository.flow_of(session, declaration.id)
    if flow is None:
        raise NotDeposited(
            f"declaration {declaration.id} is {declaration.status}: the deposit point does not "
            "hold it yet, so there is no deposit receipt",
            declaration_id=str(declaration.id),
            current_status=declaration.status,
        )
    company = session.get(Company, declaration.company_id)
    establishment = session.get(Establishment, declaration.establishment_id)
    assert company is not None and establishment is not None
    signed = signer.sign(
        tracking.deposit_receipt_payload(
            declaration,
            idflux=flow.idflux,
            deposited_at=flow.deposited_at,
            siren=company.siren,
            nic=establishment.nic,
        )
    )
    return ReceiptRead(payload=signed.payload, signature=signed.signature, key_id=signed.key_id)


# --- the returns of every declaration (integration API, issue 14) ---------------------------------


class ReturnListItem(BaseModel):
    """One return of the deposit point, with the declaration it answers."""

    declaration_id: uuid.UUID
    month: str
    nature_of_declaration: str
    return_id: str
    nature: str
    label: str | None
    ops: str | None
    status: str | None = Field(description="OK, ANO (non-blocking anomalies) or KO")
    kind: str | None
    published_at: datetime | None
    downloaded_at: datetime
    url: str = Field(description="the XML document: GET this path")


class ReturnPage(BaseModel):
    items: list[ReturnListItem]
    next_cursor: str | None = Field(description="pass it as `cursor`; null on the last page")


def list_returns(
    session: Session,
    *,
    principal: Principal,
    declaration_id: uuid.UUID | None,
    siret: str | None,
    nature: str | None,
    status: str | None,
    published_after: datetime | None,
    published_before: datetime | None,
    cursor: str | None,
    limit: int,
) -> ReturnPage:
    """The tenant's returns across declarations, in the order they were stored (a feed)."""
    after_id = None
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 18:
            raise UnknownFilter(
                "the cursor is not one this API gave: pass `next_cursor` as is",
                parameter="cursor",
            )
        after_id = int(cursor)
    rows = repository.list_returns_across(
        session,
        tenant_id=principal.tenant_id,
        company_ids=sorted(principal.company_ids) if principal.company_ids is not None else None,
        declaration_id=declaration_id,
        siret=siret,
        nature=nature,
        status=status,
        published_after=published_after,
        published_before=published_before,
        after_id=after_id,
        limit=limit,
    )
    return ReturnPage(
        items=[
            ReturnListItem(
                declaration_id=declaration.id,
                month=declaration.month,
                nature_of_declaration=declaration.nature,
                return_id=row.return_id,
                nature=row.nature,
                label=row.label,
                ops=row.ops or None,
                status=row.status,
                kind=row.kind,
                published_at=row.published_at,
                downloaded_at=row.downloaded_at,
                url=f"/v1/declarations/{declaration.id}/returns/{row.return_id}",
            )
            for row, declaration in rows
        ],
        next_cursor=str(rows[-1][0].id) if len(rows) == limit and rows[-1][0].id else None,
    )
