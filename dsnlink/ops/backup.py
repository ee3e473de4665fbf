"""Backups: a consistent copy of the database and of the encrypted files, in every destination.

A backup is a directory `dsnlink-<UTC time>-<tier>` holding `manifest.json`, the database
(`database.pgdump` made by `pg_dump -Fc`, or `database.sqlite3` made by SQLite's online backup
API) and `blobs/` (the stored files, still encrypted). The database is copied first: a file is
moved into place before the row naming it commits, so every row of the copy finds its file.
The master keys are not in the backup: without them the files and passwords cannot be read,
so keep the keys elsewhere.

Tiers follow the offering's booklet (DSN Link: daily kept 7 days, monthly — the first weekend's
backup — kept 2 months); old backups are removed from each destination after a new one is made.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from dsnlink.clock import Clock
from dsnlink.config import Settings
from dsnlink.errors import DsnlinkError, InputError, NotFoundError
from dsnlink.sla.offerings import BackupTier, Offering, Retention, resolve_offering

PREFIX = "dsnlink-"
MANIFEST = "manifest.json"
FORMAT = 1
# From the longest kept to the shortest: a backup takes the first tier it qualifies for.
FREQUENCY_ORDER = ("yearly", "monthly", "weekly", "daily")


class BackupError(DsnlinkError):
    """A backup or a restore could not be made (tool missing or failing, unusable backup)."""

    code = "backup-failed"


@dataclass(frozen=True)
class Backup:
    path: Path
    tier: str
    created_at: datetime
    database: str

    @property
    def name(self) -> str:
        return self.path.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path),
            "tier": self.tier,
            "created_at": self.created_at.isoformat(),
            "database": self.database,
        }


def destinations(settings: Settings) -> list[Path]:
    """Where backups go: DSNLINK_BACKUP_DIRS (comma-separated), else data_dir/backups."""
    if settings.backup_dirs:
        paths = [Path(p.strip()) for p in settings.backup_dirs.split(",") if p.strip()]
        if paths:
            return paths
    return [settings.data_dir / "backups"]


def read_backup(path: Path) -> Backup | None:
    """The backup stored at `path`; None if it is not a complete backup."""
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        return Backup(
            path=path,
            tier=str(manifest["tier"]),
            created_at=datetime.fromisoformat(manifest["created_at"]),
            database=str(manifest["database"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def list_backups(settings: Settings) -> list[Backup]:
    """Every complete backup in every destination, oldest first."""
    found = []
    for destination in destinations(settings):
        if destination.is_dir():
            for path in destination.glob(f"{PREFIX}*"):
                backup = read_backup(path) if path.is_dir() else None
                if backup is not None:
                    found.append(backup)
    return sorted(found, key=lambda b: (b.created_at, str(b.path)))


# --- tiers and retention -------------------------------------------------------------------------


def _first_weekend(day: date) -> bool:
    return day.day <= 7 and day.weekday() >= 5


def _qualifies(frequency: str, day: date) -> bool:
    if frequency == "yearly":
        return day.month == 1 and _first_weekend(day)
    if frequency == "monthly":
        return _first_weekend(day)
    if frequency == "weekly":
        return day.weekday() >= 5
    return True


def _period(frequency: str, day: date) -> tuple[int, ...]:
    if frequency == "yearly":
        return (day.year,)
    if frequency == "monthly":
        return (day.year, day.month)
    if frequency == "weekly":
        return tuple(day.isocalendar()[:2])
    return (day.year, day.month, day.day)


def choose_tier(offering: Offering, *, now: datetime, existing: list[Backup]) -> BackupTier:
    """The tier of a backup made at `now`: the longest kept one it is the first of its period in.

    Monthly is the first weekend's backup (the first one made that weekend); weekly the
    weekend's; yearly the first weekend of January's; anything else is daily.
    """
    day = now.date()
    tiers = sorted(offering.backups.tiers, key=lambda t: FREQUENCY_ORDER.index(t.frequency))
    for tier in tiers:
        taken = any(
            b.tier == tier.frequency
            and _period(tier.frequency, b.created_at.date()) == _period(tier.frequency, day)
            for b in existing
        )
        if _qualifies(tier.frequency, day) and not taken:
            return tier
    return tiers[-1]


def _months_earlier(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return moment.replace(
        year=year, month=month + 1, day=min(moment.day, (following - timedelta(days=1)).day)
    )


def expires_before(keep: Retention, *, now: datetime) -> datetime:
    """Backups of a tier made before this instant are past their retention."""
    if keep.days is not None:
        return now - timedelta(days=keep.days)
    if keep.weeks is not None:
        return now - timedelta(weeks=keep.weeks)
    if keep.months is not None:
        return _months_earlier(now, keep.months)
    return _months_earlier(now, 12 * (keep.years or 0))


def prune(settings: Settings, *, offering: Offering | str | None, now: datetime) -> list[Backup]:
    """Remove the backups past their tier's retention; returns what was removed."""
    tiers: dict[str, BackupTier] = {
        t.frequency: t for t in resolve_offering(offering).backups.tiers
    }
    removed = []
    for backup in list_backups(settings):
        tier = tiers.get(backup.tier)
        if tier is not None and backup.created_at < expires_before(tier.keep, now=now):
            shutil.rmtree(backup.path)
            removed.append(backup)
    return removed


# --- making a backup -----------------------------------------------------------------------------


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment carrying it."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (needed for PostgreSQL backups)", tool=name)
    return path


def _run(command: list[str], *, env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()[-1:] or ["no message"]
        raise BackupError(
            f"{Path(command[0]).name} failed (exit {result.returncode}): {message[0]}",
            exit_code=result.returncode,
        )


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _dump_database(url: URL, target: Path) -> str:
    if url.get_backend_name() == "postgresql":
        dsn, env = _libpq(url)
        _run(
            [
                _tool("pg_dump"),
                "-Fc",
                "--no-owner",
                "-f",
                str(target / "database.pgdump"),
                "--dbname",
                dsn,
            ],
            env=env,
        )
        return "postgresql"
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target / "database.sqlite3")
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return "sqlite"
    raise BackupError(f"no backup method for {url.get_backend_name()}")


def _table_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                name: int(
                    connection.execute(
                        sa.select(sa.func.count()).select_from(sa.table(name))
                    ).scalar_one()
                )
                for name in sorted(sa.inspect(connection).get_table_names())
            }
    finally:
        engine.dispose()


def _copy_blobs(source: Path, target: Path) -> int:
    target.mkdir(mode=0o700)
    count = 0
    if not source.is_dir():
        return count
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if relative.parts[0] == ".staging":
            continue
        if path.is_dir():
            (target / relative).mkdir(mode=0o700, exist_ok=True)
        elif path.is_file():
            (target / relative).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)
            count += 1
    return count


def create_backup(
    settings: Settings, *, clock: Clock, offering: Offering | str | None = None
) -> list[Backup]:
    """Back up the database and the files into every destination, then prune old backups."""
    chosen = resolve_offering(offering)
    now = clock.now().astimezone(UTC)
    tier = choose_tier(chosen, now=now, existing=list_backups(settings))
    name = f"{PREFIX}{now:%Y%m%dT%H%M%SZ}-{tier.frequency}"
    url = make_url(settings.effective_database_url)
    first, *others = destinations(settings)
    first.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = first / f".{name}.{uuid.uuid4().hex[:8]}.partial"
    staging.mkdir(mode=0o700)
    try:
        database = _dump_database(url, staging)
        counts = _table_counts(settings.effective_database_url)
        blobs = _copy_blobs(settings.data_dir / "blobs", staging / "blobs")
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(),
            "tier": tier.frequency,
            "tier_name": tier.name,
            "offering": chosen.id,
            "database": database,
            "tables": counts,
            "blobs": blobs,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        made = [_place(staging, first / name)]
        for destination in others:
            destination.mkdir(parents=True, exist_ok=True, mode=0o700)
            copy = destination / f".{name}.{uuid.uuid4().hex[:8]}.partial"
            shutil.copytree(made[0].path, copy)
            made.append(_place(copy, destination / name))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    prune(settings, offering=chosen, now=now)
    return made


def _place(staging: Path, final: Path) -> Backup:
    if final.exists():
        raise BackupError(f"a backup named {final.name} already exists in {final.parent}")
    os.replace(staging, final)
    backup = read_backup(final)
    assert backup is not None
    return backup


# --- restoring -----------------------------------------------------------------------------------


def find_backup(settings: Settings, reference: str) -> Backup:
    """A backup given by its path, or by its name in one of the destinations."""
    path = Path(reference)
    candidates = [path] if path.is_dir() else [d / reference for d in destinations(settings)]
    for candidate in candidates:
        backup = read_backup(candidate)
        if backup is not None:
            return backup
    raise NotFoundError(f"no backup {reference!r} (see: dsnlink backup list)", backup=reference)


def restore_backup(settings: Settings, backup: Backup) -> dict[str, int]:
    """Replace the configured database and files by the backup's; returns the restored counts.

    PostgreSQL: `pg_restore --clean --if-exists --single-transaction` into the configured
    database. SQLite: the online backup API copies the saved file over the live one in one
    step. Files: the saved tree is copied beside the live one, then swapped in by renames.
    Stop the gateway and the worker first.
    """
    url = make_url(settings.effective_database_url)
    kind = url.get_backend_name()
    if kind != backup.database:
        raise InputError(
            f"backup {backup.name} is of a {backup.database} database, the configured one is"
            f" {kind}",
            backup=backup.name,
        )
    if kind == "postgresql":
        dsn, env = _libpq(url)
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                dsn,
                str(backup.path / "database.pgdump"),
            ],
            env=env,
        )
    else:
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{backup.path / 'database.sqlite3'}?mode=ro", uri=True)
        live = sqlite3.connect(target, timeout=30)
        try:
            source.backup(live)
        finally:
            live.close()
            source.close()
    _swap_blobs(backup.path / "blobs", settings.data_dir / "blobs")
    return _table_counts(settings.effective_database_url)


def _swap_blobs(saved: Path, live: Path) -> None:
    live.parent.mkdir(parents=True, exist_ok=True)
    incoming = live.with_name(f"{live.name}.restoring-{uuid.uuid4().hex[:8]}")
    if saved.is_dir():
        shutil.copytree(saved, incoming)
    else:
        incoming.mkdir(mode=0o700)
    outgoing = live.with_name(f"{live.name}.replaced-{uuid.uuid4().hex[:8]}")
    if live.exists():
        os.replace(live, outgoing)
    os.replace(incoming, live)
    shutil.rmtree(outgoing, ignore_errors=True)


def manifest_counts(backup: Backup) -> dict[str, int]:
    manifest = json.loads((backup.path / MANIFEST).read_text(encoding="utf-8"))
    return {str(k): int(v) for k, v in manifest["tables"].items()}
