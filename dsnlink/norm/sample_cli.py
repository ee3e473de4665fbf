"""`dsnlink sample`: write a realistic synthetic DSN mensuelle (stdout, a file, or a .gz file)."""

from __future__ import annotations

import argparse
import sys

from dsnlink.norm.sample import generate_sample, parse_month, write_sample


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="generate a realistic synthetic DSN mensuelle",
        description="Generate a synthetic DSN mensuelle in the norm in force for the month "
        "(P24V01, P25V01, P26V01), deterministic for a seed.",
    )
    parser.add_argument("--employees", type=int, required=True, metavar="N",
                        help="number of individuals (0 gives a 'néant' declaration)")
    parser.add_argument("--month", required=True, metavar="YYYY-MM", help="main declared month")
    parser.add_argument("--nature", default="01",
                        help="01 DSN mensuelle (default) or 07 fin de contrat unique (FCTU)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", metavar="FILE",
                        help="output file (.gz is compressed); standard output when omitted")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    options = {
        "employees": args.employees,
        "month": parse_month(args.month),
        "nature": args.nature,
        "seed": args.seed,
    }
    if args.out:
        write_sample(args.out, **options)
        return 0
    stream = sys.stdout.buffer
    for chunk in generate_sample(**options):
        stream.write(chunk)
    stream.flush()
    return 0
