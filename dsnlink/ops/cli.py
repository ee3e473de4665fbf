"""The operator's run-time commands: incidents, maintenances, backups, restore, retention.

`dsnlink contract incident|maintenance ...` extend the `contract` command; `dsnlink backup`,
`dsnlink restore` and `dsnlink retention purge` are their own. Times without an offset are read
as Europe/Paris.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from dsnlink import db
from dsnlink.clock import SystemClock
from dsnlink.config import Settings, get_settings
from dsnlink.errors import InputError
from dsnlink.months import parse_month
from dsnlink.ops import backup as backups
from dsnlink.ops import retention
from dsnlink.service_status import service as service_status
from dsnlink.sla.calendar import PARIS
from dsnlink.sla.maintenance import MaintenanceKind
from dsnlink.sla.offerings import IncidentCause

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]


def register(subparsers: Subparsers) -> None:
    contract = _subcommands_of(subparsers, "contract")
    if contract is not None:
        _register_incident(contract)
        _register_maintenance(contract)
    _register_backup(subparsers)
    _register_retention(subparsers)


def _subcommands_of(subparsers: Subparsers, name: str) -> Subparsers | None:
    """The subcommands of an already registered command (dsnlink.sla.cli's `contract`)."""
    parser = subparsers.choices.get(name)
    if parser is None:
        return None
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _register_incident(contract: Subparsers) -> None:
    incident = contract.add_parser("incident", help="record and list incidents (operator)")
    commands = incident.add_subparsers(dest="incident_command", metavar="ACTION")
    commands.required = True
    add = commands.add_parser("add", help="record an incident")
    add.add_argument("--start", required=True, help="ISO-8601")
    add.add_argument("--end", help="ISO-8601; omit while it lasts")
    add.add_argument("--cause", required=True, choices=[c.value for c in IncidentCause])
    add.add_argument("--note")
    add.set_defaults(func=run_incident_add)
    end = commands.add_parser("end", help="end an ongoing incident")
    end.add_argument("incident_id")
    end.add_argument("--end", required=True, help="ISO-8601")
    end.set_defaults(func=run_incident_end)
    listing = commands.add_parser("list", help="recent incidents, or those of one month")
    listing.add_argument("--month", help="YYYY-MM")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_incident_list)


def _register_maintenance(contract: Subparsers) -> None:
    maintenance = contract.add_parser("maintenance", help="announce and list maintenances")
    commands = maintenance.add_subparsers(dest="maintenance_command", metavar="ACTION")
    commands.required = True
    add = commands.add_parser(
        "add", help="announce a maintenance (planned: in the window, >= 48 h ahead)"
    )
    add.add_argument("--start", required=True)
    add.add_argument("--end", required=True)
    add.add_argument("--urgent", action="store_true", help="urgent: any time, no notice")
    add.add_argument("--reason", required=True)
    add.set_defaults(func=run_maintenance_add)
    listing = commands.add_parser("list", help="maintenances in progress or to come")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_maintenance_list)


def _register_backup(subparsers: Subparsers) -> None:
    backup = subparsers.add_parser(
        "backup", help="back up the database and stored files to every destination"
    )
    backup.add_argument("--json", action="store_true")
    backup.set_defaults(func=run_backup)
    commands = backup.add_subparsers(dest="backup_command", metavar="ACTION")
    listing = commands.add_parser("list", help="the backups in every destination")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_backup_list)

    restore = subparsers.add_parser(
        "restore", help="replace the database and stored files by a backup (stop the gateway)"
    )
    restore.add_argument("backup", help="a backup's name (see backup list) or path")
    restore.add_argument("--yes", action="store_true", help="confirm: current data is replaced")
    restore.set_defaults(func=run_restore)


def _register_retention(subparsers: Subparsers) -> None:
    retention_parser = subparsers.add_parser("retention", help="history retention (operator)")
    commands = retention_parser.add_subparsers(dest="retention_command", metavar="ACTION")
    commands.required = True
    purge = commands.add_parser(
        "purge",
        help="delete declarations older than the offering's history (DSN Link: 5 years) and "
        "rejected ones older than DSNLINK_REJECTED_RETENTION_DAYS",
    )
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    purge.add_argument("--json", action="store_true")
    purge.set_defaults(func=run_retention_purge)


# --- plumbing ------------------------------------------------------------------------------------


@contextmanager
def _unit_of_work(settings: Settings) -> Iterator[Session]:
    engine = db.engine_from_settings(settings)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _moment(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: not an ISO-8601 date and time: {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def _print_json(payload: Any) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "ongoing"


# --- incidents and maintenances ------------------------------------------------------------------


def run_incident_add(args: argparse.Namespace) -> int:
    with _unit_of_work(get_settings()) as session:
        incident = service_status.record_incident(
            session,
            start=_moment(args.start, "--start"),
            end=_moment(args.end, "--end") if args.end else None,
            cause=IncidentCause(args.cause),
            note=args.note,
            clock=SystemClock(),
        )
        incident_id = incident.id
    print(f"incident {incident_id} recorded")
    return 0


def run_incident_end(args: argparse.Namespace) -> int:
    try:
        incident_id = uuid.UUID(args.incident_id)
    except ValueError:
        raise InputError(f"not an incident id: {args.incident_id!r}") from None
    with _unit_of_work(get_settings()) as session:
        service_status.end_incident(
            session, incident_id=incident_id, end=_moment(args.end, "--end")
        )
    print(f"incident {incident_id} ended")
    return 0


def run_incident_list(args: argparse.Namespace) -> int:
    with _unit_of_work(get_settings()) as session:
        if args.month:
            first = parse_month(args.month, name="--month")
            start = datetime(first.year, first.month, 1, tzinfo=PARIS)
            end = datetime(first.year + first.month // 12, first.month % 12 + 1, 1, tzinfo=PARIS)
            incidents = service_status.list_incidents(session, start=start, end=end)
        else:
            incidents = service_status.list_incidents(session)
        rows = [
            {
                "id": str(i.id),
                "start": i.start.isoformat(),
                "end": i.end.isoformat() if i.end else None,
                "cause": i.cause,
                "source": i.source,
                "component": i.component,
                "note": i.note,
            }
            for i in incidents
        ]
    if args.json:
        _print_json(rows)
        return 0
    for row in rows:
        print(
            f"{row['id']}  {row['start']} → {row['end'] or 'ongoing'}  {row['cause']}"
            f"  ({row['source']}{', ' + row['component'] if row['component'] else ''})"
            f"{'  ' + row['note'] if row['note'] else ''}"
        )
    return 0


def run_maintenance_add(args: argparse.Namespace) -> int:
    with _unit_of_work(get_settings()) as session:
        maintenance = service_status.schedule_maintenance(
            session,
            start=_moment(args.start, "--start"),
            end=_moment(args.end, "--end"),
            kind=MaintenanceKind.URGENT if args.urgent else MaintenanceKind.PLANNED,
            reason=args.reason,
            clock=SystemClock(),
        )
        described = service_status.describe_maintenance(maintenance)
    print(
        f"{described.kind} maintenance {described.id} announced: {described.start.isoformat()}"
        f" → {described.end.isoformat()}"
    )
    return 0


def run_maintenance_list(args: argparse.Namespace) -> int:
    with _unit_of_work(get_settings()) as session:
        rows = [
            service_status.describe_maintenance(m)
            for m in service_status.list_maintenances(session, since=SystemClock().now())
        ]
    if args.json:
        _print_json([r.model_dump(mode="json") for r in rows])
        return 0
    for r in rows:
        print(f"{r.id}  {r.kind}  {r.start.isoformat()} → {r.end.isoformat()}  {r.reason}")
    return 0


# --- backups and retention -----------------------------------------------------------------------


def run_backup(args: argparse.Namespace) -> int:
    made = backups.create_backup(get_settings(), clock=SystemClock())
    if args.json:
        _print_json([b.to_dict() for b in made])
    else:
        for backup in made:
            print(f"{backup.tier} backup written: {backup.path}")
    return 0


def run_backup_list(args: argparse.Namespace) -> int:
    found = backups.list_backups(get_settings())
    if args.json:
        _print_json([b.to_dict() for b in found])
    elif not found:
        print("no backup yet")
    for backup in [] if args.json else found:
        print(f"{backup.name}  {backup.tier}  {backup.database}  {backup.path.parent}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    settings = get_settings()
    backup = backups.find_backup(settings, args.backup)
    if not args.yes:
        raise InputError(
            f"restoring {backup.name} replaces the current database and files: add --yes"
        )
    counts = backups.restore_backup(settings, backup)
    total = sum(n for table, n in counts.items() if table != "alembic_version")
    print(f"restored {backup.name}: {total} rows in {len(counts)} tables", file=sys.stdout)
    return 0


def run_retention_purge(args: argparse.Namespace) -> int:
    settings = get_settings()
    with _unit_of_work(settings) as session:
        report = retention.purge_history(
            session,
            now=SystemClock().now(),
            dry_run=args.dry_run,
            rejected_retention=timedelta(days=settings.rejected_retention_days),
        )
    # Files go only once the rows are gone for good.
    removed = (
        0
        if args.dry_run
        else retention.remove_files(settings.data_dir / "blobs", report.blob_paths)
    )
    payload = {**report.to_dict(), "files_removed": removed}
    if args.json:
        _print_json(payload)
        return 0
    _print_readable(payload, writer=print)
    return 0


def _print_readable(payload: dict[str, Any], *, writer: Callable[[str], None]) -> None:
    verb = "would delete" if payload["dry_run"] else "deleted"
    for tenant, month in payload["oldest_kept_month"].items():
        writer(f"{tenant}: keeps declarations from {month or 'forever'}")
    if not payload["deleted"]:
        writer("nothing to purge")
        return
    for table, count in sorted(payload["deleted"].items()):
        writer(f"{verb} {count} {table} row(s)")
    writer(f"{verb} {payload['files']} stored file(s)")
