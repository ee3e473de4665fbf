"""`dsnlink worker`: transmit ordered declarations to the deposit point and poll their returns."""

from __future__ import annotations

import argparse
import signal
import threading
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
