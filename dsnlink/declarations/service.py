"""Rules of declarations: intake, receipts, the transmission order, tracking, quota, deadlines.

Intake order of checks (each refusal stores nothing): size and encoding while streaming →
identical bytes already received (409) → validation → SIREN/SIRET of the tenant (403) → for a
valid declaration: payslip quota (422) and cut-off (422 unless `accept_late`). A declaration the
norm controls reject is stored as `rejected`, so its anomalies can be read; it is never
transmitted.
"""

from __future__ import annotations

import functools
import re
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
from dsnlink.db import on_rollback
from dsnlink.deadlines import compute_deadlines
from dsnlink.declarations import ordering, repository, timeline
from dsnlink.declarations.errors import (
    CutoffPassed,
    DuplicateDeclaration,
    ForeignEstablishment,
    MsaDepositPoint,
    QuotaExceeded,
    StorageQuotaExceeded,
    UnidentifiableDeclaration,
)
from dsnlink.declarations.intake import stage_upload
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.declarations.schemas import (
    DeclarationRead,
)
from dsnlink.declarations.tracking import (
    describe_declaration,
    receipt_payload,
)
from dsnlink.errors import InputError
from dsnlink.norm import validate_stream
from dsnlink.security.blobs import BlobStore, StoredBlob
from dsnlink.security.keys import Keyring
from dsnlink.security.receipts import ReceiptSigner
from dsnlink.service_status import service as service_status
from dsnlink.service_status.models import Maintenance
from dsnlink.tenants import limits as tenants_limits
from dsnlink.tenants import repository as tenants_repository
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.models import Company, Establishment
from dsnlink.tenants.schemas import Principal

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
    storage_quota_bytes: int | None = None
    """Stored bytes per tenant unless the operator set the tenant's storage_bytes limit."""
    norm_dir: Path | None = None
    """Where imported norm catalogues are (`dsnlink norm import`): data_dir."""

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
        if not principal.may_see(existing.company_id):
            # The same file is the same company's: answer as for any file of a company this
            # user may not file for, without naming (or confirming) the other declaration.
            raise _not_for_this_user(
                tenants_repository.get_establishment(
                    session, tenant_id=tenant_id, establishment_id=existing.establishment_id
                )
            )
        raise _duplicate(existing.id)

    report = validate_stream(
        runtime.blobs.read(staged.path, wrapped_key=staged.wrapped_key),
        filename=filename or "upload",
        data_dir=runtime.norm_dir,
    )
    if _deposit_point_code(runtime.blobs.read(staged.path, wrapped_key=staged.wrapped_key)) == "02":
        raise MsaDepositPoint(
            "Ce fichier est destiné au point de dépôt de la MSA (rubrique S10.G00.00.007 = 02) : "
            "dsnlink transmet les DSN à net-entreprises.fr uniquement. Déposez-le sur msa.fr, ou "
            "indiquez 01 (net-entreprises) dans S10.G00.00.007 si l'entreprise relève du régime "
            "général, puis envoyez-le de nouveau.",
            rubric="S10.G00.00.007",
            value="02",
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

    _check_storage(session, tenant_id=tenant_id, adding=staged.size, runtime=runtime)
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
        status=DeclarationStatus.RECEIVED,
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
    timeline.begin(session, declaration, at=now, by=principal, size=staged.size)
    timeline.advance(
        session,
        declaration,
        status,
        at=now,
        by=principal,
        anomaly_count=len(anomalies),
        norm_version=report.norm_version,
    )
    runtime.blobs.promote(staged.path, final_path)
    on_rollback(session, functools.partial(final_path.unlink, missing_ok=True))
    if transmit and status is DeclarationStatus.VALIDATED:
        ordering.order(
            session,
            declaration=declaration,
            principal=principal,
            clock=runtime.clock,
            keyring=runtime.keyring,
        )
    session.flush()
    return describe_declaration(session, declaration, anomalies=stored_anomalies)


_DEPOSIT_POINT_LINE = re.compile(rb"^S10\.G00\.00\.007,'([^'\r\n]*)'", re.MULTILINE)
# The S10 block opens the file: its deposit point code is within the first lines.
_HEAD_BYTES = 64 * 1024


def _deposit_point_code(chunks: Iterable[bytes]) -> str | None:
    """S10.G00.00.007 of the file (01 net-entreprises, 02 MSA), read from its head only."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= _HEAD_BYTES:
            break
    found = _DEPOSIT_POINT_LINE.search(head[:_HEAD_BYTES])
    return found.group(1).decode("latin-1").strip() if found else None


def _not_for_this_user(
    establishment: Establishment | None, *, siren: str = "", nic: str = ""
) -> ForeignEstablishment:
    """One answer for a restricted user, whether the establishment is unknown to the tenant or
    belongs to a company outside the user's scope: the difference would tell them which
    companies the tenant has."""
    siret = establishment.siret if establishment is not None else siren + nic
    return ForeignEstablishment(
        f"SIRET {siret} is not among the establishments this user may file for",
        siren=siret[:9],
        siret=siret,
    )


def _check_storage(
    session: Session, *, tenant_id: uuid.UUID, adding: int, runtime: IntakeRuntime
) -> None:
    """Every stored file counts against the tenant's storage quota, rejected ones included
    (they are kept for their anomalies until `dsnlink retention purge` deletes them). Checked
    under the tenant's lock, so concurrent uploads cannot overshoot it together."""
    tenant = tenants_service.get_tenant_or_raise(session, tenant_id=tenant_id)
    quota = tenants_limits.tenant_limit(
        session, tenant=tenant, name=tenants_limits.STORAGE_LIMIT
    ) or runtime.storage_quota_bytes
    if quota is None:
        return
    tenants_repository.lock_tenant(session, tenant_id)
    used = repository.stored_bytes(session, tenant_id=tenant_id)
    if used + adding > quota:
        raise StorageQuotaExceeded(
            f"storing this file ({adding} bytes) would pass the tenant's storage quota of "
            f"{quota} bytes ({used} already used): delete rejected declarations or ask the "
            "operator to raise it",
            limit=tenants_limits.STORAGE_LIMIT,
            value=quota,
            used=used,
            requested=adding,
        )


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
        if establishment is None and principal.company_ids is not None:
            raise _not_for_this_user(None, siren=siren, nic=nic)
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
            raise _not_for_this_user(establishment)
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


def to_utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None


def planned_maintenances(session: Session, *, month: str) -> Sequence[Maintenance]:
    """Announced planned maintenances that can shorten the service hours before a deadline of
    `month` (deadlines fall in the following months)."""
    start = datetime(int(month[:4]), int(month[5:7]), 1, tzinfo=UTC)
    return service_status.announced_maintenances(
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
    return to_utc(computed.deadline), to_utc(computed.cutoff)


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


