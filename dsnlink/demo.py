"""`dsnlink demo`: the newcomer's first run.

Generates a realistic sample declaration for last month and validates it against the cahier
technique of the norm in force, printing where the file is and what the validator found.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from dsnlink.config import get_settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="generate a sample DSN for last month and validate it",
        description="Generate a sample DSN for last month and validate it.",
    )
    parser.add_argument("--employees", type=int, default=25, help="employees in the sample")
    parser.set_defaults(func=run)


def previous_month(today: date) -> str:
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def run(args: argparse.Namespace) -> int:
    from dsnlink.norm import validate_path
    from dsnlink.norm.sample import write_sample

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    month = previous_month(date.today())
    path = Path(settings.data_dir) / f"demo-{month}.dsn"
    write_sample(path, employees=args.employees, month=month, seed=1)
    report = validate_path(path)
    blocking = sum(1 for anomaly in report.anomalies if anomaly.category == "bloquant")
    print(f"Sample DSN for {month}: {path} ({report.norm_version}, {args.employees} employees)")
    for declaration in report.declarations:
        print(
            f"  declaration nature {declaration.nature} type {declaration.type} "
            f"SIRET {declaration.siren}{declaration.nic}: {declaration.individuals} individuals"
        )
    verdict = "valid" if report.valid else "INVALID"
    print(f"Validation: {verdict}, {blocking} blocking / {len(report.anomalies)} anomalies")
    print(f"Check it yourself: dsnlink validate {path}")
    return 0 if report.valid else 1
