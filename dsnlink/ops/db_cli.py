"""`dsnlink db ...`: the operator's database commands."""

from __future__ import annotations

import argparse

from dsnlink import db
from dsnlink.config import get_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database schema (Alembic migrations)")
    commands = parser.add_subparsers(dest="db_command", metavar="ACTION")
    commands.required = True
    upgrade = commands.add_parser("upgrade", help="bring the database schema to the latest version")
    upgrade.add_argument("revision", nargs="?", default="head", help="target (default: head)")
    upgrade.set_defaults(func=run_upgrade)
    current = commands.add_parser("current", help="print the schema version of the database")
    current.set_defaults(func=run_current)


def run_upgrade(args: argparse.Namespace) -> int:
    settings = get_settings()
    engine = db.engine_from_settings(settings)
    try:
        db.upgrade(settings.effective_database_url, args.revision)
        print(f"database schema at revision {db.current_revision(engine) or 'base'}")
    finally:
        engine.dispose()
    return 0


def run_current(args: argparse.Namespace) -> int:
    engine = db.engine_from_settings(get_settings())
    try:
        print(db.current_revision(engine) or "base (empty database: run `dsnlink db upgrade`)")
    finally:
        engine.dispose()
    return 0
