"""`dsnlink sample`: write a realistic synthetic DSN mensuelle (stdout, a file, or a .gz file)."""

from __future__ import annotations

import argparse
import sys

from dsnlink.norm.sample import generate_sample, write_sample
from dsnlink.norm.sample_model import (
    SITUATIONS,
    SampleParameterError,
    parse_month,
    parse_situations,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "sample",
        help="generate a realistic synthetic DSN mensuelle",
        description="Generate a synthetic DSN mensuelle in the norm in force for the month "
        "(P24V01, P25V01, P26V01), deterministic for a seed.",
    )
    parser.add_argument(
        "--employees",
        type=int,
        required=True,
        metavar="N",
        help="number of individuals (0 gives a 'néant' declaration)",
    )
    parser.add_argument("--month", required=True, metavar="YYYY-MM", help="main declared month")
    parser.add_argument(
        "--nature",
        default="01",
        help="01 DSN mensuelle (default) or 07 fin de contrat unique (FCTU)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--with",
        dest="situations",
        metavar="LIST",
        help=f"situations for some individuals, comma-separated: {', '.join(SITUATIONS)}, or all",
    )
    parser.add_argument("--siren", help="SIREN of the company (9 digits, valid key)")
    parser.add_argument(
        "--siret",
        help="SIRET of the declaring establishment (14 digits; its first 9 are the SIREN)",
    )
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="output file (.gz is compressed); standard output when omitted",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    siren, nic = args.siren, None
    if args.siret:
        if len(args.siret) != 14 or (siren and args.siret[:9] != siren):
            raise SampleParameterError(
                "siret must be 14 digits starting with the siren", parameter="siret"
            )
        siren, nic = args.siret[:9], args.siret[9:]
    options = {
        "employees": args.employees,
        "month": parse_month(args.month),
        "nature": args.nature,
        "seed": args.seed,
        "siren": siren,
        "nic": nic,
        "situations": parse_situations(args.situations),
    }
    if args.out:
        write_sample(args.out, **options)
        return 0
    stream = sys.stdout.buffer
    for chunk in generate_sample(**options):
        stream.write(chunk)
    stream.flush()
    return 0
