"""The end of a declaration's life on the tenant's side: delete one that was validated and never
ordered (nothing left the gateway), and download the original file. Both are audited in
`declaration_access`, which outlives the declaration."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from dsnlink.clock import Clock
from dsnlink.declarations.errors import NotCancellable
from dsnlink.declarations.models import (
    Declaration,
    DeclarationAccess,
    DeclarationEvent,
    DeclarationStatus,
)
from dsnlink.declarations.tracking import get_visible_declaration_or_raise
from dsnlink.security.blobs import BlobStore
from dsnlink.tenants.schemas import Principal


@dataclass(frozen=True)
class DeletedDeclaration:
    """What is left to do once the deletion is committed: remove the encrypted file."""

    declaration_id: uuid.UUID
    blob: Path


def _audit(
    session: Session, declaration: Declaration, *, action: str, principal: Principal, clock: Clock
) -> None:
    session.add(
        DeclarationAccess(
            tenant_id=declaration.tenant_id,
            declaration_id=declaration.id,
            action=action,
            at=clock.now(),
            user_id=principal.user_id,
            api_key_id=principal.api_key_id,
        )
    )


def delete_declaration(
    session: Session,
    *,
    principal: Principal,
    declaration_id: uuid.UUID,
    blobs: BlobStore,
    clock: Clock,
) -> DeletedDeclaration:
    """Delete a validated declaration whose transmission was never ordered (a rejected one too:
    it can never be transmitted). The row is locked first, so a concurrent order either comes
    first (and the deletion is refused) or waits and then finds nothing to order (409)."""
    # A no-op write first: the row lock on PostgreSQL, the write lock on SQLite, held until the
    # end; the declaration is then read as it is now, never as an earlier read left it.
    session.exec(
        sa.update(Declaration)
        .where(col(Declaration.id) == declaration_id)
        .values(tenant_id=Declaration.tenant_id)
    )
    get_visible_declaration_or_raise(session, principal=principal, declaration_id=declaration_id)
    declaration = session.exec(
        select(Declaration)
        .where(Declaration.id == declaration_id)
        .execution_options(populate_existing=True)
    ).one()
    status = DeclarationStatus(declaration.status)
    if declaration.ordered_at is not None or status not in {
        DeclarationStatus.VALIDATED,
        DeclarationStatus.REJECTED,
    }:
        raise NotCancellable(
            f"declaration {declaration.id} is {status}: only a validated declaration whose "
            "transmission was never ordered can be deleted",
            declaration_id=str(declaration.id),
            current_status=str(status),
        )
    _audit(session, declaration, action="delete", principal=principal, clock=clock)
    blob = blobs.root / declaration.blob_path
    session.exec(
        delete(DeclarationEvent).where(col(DeclarationEvent.declaration_id) == declaration.id)
    )
    session.delete(declaration)
    try:
        session.flush()
    except IntegrityError as exc:
        # Ordered meanwhile (SQLite takes no row lock): its job now refers to it.
        raise NotCancellable(
            f"declaration {declaration_id} was ordered meanwhile: it can no longer be deleted",
            declaration_id=str(declaration_id),
            current_status=str(DeclarationStatus.ORDERED),
        ) from exc
    return DeletedDeclaration(declaration_id=declaration_id, blob=blob)


@dataclass(frozen=True)
class OriginalFile:
    filename: str
    size: int
    chunks: Iterator[bytes]


def download_original(
    session: Session,
    *,
    principal: Principal,
    declaration_id: uuid.UUID,
    blobs: BlobStore,
    clock: Clock,
) -> OriginalFile:
    """The file as received (decompressed), decrypted chunk by chunk; the download is audited."""
    declaration = get_visible_declaration_or_raise(
        session, principal=principal, declaration_id=declaration_id
    )
    _audit(session, declaration, action="download", principal=principal, clock=clock)
    session.flush()
    return OriginalFile(
        filename=declaration.filename or f"declaration-{declaration.id}.dsn",
        size=declaration.size,
        chunks=blobs.read(
            blobs.root / declaration.blob_path, wrapped_key=declaration.blob_wrapped_key
        ),
    )
