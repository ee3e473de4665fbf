"""Tracking declarations: what a principal may see of them (summaries, anomalies, timeline
details, receipts, the stored file) and the re-encryption of what they keep sealed."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from dsnlink.declarations import repository
from dsnlink.declarations.errors import UnknownFilter
from dsnlink.declarations.models import Declaration, DeclarationEvent, DeclarationStatus
from dsnlink.declarations.repository import DeclarationFilters, Keyset
from dsnlink.declarations.schemas import (
    AnomalyRead,
    CompanyRef,
    DeclarationPage,
    DeclarationRead,
    DeclarationSummary,
    EstablishmentRef,
    PublicKeyRead,
    ReceiptRead,
)
from dsnlink.errors import NotFoundError
from dsnlink.security.blobs import BlobStore
from dsnlink.security.keys import Keyring
from dsnlink.security.receipts import ReceiptSigner
from dsnlink.tenants import repository as tenants_repository
from dsnlink.tenants.models import Company, Establishment
from dsnlink.tenants.schemas import Principal

RECEIPT_VERSION = 2


def receipt_payload(
    *,
    declaration_id: uuid.UUID,
    sha256: str,
    received_at: datetime,
    deadline: datetime | None,
    cutoff: datetime | None,
    guaranteed: bool,
    status: DeclarationStatus | None = None,
    siren: str | None = None,
    nic: str | None = None,
    month: str | None = None,
    nature: str | None = None,
    type_: str | None = None,
) -> dict[str, Any]:
    """What a receipt signs. Version 2 (from migration 0008) also names the status at intake,
    SIREN/NIC, month, nature and type; version 1 receipts keep their six fields."""

    def stamp(moment: datetime | None) -> str | None:
        return moment.astimezone(UTC).isoformat() if moment is not None else None

    payload: dict[str, Any] = {
        "declaration_id": str(declaration_id),
        "sha256": sha256,
        "received_at": stamp(received_at),
        "deadline": stamp(deadline),
        "cutoff": stamp(cutoff),
        "guaranteed": guaranteed,
    }
    if status is None:
        return payload
    return payload | {
        "kind": "intake",
        "version": RECEIPT_VERSION,
        "status": str(status),
        "siren": siren,
        "nic": nic,
        "month": month,
        "nature": nature,
        "type": type_,
    }


def deposit_receipt_payload(
    declaration: Declaration, *, idflux: str, deposited_at: datetime, siren: str, nic: str
) -> dict[str, Any]:
    """What a deposit receipt signs: the file (its sha256, as in the intake receipt) is held by
    the deposit point under `idflux` since `deposited_at`."""
    return {
        "kind": "deposit",
        "version": 1,
        "declaration_id": str(declaration.id),
        "sha256": declaration.sha256,
        "idflux": idflux,
        "deposited_at": deposited_at.astimezone(UTC).isoformat(),
        "siren": siren,
        "nic": nic,
        "month": declaration.month,
        "nature": declaration.nature,
        "type": declaration.type,
    }


def intake_status(declaration: Declaration) -> DeclarationStatus:
    """The status a declaration had when intake ended: rejected by the norm, or validated."""
    if declaration.status == DeclarationStatus.REJECTED:
        return DeclarationStatus.REJECTED
    return DeclarationStatus.VALIDATED


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


def company_refs(
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
        "organisms_status": declaration.organisms or {},
        "status_changed_at": declaration.status_changed_at or declaration.received_at,
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


def describe_declaration(
    session: Session, declaration: Declaration, *, anomalies: list[dict[str, Any]]
) -> DeclarationRead:
    companies, establishments = company_refs(session, [declaration])
    return DeclarationRead(
        **_summary_fields(
            declaration,
            companies[declaration.company_id],
            establishments[declaration.establishment_id],
        ),
        anomalies=[AnomalyRead(**a) for a in anomalies],
    )


def encode_cursor(declaration: Declaration, *, feed: bool) -> str:
    """An opaque cursor after `declaration` in the listing's order (feed: by status change)."""
    at = declaration.status_changed_at if feed else declaration.received_at
    assert at is not None
    raw = json.dumps({"f": feed, "t": at.astimezone(UTC).isoformat(), "i": str(declaration.id)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, feed: bool) -> Keyset:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        keyset = Keyset(at=datetime.fromisoformat(raw["t"]), id=uuid.UUID(raw["i"]))
        same_order = raw["f"] is feed
    except (ValueError, KeyError, TypeError) as exc:
        raise UnknownFilter(
            "the cursor is not one this API gave: pass `next_cursor` of the previous page as is",
            parameter="cursor",
        ) from exc
    if not same_order or keyset.at.tzinfo is None:
        raise UnknownFilter(
            "the cursor belongs to another ordering: keep `updated_since` as it was when the "
            "cursor was given",
            parameter="cursor",
        )
    return keyset


def list_declarations(
    session: Session,
    *,
    principal: Principal,
    filters: DeclarationFilters,
    limit: int,
    offset: int,
    cursor: str | None = None,
) -> DeclarationPage:
    """A page of declarations; `next_cursor` continues it (stable under concurrent intake)."""
    feed = filters.updated_since is not None
    if cursor is not None and offset:
        raise UnknownFilter(
            "cursor and offset cannot be combined: follow `next_cursor` alone",
            parameter="offset",
        )
    page, total = repository.list_declarations(
        session,
        tenant_id=principal.tenant_id,
        filters=filters,
        limit=limit,
        offset=offset,
        company_ids=principal.company_ids,
        after=decode_cursor(cursor, feed=feed) if cursor is not None else None,
    )
    companies, establishments = company_refs(session, page)
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
        next_cursor=encode_cursor(page[-1], feed=feed) if len(page) == limit else None,
    )


def read_receipt(
    session: Session, *, principal: Principal, declaration_id: uuid.UUID
) -> ReceiptRead:
    declaration = get_visible_declaration_or_raise(
        session, principal=principal, declaration_id=declaration_id
    )
    versioned: dict[str, Any] = {}
    if declaration.receipt_version >= RECEIPT_VERSION:
        establishment = session.get(Establishment, declaration.establishment_id)
        company = session.get(Company, declaration.company_id)
        assert establishment is not None and company is not None
        versioned = {
            "status": intake_status(declaration),
            "siren": company.siren,
            "nic": establishment.nic,
            "month": declaration.month,
            "nature": declaration.nature,
            "type_": declaration.type,
        }
    return ReceiptRead(
        payload=receipt_payload(
            declaration_id=declaration.id,
            sha256=declaration.sha256,
            received_at=declaration.received_at,
            deadline=declaration.deadline,
            cutoff=declaration.cutoff,
            guaranteed=declaration.guaranteed,
            **versioned,
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
    count = keyring.reseal(
        repository.declarations_with_sealed_anomalies(session), "anomalies_sealed"
    )
    count += keyring.reseal(repository.events_with_sealed_detail(session), "detail_sealed")
    session.flush()
    return count
