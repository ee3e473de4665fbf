"""`dsnlink worker`: transmit ordered declarations to the deposit point and poll their returns;
`dsnlink transmission retry`: the operator orders a failed transmission again."""

from __future__ import annotations

import argparse
import signal
import threading
import uuid
from types import FrameType

from dsnlink import db
from dsnlink.config import get_settings
from dsnlink.errors import InputError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="transmit ordered declarations and follow their returns",
        description="Transmit ordered declarations to the deposit point (exactly once) and poll "
        "their returns. PostgreSQL: woken by pgqueuer; SQLite: polls the queue table.",
    )
    parser.add_argument(
        "--queue",
        choices=("auto", "poll", "pgqueuer"),
        default="auto",
        help="auto: pgqueuer on PostgreSQL, polling on SQLite",
    )
    parser.add_argument(
        "--drain",
        action="store_true",
        help="exit once no transmission is queued or running (returns are not waited for)",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="--drain: give up after")
    parser.set_defaults(func=run)

    transmission = subparsers.add_parser(
        "transmission", help="the operator's actions on transmissions"
    )
    actions = transmission.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    retry = actions.add_parser(
        "retry",
        help="order a failed transmission again (under its user's original mandate)",
        description="Queue again the transmission of a declaration in transmission_failed, once "
        "its cause is fixed (declarant corrected, account unlocked...). The order is recorded in "
        "its timeline as the operator's.",
    )
    retry.add_argument("declaration_id", help="the declaration's id")
    retry.set_defaults(func=run_retry)


def run_retry(args: argparse.Namespace) -> int:
    from dsnlink.clock import SystemClock
    from dsnlink.declarations.ordering import order_again_by_operator
    from dsnlink.security.keys import keyring_from_settings

    try:
        declaration_id = uuid.UUID(args.declaration_id)
    except ValueError:
        raise InputError(f"not a declaration id: {args.declaration_id!r}") from None
    settings = get_settings()
    engine = db.engine_from_settings(settings)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            order_again_by_operator(
                session,
                declaration_id=declaration_id,
                clock=SystemClock(),
                keyring=keyring_from_settings(settings),
            )
    finally:
        engine.dispose()
    print(f"declaration {declaration_id}: transmission ordered again")
    return 0


def run(args: argparse.Namespace) -> int:
    from dsnlink.logs.logging import configure_logging
    from dsnlink.transmission.worker import build_worker

    settings = get_settings()
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    settings.check_secrets()
    engine = db.engine_from_settings(settings)
    postgres = engine.dialect.name == "postgresql"
    if args.queue == "pgqueuer" and not postgres:
        raise InputError("--queue pgqueuer needs a PostgreSQL DSNLINK_DATABASE_URL")
    worker = build_worker(settings, engine)
    try:
        if args.drain:
            if not worker.drain(timeout=args.timeout):
                raise InputError(f"transmissions still pending after {args.timeout:g} s")
            return 0
        if postgres and args.queue != "poll":
            from dsnlink.transmission.pgqueue import run_pgqueuer_worker

            run_pgqueuer_worker(settings, worker)
            return 0
        stop = threading.Event()

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        worker.run_forever(stop, idle=settings.worker_poll_seconds)
        return 0
    finally:
        worker.context.client.close()
        engine.dispose()
