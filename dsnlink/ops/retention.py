"""History retention: declarations older than the offering keeps are purged with all they own.

DSN Link keeps 5 years, the current one and the 4 before: in 2026, declarations of January 2022
onwards stay and earlier months go. A declaration goes with every row that refers to it (events,
transmission jobs, attempts, returns, …, found through the database's own foreign keys, so
tables added later are covered) and with its stored file. An offering that states no history
keeps everything.

Declarations the norm controls rejected are never filed: they are kept `rejected_retention`
(DSNLINK_REJECTED_RETENTION_DAYS, 30 days) for their anomalies to be read, then purged the same
way. Until then their files count against the tenant's storage quota like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from dsnlink.sla.offerings import Offering, get_offering

CHUNK = 500
REJECTED = "rejected"  # DeclarationStatus.REJECTED (ops reads the tables as reflected)


@dataclass
class PurgeReport:
    dry_run: bool
    oldest_kept_month: dict[str, str | None] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    blob_paths: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "oldest_kept_month": self.oldest_kept_month,
            "deleted": self.deleted,
            "files": len(self.blob_paths),
        }


def oldest_kept_month(offering: Offering, *, now: datetime) -> str | None:
    """The first month (YYYY-MM) still kept; None when the offering keeps everything."""
    years = offering.history_retention_years
    if years is None:
        return None
    return f"{now.year - (years - 1):04d}-01"


def purge_history(
    session: Session,
    *,
    now: datetime,
    dry_run: bool = False,
    rejected_retention: timedelta | None = None,
) -> PurgeReport:
    """Delete (or, dry run, count) every tenant's declarations past its offering's history, and
    rejected declarations received more than `rejected_retention` ago.

    The caller removes the files listed in `blob_paths` (relative to the blob store's root)
    once the unit of work has committed.
    """
    report = PurgeReport(dry_run=dry_run)
    # Reflected tables: raw key values, and every table present, not only those modelled here.
    metadata = sa.MetaData()
    metadata.reflect(bind=session.connection())
    tenants = metadata.tables["tenant"]
    declarations = metadata.tables["declaration"]
    connection = session.connection()
    for tenant_id, name, offering in connection.execute(
        sa.select(tenants.c.id, tenants.c.name, tenants.c.offering).order_by(tenants.c.name)
    ):
        first_kept = oldest_kept_month(get_offering(offering), now=now)
        report.oldest_kept_month[name] = first_kept
        expired = []
        if first_kept is not None:
            expired.append(declarations.c.month < first_kept)
        if rejected_retention is not None:
            received_before = now - rejected_retention
            if connection.dialect.name == "sqlite":
                received_before = received_before.replace(tzinfo=None)
            expired.append(
                sa.and_(
                    declarations.c.status == REJECTED,
                    declarations.c.received_at < received_before,
                )
            )
        if not expired:
            continue
        old = connection.execute(
            sa.select(declarations.c.id, declarations.c.blob_path)
            .where(declarations.c.tenant_id == tenant_id)
            .where(sa.or_(*expired))
        ).all()
        if not old:
            continue
        report.blob_paths.extend(path for _, path in old)
        _delete_rows(
            session,
            metadata,
            table=declarations,
            ids=[declaration_id for declaration_id, _ in old],
            counts=report.deleted,
            dry_run=dry_run,
        )
    if not dry_run:
        session.flush()
    return report


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _delete_rows(
    session: Session,
    metadata: sa.MetaData,
    *,
    table: sa.Table,
    ids: Sequence[Any],
    counts: dict[str, int],
    dry_run: bool,
) -> None:
    """Delete rows of `table` by primary key, after every row that refers to them."""
    (key,) = table.primary_key.columns
    for child in metadata.sorted_tables:
        for foreign_key in child.foreign_keys:
            if foreign_key.column is not key:
                continue
            referring = foreign_key.parent
            child_keys = list(child.primary_key.columns)
            if len(child_keys) == 1 and child is not table:
                child_ids = [
                    row
                    for chunk in _chunks(ids)
                    for row in session.connection()
                    .execute(sa.select(child_keys[0]).where(referring.in_(chunk)))
                    .scalars()
                ]
                if child_ids:
                    _delete_rows(
                        session,
                        metadata,
                        table=child,
                        ids=child_ids,
                        counts=counts,
                        dry_run=dry_run,
                    )
            else:
                for chunk in _chunks(ids):
                    if dry_run:
                        found = (
                            session.connection()
                            .execute(
                                sa.select(sa.func.count())
                                .select_from(child)
                                .where(referring.in_(chunk))
                            )
                            .scalar_one()
                        )
                    else:
                        found = (
                            session.connection()
                            .execute(sa.delete(child).where(referring.in_(chunk)))
                            .rowcount
                        )
                    counts[child.name] = counts.get(child.name, 0) + found
    counts[table.name] = counts.get(table.name, 0) + len(ids)
    if not dry_run:
        for chunk in _chunks(ids):
            session.connection().execute(sa.delete(table).where(key.in_(chunk)))


def remove_files(root: Path, relative_paths: Iterable[str]) -> int:
    """Delete purged declarations' stored files; returns how many were there."""
    removed = 0
    for relative in relative_paths:
        path = root / relative
        if path.is_file():
            path.unlink()
            removed += 1
    return removed
