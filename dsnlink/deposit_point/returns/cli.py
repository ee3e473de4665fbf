"""`dsnlink returns inspect FILE… [--json]`: what return documents are and what they say.

Exit 0 when every file is readable, 1 when one is not, 2 for bad usage (a missing file…).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from dsnlink.deposit_point.returns.model import ReturnDocument
from dsnlink.deposit_point.returns.reader import read_return
from dsnlink.deposit_point.returns.render import describe, to_dict
from dsnlink.deposit_point.returns.safety import MAX_DOCUMENT_BYTES

EXIT_OK = 0
EXIT_UNREADABLE = 1
EXIT_USAGE = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "returns",
        help="inspect return documents (AEE, BAN, CRM…)",
        description="Return documents of the deposit point and the organisms.",
    )
    commands = parser.add_subparsers(dest="returns_command", metavar="COMMAND", required=True)
    inspect = commands.add_parser(
        "inspect",
        help="classify return files and list their anomalies",
        description="Read each FILE (XML of any family, plain text, or gzipped) and say what it "
        "is: family, nature, organism, status, the declaration it answers and its anomalies.",
    )
    inspect.add_argument("files", nargs="+", type=Path, metavar="FILE")
    inspect.add_argument("--json", action="store_true", help="one JSON list on stdout")
    inspect.add_argument("--nature", help="the nature code the returns listing gave (10, 61…)")
    inspect.set_defaults(func=run_inspect)


def run_inspect(
    args: argparse.Namespace, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    missing = [path for path in args.files if not path.is_file()]
    if missing:
        print(f"fichier introuvable : {missing[0]}", file=err)
        return EXIT_USAGE
    documents = []
    for path in args.files:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            print(f"fichier trop volumineux (plus de 50 Mo) : {path}", file=err)
            return EXIT_USAGE
        documents.append(read_return(path.read_bytes(), nature=args.nature, name=str(path)))
    if args.json:
        payload = [_json_entry(document) for document in documents]
        print(json.dumps(payload, ensure_ascii=False, indent=2), file=out)
    else:
        print("\n\n".join(describe(document) for document in documents), file=out)
    return EXIT_OK if all(d.readable for d in documents) else EXIT_UNREADABLE


def _json_entry(document: ReturnDocument) -> dict[str, object]:
    """The document as JSON: file, format, nature, status, readable, error first."""
    data = to_dict(document)
    first = ("file", "format", "nature", "status", "readable", "error")
    entry = {key: data[key] for key in first}
    if document.readable:
        del entry["error"]
    entry.update({key: value for key, value in data.items() if key not in first})
    return entry


def main(argv: list[str] | None = None) -> int:
    """Run `returns …` on its own (tests, or before it joins the `dsnlink` command list)."""
    parser = argparse.ArgumentParser(prog="dsnlink")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))
