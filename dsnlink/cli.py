"""The core of the `dsnlink` command: a thin dispatcher; each domain package registers its own
subcommands.

A package that offers commands has a `cli.py` with `register(subparsers)`, adding parsers whose
`func(args) -> int` does the work. Errors of the domain become a one-line message and exit 2.
The console script is `api.cli:main`: it adds the commands that start servers (`serve`, `demo`),
which live at the HTTP edge, to this parser.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from dsnlink import __version__
from dsnlink.errors import DsnlinkError

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]
    Register = Callable[[Subparsers], None]

# Modules exposing `register(subparsers)`, in the order their commands appear in --help.
COMMAND_MODULES: tuple[str, ...] = (
    "dsnlink.norm.sample_cli",
    "dsnlink.norm.cli",
    "dsnlink.deadlines.cli",
    "dsnlink.sla.cli",
    "dsnlink.ops.cli",
    "dsnlink.ops.db_cli",
    "dsnlink.tenants.cli",
    "dsnlink.ops.keys_cli",
    "dsnlink.transmission.cli",
    "dsnlink.deposit_point.returns.cli",
)


class CliUsageError(DsnlinkError):
    """Bad usage of a command (exit 2)."""


def build_parser(extra: Sequence[Register] = ()) -> argparse.ArgumentParser:
    """The parser of every core command; `extra` registers more commands before them."""
    parser = argparse.ArgumentParser(
        prog="dsnlink",
        description="DSN transmission gateway: validate, queue and transmit DSN files.",
    )
    parser.add_argument("--version", action="version", version=f"dsnlink {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for register in extra:
        register(subparsers)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, *, extra: Sequence[Register] = ()) -> int:
    parser = build_parser(extra)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DsnlinkError as exc:
        print(f"dsnlink: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("dsnlink: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
