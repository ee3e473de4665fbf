"""Rules of declarations: intake, receipts, the transmission order, tracking, quota, deadlines.

Intake order of checks (each refusal stores nothing): size and encoding while streaming →
identical bytes already received (409) → validation → SIREN/SIRET of the tenant (403) → for a
valid declaration: payslip quota (422) and cut-off (422 unless `accept_late`). A declaration the
norm controls reject is stored as `rejected`, so its anomalies can be read; it is never
transmitted.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import AsyncIterable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from dsnlink.clock import Clock
from dsnlink.contract import service as contract_service
from dsnlink.contract.models import Maintenance
from dsnlink.db import on_rollback
from dsnlink.deadlines import compute_deadlines
from dsnlink.declarations import repository
from dsnlink.declarations.errors import (
    AlreadyOrdered,
    CutoffPassed,
    DeclarationRejected,
    DuplicateDeclaration,
    ForeignEstablishment,
    NotTransmittable,
    QuotaExceeded,
    UnidentifiableDeclaration,
)
from dsnlink.declarations.intake import stage_upload
from dsnlink.declarations.models import Declaration, DeclarationEvent, DeclarationStatus
from dsnlink.declarations.repository import DeclarationFilters
from dsnlink.declarations.schemas import (
    AnomalyRead,
    CompanyDeadline,
    CompanyDeadlineRow,
    CompanyRef,
    DeclarationDetail,
    DeclarationPage,
    DeclarationRead,
    DeclarationSummary,
    EstablishmentRef,
    EventRead,
    FiledDeclaration,
    MonthDeadlines,
    MonthDeadlinesPage,
    PublicKeyRead,
    ReceiptRead,
)
from dsnlink.errors import DsnlinkError, InputError, NotFoundError
from dsnlink.months import parse_month
from dsnlink.norm import validate_stream
from dsnlink.security.blobs import BlobStore, StoredBlob
from dsnlink.security.keys import Keyring
from dsnlink.security.receipts import ReceiptSigner
from dsnlink.tenants import repository as tenants_repository
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.models import Company, Establishment
from dsnlink.tenants.schemas import Principal
from dsnlink.transmission import service as transmission_service
from dsnlink.transmission.queue import enqueue_transmission

MAX_STORED_ANOMALIES = 1000
REPLACING_TYPES = frozenset({"03", "05"})
PLANNED_MAINTENANCE_HORIZON_DAYS = 120


@dataclass(frozen=True)
class IntakeRuntime:
    """The collaborators intake needs besides the session: storage, signing key, time, limit."""

    blobs: BlobStore
    signer: ReceiptSigner
    clock: Clock
    max_bytes: int

    @property
    def keyring(self) -> Keyring:
        return self.blobs.keyring


# --- intake --------------------------------------------------------------------------------------


async def receive_declaration(
    session: Session,
    *,
    principal: Principal,
    chunks: AsyncIterable[bytes],
    content_encoding: str | None,
    filename: str | None,
    accept_late: bool,
    transmit: bool,
    runtime: IntakeRuntime,
) -> DeclarationRead:
    """Stream, store encrypted, validate and record a DSN file; optionally order its transmission.

    Validation is CPU-bound and runs in a worker thread, so one large file never stalls the
    event loop that serves every other request.
    """
    staged = await stage_upload(
        chunks,
        content_encoding=content_encoding,
        max_bytes=runtime.max_bytes,
        blobs=runtime.blobs,
    )
    try:
        return await anyio.to_thread.run_sync(
            functools.partial(
                _record_staged,
                session,
                principal=principal,
                staged=staged,
                filename=filename,
                accept_late=accept_late,
                transmit=transmit,
                runtime=runtime,
            )
        )
    finally:
        staged.path.unlink(missing_ok=True)


def _anomaly_dict(anomaly: Any) -> dict[str, Any]:
    return {
        name: getattr(anomaly, name, None)
        for name in ("id", "category", "message", "line", "rubric", "value")
    }


def _record_staged(
    session: Session,
    *,
    principal: Principal,
    staged: StoredBlob,
    filename: str | None,
    accept_late: bool,
    transmit: bool,
    runtime: IntakeRuntime,
) -> DeclarationRead:
    tenant_id = principal.tenant_id
    existing = repository.get_declaration_by_sha256(
        session, tenant_id=tenant_id, sha256=staged.sha256
    )
    if existing is not None:
        raise _duplicate(existing.id)

    report = validate_stream(
        runtime.blobs.read(staged.path, wrapped_key=staged.wrapped_key),
        filename=filename or "upload",
    )
    anomalies = [_anomaly_dict(a) for a in report.anomalies]
    stored_anomalies = anomalies[:MAX_STORED_ANOMALIES]
    company, establishment, summary = _identify(
        session, principal=principal, declarations=report.declarations, anomalies=anomalies
    )
    nature, type_, month = summary.nature, summary.type, summary.month
    deadline, cutoff = _deadlines_for(
        session,
        nature=nature,
        type_=type_,
        month=month,
        due_day=company.due_day,
        event_date=summary.event_date,
    )
    now = runtime.clock.now()
    status = DeclarationStatus.VALIDATED if report.valid else DeclarationStatus.REJECTED
    if status is DeclarationStatus.VALIDATED:
        _check_quota(
            session,
            company=company,
            establishment=establishment,
            nature=nature,
            type_=type_,
            month=month,
            individuals=summary.individuals,
        )
        if cutoff is not None and now > cutoff and not accept_late:
            raise CutoffPassed(
                f"the cut-off for this declaration ({cutoff.isoformat()}) has passed; its legal "
                f"deadline is {deadline.isoformat() if deadline else 'unknown'}. Send it again "
                "with accept_late=true to have it transmitted without guarantee.",
                deadline=deadline,
                cutoff=cutoff,
            )

    declaration_id = uuid.uuid4()
    final_path = runtime.blobs.final_path(tenant_id=tenant_id, declaration_id=declaration_id)
    guaranteed = cutoff is None or now <= cutoff
    receipt = runtime.signer.sign(
        receipt_payload(
            declaration_id=declaration_id,
            sha256=staged.sha256,
            received_at=now,
            deadline=deadline,
            cutoff=cutoff,
            guaranteed=guaranteed,
        )
    )
    declaration = Declaration(
        id=declaration_id,
        tenant_id=tenant_id,
        company_id=company.id,
        establishment_id=establishment.id,
        status=status,
        nature=nature,
        type=type_,
        month=month,
        norm_version=report.norm_version,
        individuals=summary.individuals,
        filename=(filename or None) and filename[:255],
        sha256=staged.sha256,
        size=staged.size,
        blob_path=str(final_path.relative_to(runtime.blobs.root)),
        blob_wrapped_key=staged.wrapped_key,
        anomalies_sealed=runtime.keyring.seal_json(stored_anomalies),
        anomaly_count=len(anomalies),
        received_at=now,
        deadline=deadline,
        cutoff=cutoff,
        guaranteed=guaranteed,
        late=deadline is not None and now > deadline,
        received_by_user_id=principal.user_id,
        received_by_api_key_id=principal.api_key_id,
        receipt_signature=receipt.signature,
        receipt_key_id=receipt.key_id,
    )
    session.add(declaration)
    try:
        session.flush()
    except IntegrityError as exc:
        # Two identical uploads raced past the first check; the unique index decides.
        raise _duplicate(None) from exc
    _add_event(session, declaration, DeclarationStatus.RECEIVED, principal, now, size=staged.size)
    _add_event(
        session,
        declaration,
        status,
        principal,
        now,
        anomaly_count=len(anomalies),
        norm_version=report.norm_version,
    )
    runtime.blobs.promote(staged.path, final_path)
    on_rollback(session, functools.partial(final_path.unlink, missing_ok=True))
    if transmit and status is DeclarationStatus.VALIDATED:
        _order(session, declaration=declaration, principal=principal, clock=runtime.clock)
    session.flush()
    return _describe(session, declaration, anomalies=stored_anomalies)


def _duplicate(declaration_id: uuid.UUID | None) -> DuplicateDeclaration:
    if declaration_id is None:
        return DuplicateDeclaration("this exact file was already received for this tenant")
    return DuplicateDeclaration(
        f"this exact file was already received for this tenant as declaration {declaration_id}",
        declaration_id=str(declaration_id),
    )


@dataclass(frozen=True)
class _Identified:
    nature: str
    type: str
    month: str
    individuals: int
    event_date: str | None = None


def _identify(
    session: Session,
    *,
    principal: Principal,
    declarations: Sequence[Any],
    anomalies: list[dict[str, Any]],
) -> tuple[Company, Establishment, _Identified]:
    """The tenant's company and establishment the file is about; every S20 block must be ours,
    and inside a restricted user's company scope."""
    tenant_id = principal.tenant_id
    found: list[tuple[Company, Establishment]] = []
    for item in declarations:
        siren, nic = item.siren, item.nic
        if not (siren and nic and item.nature and item.type and item.month):
            continue
        establishment = tenants_repository.get_establishment_by_siret(
            session, tenant_id=tenant_id, siret=siren + nic
        )
        if establishment is None:
            company = tenants_repository.get_company_by_siren(
                session, tenant_id=tenant_id, siren=siren
            )
            if company is None:
                raise ForeignEstablishment(
                    f"SIREN {siren} is not a company registered for this tenant",
                    siren=siren,
                    siret=siren + nic,
                )
            raise ForeignEstablishment(
                f"SIRET {siren + nic} is not an establishment registered for company {siren}",
                siren=siren,
                siret=siren + nic,
            )
        company = tenants_repository.get_company(
            session, tenant_id=tenant_id, company_id=establishment.company_id
        )
        assert company is not None  # an establishment always belongs to a company
        if not principal.may_see(company.id):
            raise ForeignEstablishment(
                f"SIREN {siren} is not among the companies this user may file for",
                siren=siren,
                siret=siren + nic,
            )
        found.append((company, establishment))
    first = next(
        (d for d in declarations if d.siren and d.nic and d.nature and d.type and d.month), None
    )
    if first is None or not found:
        raise UnidentifiableDeclaration(
            "no declaration with a readable nature, type, month, SIREN and NIC was found in the "
            "file: it cannot be filed for any company",
            anomalies=anomalies[:20],
        )
    company, establishment = found[0]
    identified = _Identified(
        nature=first.nature,
        type=first.type,
        month=first.month,
        individuals=first.individuals,
        event_date=first.event_date,
    )
    return company, establishment, identified


def _to_utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def planned_maintenances(session: Session, *, month: str) -> Sequence[Maintenance]:
    """Announced planned maintenances that can shorten the service hours before a deadline of
    `month` (deadlines fall in the following months)."""
    start = datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=UTC)
    return contract_service.announced_maintenances(
        session, start=start, end=start + timedelta(days=PLANNED_MAINTENANCE_HORIZON_DAYS)
    )


def _deadlines_for(
    session: Session,
    *,
    nature: str,
    type_: str,
    month: str,
    due_day: int,
    event_date: str | None,
) -> tuple[datetime | None, datetime | None]:
    try:
        computed = compute_deadlines(
            nature=nature,
            type=type_,
            month=month,
            due_day=due_day,
            event_date=event_date,
            planned_maintenances=planned_maintenances(session, month=month),
        )
    except InputError:
        # A signalement without a readable event date (its own anomaly says why): no deadline.
        return None, None
    return _to_utc(computed.deadline), _to_utc(computed.cutoff)


def receipt_payload(
    *,
    declaration_id: uuid.UUID,
    sha256: str,
    received_at: datetime,
    deadline: datetime | None,
    cutoff: datetime | None,
    guaranteed: bool,
) -> dict[str, Any]:
    def stamp(moment: datetime | None) -> str | None:
        return moment.astimezone(UTC).isoformat() if moment is not None else None

    return {
        "declaration_id": str(declaration_id),
        "sha256": sha256,
        "received_at": stamp(received_at),
        "deadline": stamp(deadline),
        "cutoff": stamp(cutoff),
        "guaranteed": guaranteed,
    }


def _add_event(
    session: Session,
    declaration: Declaration,
    status: DeclarationStatus,
    principal: Principal | None,
    at: datetime,
    **detail: Any,
) -> None:
    session.add(
        DeclarationEvent(
            declaration_id=declaration.id,
            status=status,
            at=at,
            user_id=principal.user_id if principal else None,
            api_key_id=principal.api_key_id if principal else None,
            detail=detail,
        )
    )


# --- quota ---------------------------------------------------------------------------------------


def payslips_counted(declarations: Iterable[tuple[uuid.UUID, str, str, int]]) -> int:
    """Payslips of a year from (establishment, month, type, individuals), oldest first.

    An annule-et-remplace (types 03 and 05) replaces what the establishment declared for that
    month; any other type adds to it.
    """
    per_month: dict[tuple[uuid.UUID, str], int] = {}
    for establishment_id, month, type_, individuals in declarations:
        key = (establishment_id, month)
        per_month[key] = individuals + (0 if type_ in REPLACING_TYPES else per_month.get(key, 0))
    return sum(per_month.values())


def _check_quota(
    session: Session,
    *,
    company: Company,
    establishment: Establishment,
    nature: str,
    type_: str,
    month: str,
    individuals: int,
) -> None:
    if nature != "01":
        return
    tenant = tenants_service.get_tenant_or_raise(session, tenant_id=company.tenant_id)
    limit = tenants_service.payslip_limit(session, tenant=tenant)
    if limit is None:
        return
    year = int(month[:4])
    rows = [
        (d.establishment_id, d.month, d.type, d.individuals)
        for d in repository.list_monthly_for_year(session, company_id=company.id, year=year)
    ]
    used = payslips_counted(rows)
    after = payslips_counted([*rows, (establishment.id, month, type_, individuals)])
    if after > limit:
        raise QuotaExceeded(
            f"company {company.siren} would reach {after} payslips in {year}, over the limit of "
            f"{limit} per company per year of the {tenant.offering} offering; ask the operator "
            "to raise the tenant's limit",
            siren=company.siren,
            year=year,
            limit=limit,
            used=used,
            requested=individuals,
        )


# --- the transmission order (mandate) ------------------------------------------------------------


def _order(
    session: Session, *, declaration: Declaration, principal: Principal, clock: Clock
) -> None:
    now = clock.now()
    declaration.status = DeclarationStatus.ORDERED
    declaration.ordered_at = now
    declaration.ordered_by_user_id = principal.user_id
    declaration.ordered_by_api_key_id = principal.api_key_id
    session.add(declaration)
    _add_event(session, declaration, DeclarationStatus.ORDERED, principal, now)
    try:
        enqueue_transmission(
            session, declaration_id=declaration.id, ordered_by=principal.user_id, clock=clock
        )
    except IntegrityError as exc:
        raise AlreadyOrdered(
            f"the transmission of declaration {declaration.id} was already ordered",
            declaration_id=str(declaration.id),
        ) from exc


def order_transmission(
    session: Session,
    *,
    principal: Principal,
    declaration_id: uuid.UUID,
    clock: Clock,
    keyring: Keyring,
) -> DeclarationRead:
    """Record who ordered the transmission and when, and queue it in the same transaction."""
    declaration = get_visible_declaration_or_raise(
        session, principal=principal, declaration_id=declaration_id
    )
    tenants_service.require_activated(session, tenant_id=principal.tenant_id)
    if declaration.ordered_at is not None:
        raise AlreadyOrdered(
            f"the transmission of declaration {declaration.id} was already ordered at "
            f"{declaration.ordered_at.isoformat()}",
            declaration_id=str(declaration.id),
            ordered_at=declaration.ordered_at,
            ordered_by_user_id=str(declaration.ordered_by_user_id),
        )
    if declaration.status == DeclarationStatus.REJECTED:
        raise DeclarationRejected(
            f"declaration {declaration.id} was rejected by the norm controls "
            f"({declaration.anomaly_count} anomalies): it can never be transmitted; correct the "
            "file and send it again",
            declaration_id=str(declaration.id),
            anomalies=[
                a
                for a in declaration_anomalies(declaration, keyring=keyring)
                if a.get("category") == "bloquant"
            ][:20],
        )
    if not DeclarationStatus(declaration.status).transmittable:
        raise NotTransmittable(
            f"declaration {declaration.id} is {declaration.status}: no order can be given",
            declaration_id=str(declaration.id),
            status=declaration.status,
        )
    _order(session, declaration=declaration, principal=principal, clock=clock)
    session.flush()
    return _describe(
        session, declaration, anomalies=declaration_anomalies(declaration, keyring=keyring)
    )


# --- tracking ------------------------------------------------------------------------------------


def get_declaration_or_raise(
    session: Session, *, tenant_id: uuid.UUID, declaration_id: uuid.UUID
) -> Declaration:
    declaration = repository.get_declaration(
        session, tenant_id=tenant_id, declaration_id=declaration_id
    )
    if declaration is None:
        raise NotFoundError(f"no declaration {declaration_id}", declaration_id=str(declaration_id))
    return declaration


def get_visible_declaration_or_raise(
    session: Session, *, principal: Principal, declaration_id: uuid.UUID
) -> Declaration:
    """A declaration of the principal's tenant and company scope; anything else is not found
    (another tenant's, or another client company's, looks exactly like one that does not exist)."""
    declaration = get_declaration_or_raise(
        session, tenant_id=principal.tenant_id, declaration_id=declaration_id
    )
    if not principal.may_see(declaration.company_id):
        raise NotFoundError(f"no declaration {declaration_id}", declaration_id=str(declaration_id))
    return declaration


def read_return_xml(
    session: Session,
    *,
    principal: Principal,
    declaration_id: uuid.UUID,
    return_id: str,
    keyring: Keyring,
) -> str:
    """One return of the deposit point for a declaration the principal may see, as XML."""
    get_visible_declaration_or_raise(session, principal=principal, declaration_id=declaration_id)
    return transmission_service.get_return_xml(
        session, declaration_id=declaration_id, return_id=return_id, keyring=keyring
    )


def _refs(
    session: Session, declarations: Sequence[Declaration]
) -> tuple[dict[uuid.UUID, Company], dict[uuid.UUID, Establishment]]:
    companies: dict[uuid.UUID, Company] = {}
    for company_id in {d.company_id for d in declarations}:
        company = session.get(Company, company_id)
        if company is not None:
            companies[company_id] = company
    establishments = {
        e.id: e
        for e in tenants_repository.list_establishments(session, company_ids=list(companies))
    }
    return companies, establishments


def _summary_fields(
    declaration: Declaration, company: Company, establishment: Establishment
) -> dict[str, Any]:
    return {
        "id": declaration.id,
        "status": DeclarationStatus(declaration.status),
        "nature": declaration.nature,
        "type": declaration.type,
        "month": declaration.month,
        "norm_version": declaration.norm_version,
        "company": CompanyRef(id=company.id, siren=company.siren, name=company.name),
        "establishment": EstablishmentRef(
            id=establishment.id, siret=establishment.siret, name=establishment.name
        ),
        "individuals": declaration.individuals,
        "filename": declaration.filename,
        "sha256": declaration.sha256,
        "size": declaration.size,
        "received_at": declaration.received_at,
        "deadline": declaration.deadline,
        "cutoff": declaration.cutoff,
        "guaranteed": declaration.guaranteed,
        "late": declaration.late,
        "ordered_at": declaration.ordered_at,
        "ordered_by_user_id": declaration.ordered_by_user_id,
        "anomaly_count": declaration.anomaly_count,
    }


def declaration_anomalies(declaration: Declaration, *, keyring: Keyring) -> list[dict[str, Any]]:
    """The stored anomalies of a declaration, opened (they quote values: NIRs, names...)."""
    if declaration.anomalies_sealed is None:
        return []
    anomalies: list[dict[str, Any]] = keyring.open_json(declaration.anomalies_sealed)
    return anomalies


def event_detail(event: DeclarationEvent, *, keyring: Keyring) -> dict[str, Any]:
    """An event's whole detail: the clear part with its sealed personal part opened."""
    if event.detail_sealed is None:
        return event.detail
    sealed: dict[str, Any] = keyring.open_json(event.detail_sealed)
    return event.detail | sealed


def _describe(
    session: Session, declaration: Declaration, *, anomalies: list[dict[str, Any]]
) -> DeclarationRead:
    companies, establishments = _refs(session, [declaration])
    return DeclarationRead(
        **_summary_fields(
            declaration,
            companies[declaration.company_id],
            establishments[declaration.establishment_id],
        ),
        anomalies=[AnomalyRead(**a) for a in anomalies],
    )


def list_declarations(
    session: Session,
    *,
    principal: Principal,
    filters: DeclarationFilters,
    limit: int,
    offset: int,
) -> DeclarationPage:
    page, total = repository.list_declarations(
        session,
        tenant_id=principal.tenant_id,
        filters=filters,
        limit=limit,
        offset=offset,
        company_ids=principal.company_ids,
    )
    companies, establishments = _refs(session, page)
    return DeclarationPage(
        items=[
            DeclarationSummary(
                **_summary_fields(d, companies[d.company_id], establishments[d.establishment_id])
            )
            for d in page
        ],
        total=total,
        limit=limit,
        offset=offset,
    )


def read_declaration(
    session: Session, *, principal: Principal, declaration_id: uuid.UUID, keyring: Keyring
) -> DeclarationDetail:
    declaration = get_visible_declaration_or_raise(
        session, principal=principal, declaration_id=declaration_id
    )
    described = _describe(
        session, declaration, anomalies=declaration_anomalies(declaration, keyring=keyring)
    )
    timeline = [
        EventRead(
            status=DeclarationStatus(e.status),
            at=e.at,
            user_id=e.user_id,
            api_key_id=e.api_key_id,
            detail=event_detail(e, keyring=keyring),
        )
        for e in repository.list_events(session, declaration_id=declaration.id)
    ]
    transmission = transmission_service.get_transmission_view(
        session, declaration_id=declaration.id, keyring=keyring
    )
    return DeclarationDetail(
        **described.model_dump(), timeline=timeline, transmission=transmission
    )


def read_receipt(
    session: Session, *, principal: Principal, declaration_id: uuid.UUID
) -> ReceiptRead:
    declaration = get_visible_declaration_or_raise(
        session, principal=principal, declaration_id=declaration_id
    )
    return ReceiptRead(
        payload=receipt_payload(
            declaration_id=declaration.id,
            sha256=declaration.sha256,
            received_at=declaration.received_at,
            deadline=declaration.deadline,
            cutoff=declaration.cutoff,
            guaranteed=declaration.guaranteed,
        ),
        signature=declaration.receipt_signature,
        key_id=declaration.receipt_key_id,
    )


def receipt_public_key(signer: ReceiptSigner) -> PublicKeyRead:
    return PublicKeyRead(key_id=signer.key_id, public_key_pem=signer.public_key_pem())


def read_file(session: Session, *, declaration_id: uuid.UUID, blobs: BlobStore) -> Iterable[bytes]:
    """The stored file, decrypted chunk by chunk (for the transmission worker)."""
    declaration = session.get(Declaration, declaration_id)
    if declaration is None:
        raise NotFoundError(f"no declaration {declaration_id}", declaration_id=str(declaration_id))
    return blobs.read(
        blobs.root / Path(declaration.blob_path), wrapped_key=declaration.blob_wrapped_key
    )


def rewrap_file_keys(session: Session, *, blobs: BlobStore) -> int:
    """Re-wrap every stored file's data key with the newest master key; returns how many."""
    count = 0
    for declaration in repository.all_declarations(session):
        declaration.blob_wrapped_key = blobs.keyring.rotate(
            declaration.blob_wrapped_key.encode("ascii")
        ).decode("ascii")
        session.add(declaration)
        count += 1
    session.flush()
    return count


def reseal_personal_data(session: Session, *, keyring: Keyring) -> int:
    """Re-encrypt the sealed anomalies of declarations and of their timeline events with the
    newest master key; returns how many values were re-encrypted."""
    count = 0
    for declaration in repository.declarations_with_sealed_anomalies(session):
        assert declaration.anomalies_sealed is not None
        declaration.anomalies_sealed = keyring.rotate(declaration.anomalies_sealed)
        session.add(declaration)
        count += 1
    for event in repository.events_with_sealed_detail(session):
        assert event.detail_sealed is not None
        event.detail_sealed = keyring.rotate(event.detail_sealed)
        session.add(event)
        count += 1
    session.flush()
    return count


# --- deadlines of a month ------------------------------------------------------------------------


def month_deadlines(session: Session, *, principal: Principal, month: str) -> MonthDeadlines:
    """Per company: the monthly DSN's deadline and cut-off, and what was filed for that month."""
    parse_month(month)
    companies = tenants_repository.list_companies(
        session, tenant_id=principal.tenant_id, company_ids=principal.company_ids
    )
    establishments = {
        e.id: e
        for e in tenants_repository.list_establishments(
            session, company_ids=[c.id for c in companies]
        )
    }
    filed = repository.list_for_month(session, tenant_id=principal.tenant_id, month=month)
    maintenances = planned_maintenances(session, month=month)
    result = []
    # A monthly deadline depends only on the due day: three computations serve any number of
    # companies.
    per_due_day: dict[int, tuple[datetime | None, datetime | None, str]] = {}
    for company in companies:
        if company.due_day not in per_due_day:
            per_due_day[company.due_day] = _monthly_deadline(
                month=month, due_day=company.due_day, maintenances=maintenances
            )
        deadline, cutoff, rule = per_due_day[company.due_day]
        result.append(
            CompanyDeadline(
                company=CompanyRef(id=company.id, siren=company.siren, name=company.name),
                due_day=company.due_day,
                deadline=deadline,
                cutoff=cutoff,
                rule=rule,
                declarations=[
                    FiledDeclaration(
                        id=d.id,
                        status=DeclarationStatus(d.status),
                        nature=d.nature,
                        type=d.type,
                        siret=establishments[d.establishment_id].siret,
                        received_at=d.received_at,
                    )
                    for d in filed
                    if d.company_id == company.id
                ],
            )
        )
    return MonthDeadlines(month=month, companies=result)


def _monthly_deadline(
    *, month: str, due_day: int, maintenances: Sequence[Maintenance]
) -> tuple[datetime | None, datetime | None, str]:
    try:
        computed = compute_deadlines(
            nature="01",
            type="01",
            month=month,
            due_day=due_day,
            planned_maintenances=maintenances,
        )
    except DsnlinkError as exc:
        return None, None, str(exc)
    return _to_utc(computed.deadline), _to_utc(computed.cutoff), computed.rule


def declaring_month(*, now: datetime) -> str:
    """The month whose monthly DSN is being filed now: the previous month until its latest
    deadline (due day 20, moved to a working day) has passed, then the current month."""
    current = now.astimezone(UTC)
    index = current.year * 12 + current.month - 2
    previous = f"{index // 12:04d}-{index % 12 + 1:02d}"
    latest = compute_deadlines(nature="01", type="01", month=previous, due_day=20).deadline
    if latest is not None and now < latest:
        return previous
    return f"{current.year:04d}-{current.month:02d}"


def month_deadlines_page(
    session: Session,
    *,
    principal: Principal,
    month: str,
    search: str | None = None,
    pending_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> MonthDeadlinesPage:
    """The month's deadlines for many companies: searched (name, SIREN or SIRET), optionally only
    those with an establishment still to file, counted per establishment, one page at a time."""
    whole = month_deadlines(session, principal=principal, month=month)
    sirets: dict[uuid.UUID, list[str]] = {}
    for establishment in tenants_repository.list_establishments(
        session, company_ids=[c.company.id for c in whole.companies]
    ):
        sirets.setdefault(establishment.company_id, []).append(establishment.siret)
    needle = (search or "").strip().casefold().replace(" ", "")
    rows = []
    for item in whole.companies:
        company_sirets = sirets.get(item.company.id, [])
        if needle and not (
            needle in item.company.name.casefold().replace(" ", "")
            or item.company.siren.startswith(needle)
            or any(siret.startswith(needle) for siret in company_sirets)
        ):
            continue
        filed = {
            d.siret
            for d in item.declarations
            if d.nature == "01" and d.status != DeclarationStatus.REJECTED
        }
        row = CompanyDeadlineRow(
            **item.model_dump(),
            establishments=len(company_sirets),
            establishments_filed=len(filed & set(company_sirets)),
        )
        # A company with no establishment yet has nothing filed either: it is still to do.
        if pending_only and row.establishments_filed >= max(row.establishments, 1):
            continue
        rows.append(row)
    return MonthDeadlinesPage(
        month=month,
        companies=rows[offset : offset + limit],
        total=len(rows),
        limit=limit,
        offset=offset,
    )
