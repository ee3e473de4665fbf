"""`dsnlink validate FILE... [--json]`: check DSN files against the norm, offline.

Exit status: 0 no blocking anomaly in any file, 1 at least one, 2 unreadable input or bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from dsnlink.errors import UnreadableInputError
from dsnlink.norm.schemas import Anomaly, Category, ValidationReport
from dsnlink.norm.service import validate_path

PROGRESS_MIN_BYTES = 8 << 20  # smaller files are done before a progress line would help
EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="validate DSN files against the norm (offline controls)",
        description="Validate DSN files (plain or gzip) against the catalogue of their norm "
        "version. Exit 0 when no file has a blocking anomaly, 1 when one has, 2 when a file "
        "cannot be read.",
    )
    parser.add_argument("files", nargs="+", metavar="FILE", help="DSN file, plain or .gz")
    parser.add_argument("--json", action="store_true", help="one JSON object per file, in a list")
    parser.add_argument(
        "--max-anomalies",
        type=int,
        default=1000,
        metavar="N",
        help="anomalies listed per file; the rest are counted (default 1000)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    reports: list[ValidationReport] = []
    unreadable = False
    for name in args.files:
        try:
            reports.append(
                validate_path(
                    name,
                    on_progress=_progress(name, sys.stderr),
                    max_anomalies=max(args.max_anomalies, 1),
                )
            )
        except UnreadableInputError as exc:
            unreadable = True
            print(f"dsnlink: error: {exc}", file=sys.stderr)
        finally:
            _clear_progress(sys.stderr)
    if args.json:
        json.dump([r.to_dict() for r in reports], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for report in reports:
            sys.stdout.write(render_text(report))
    if unreadable:
        return EXIT_UNREADABLE
    return EXIT_VALID if all(r.valid for r in reports) else EXIT_INVALID


def render_text(report: ValidationReport) -> str:
    """Readable report: verdict, declarations, counts per category, anomalies by rubric."""
    verdict = "VALID" if report.valid else "INVALID"
    out = [
        f"{report.file}: {verdict} - norm {report.norm_version or '?'}, "
        f"{report.line_count} lines, {len(report.declarations)} declaration(s)"
    ]
    for i, d in enumerate(report.declarations, start=1):
        out.append(
            f"  declaration {i}: nature {d.nature} type {d.type} month {d.month} "
            f"SIREN {d.siren} NIC {d.nic}, {d.individuals} individual(s)"
        )
    counts = Counter(a.category for a in report.anomalies if a.id != "DSNLINK-CAP-01")
    out.append(
        f"  anomalies: {report.blocking_count} {Category.BLOQUANT.value}, "
        f"{report.non_blocking_count} {Category.NON_BLOQUANT.value}"
        + (f" (listed: {sum(counts.values())})" if report.truncated else "")
    )
    groups: dict[str, list[Anomaly]] = {}
    for a in report.anomalies:
        groups.setdefault(a.rubric or "(file)", []).append(a)
    for rubric in sorted(groups, key=lambda r: (r == "(file)", r)):
        out.append(f"  {rubric}")
        for a in groups[rubric]:
            where = f"line {a.line}" if a.line is not None else "file"
            value = f" [{a.value!r}]" if a.value is not None else ""
            out.append(f"    {where}: {a.category} {a.id}: {a.message}{value}")
    families = Counter(cid.split("/", 1)[1][:3] for cid in report.not_checked)
    if families:
        detail = ", ".join(f"{fam} {n}" for fam, n in sorted(families.items()))
        out.append(f"  not checked offline: {len(report.not_checked)} controls ({detail})")
    return "\n".join(out) + "\n"


def _progress(name: str, stream: TextIO) -> Callable[[int], None] | None:
    if not stream.isatty():
        return None
    try:
        size = Path(name).stat().st_size
    except OSError:
        return None
    if size < PROGRESS_MIN_BYTES:
        return None

    def show(done: int) -> None:
        stream.write(f"\r{name}: {min(100, done * 100 // size):3d}%")
        stream.flush()

    return show


def _clear_progress(stream: TextIO) -> None:
    if stream.isatty():
        stream.write("\r\033[K")
        stream.flush()
