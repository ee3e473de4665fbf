"""`dsnlink contract ...`: the service contract's figures and computations, as JSON.

Times on the command line are ISO-8601; one given without an offset is read as Europe/Paris.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from dsnlink.errors import InputError
from dsnlink.months import parse_month
from dsnlink.sla.availability import monthly_availability, parse_incidents
from dsnlink.sla.calendar import PARIS
from dsnlink.sla.maintenance import MaintenanceKind, validate_maintenance
from dsnlink.sla.offerings import DEFAULT_OFFERING_ID, get_offering, list_offerings
from dsnlink.sla.support import support_deadlines


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "contract", help="service contract: offerings, availability, support, maintenance"
    )
    commands = parser.add_subparsers(dest="contract_command", metavar="SUBCOMMAND")
    commands.required = True

    offerings = commands.add_parser("offerings", help="list the catalogue, or show one entry")
    offerings.add_argument("--offering", help="print this entry in full")
    offerings.set_defaults(func=run_offerings)

    availability = commands.add_parser("availability", help="monthly availability rate")
    _offering_option(availability)
    availability.add_argument("--month", required=True, help="YYYY-MM")
    availability.add_argument(
        "--incidents", type=Path, help='JSON file: [{"start", "end", "cause"}], ISO-8601'
    )
    availability.set_defaults(func=run_availability)

    support = commands.add_parser("support-deadline", help="deadlines of a support request")
    _offering_option(support)
    support.add_argument("--formula", help="support formula: open or private (default: open)")
    support.add_argument(
        "--criticity", required=True, help="1, 2, 3 or the offering's label (e.g. Critique)"
    )
    support.add_argument("--opened", required=True, help="when the request was opened")
    support.add_argument("--qualified", help="when the request was qualified")
    support.set_defaults(func=run_support_deadline)

    maintenance = commands.add_parser("check-maintenance", help="may this maintenance happen?")
    _offering_option(maintenance)
    maintenance.add_argument("--start", required=True)
    maintenance.add_argument("--end", required=True)
    maintenance.add_argument("--announced", required=True, help="when it is/was announced")
    maintenance.add_argument("--urgent", action="store_true", help="urgent: any time")
    maintenance.add_argument(
        "--non-blocking", action="store_true", help="the service stays usable during it"
    )
    maintenance.set_defaults(func=run_check_maintenance)


def _offering_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--offering",
        default=DEFAULT_OFFERING_ID,
        help=f"offering id (default {DEFAULT_OFFERING_ID})",
    )


def _print(payload: dict[str, Any] | list[Any]) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2))


def run_offerings(args: argparse.Namespace) -> int:
    if args.offering:
        _print(get_offering(args.offering).model_dump(mode="json"))
    else:
        _print([{"id": o.id, "name": o.name} for o in list_offerings()])
    return 0


def run_availability(args: argparse.Namespace) -> int:
    offering = get_offering(args.offering)
    incidents = []
    if args.incidents is not None:
        try:
            data = json.loads(args.incidents.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read incidents file {args.incidents}: {exc}") from exc
        incidents = parse_incidents(data)
    month = parse_month(args.month, name="--month")
    report = monthly_availability(offering, month=month, incidents=incidents)
    _print(report.to_dict())
    return 0


def run_support_deadline(args: argparse.Namespace) -> int:
    result = support_deadlines(
        args.offering,
        criticity=args.criticity,
        formula=args.formula,
        opened=_moment(args.opened, "--opened"),
        qualified=_moment(args.qualified, "--qualified") if args.qualified else None,
    )
    _print(result.to_dict())
    return 0


def run_check_maintenance(args: argparse.Namespace) -> int:
    validate_maintenance(
        args.offering,
        start=_moment(args.start, "--start"),
        end=_moment(args.end, "--end"),
        announced_at=_moment(args.announced, "--announced"),
        kind=MaintenanceKind.URGENT if args.urgent else MaintenanceKind.PLANNED,
        blocking=not args.non_blocking,
    )
    _print({"offering": args.offering, "accepted": True})
    return 0


def _moment(text: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} must be ISO-8601, got {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


