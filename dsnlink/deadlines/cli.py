"""`dsnlink deadline`: the deadline and cut-off of one declaration, as JSON."""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from dsnlink.deadlines.service import compute_deadlines
from dsnlink.errors import InputError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "deadline",
        help="deadline and DSN Link cut-off of a declaration",
        description="Print the deadline of a DSN and the cut-off before which sending it is "
        "guaranteed, as JSON.",
    )
    parser.add_argument("--month", help="declared month, YYYY-MM (monthly DSN)")
    parser.add_argument("--due-day", type=int, help="company's due day: 5, 15 or 20")
    parser.add_argument("--nature", default="01", help="S20.G00.05.001 (default 01)")
    parser.add_argument("--type", default="01", help="S20.G00.05.002 (default 01)")
    parser.add_argument("--event-date", help="event date of a signalement, YYYY-MM-DD")
    parser.add_argument("--offering", default=None, help="offering id (default hr-sprint)")
    parser.add_argument(
        "--maintenance",
        action="append",
        default=[],
        metavar="START/END",
        help="announced planned maintenance, ISO-8601 with offset (repeatable)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = compute_deadlines(
        nature=args.nature,
        type=args.type,
        month=args.month,
        due_day=args.due_day,
        event_date=args.event_date,
        planned_maintenances=[_parse_interval(text) for text in args.maintenance],
        offering=args.offering,
    )
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    return 0


def _parse_interval(text: str) -> tuple[datetime, datetime]:
    start_text, sep, end_text = text.partition("/")
    try:
        if not sep:
            raise ValueError
        start, end = datetime.fromisoformat(start_text), datetime.fromisoformat(end_text)
    except ValueError as exc:
        raise InputError(f"--maintenance must read START/END in ISO-8601, got {text!r}") from exc
    return start, end
