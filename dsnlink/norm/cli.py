"""`dsnlink validate FILE... [--json]`: check DSN files against the norm, offline; and
`dsnlink norm coverage|import|installed`: which controls are checked, installing a new norm year.

Exit status of validate: 0 no blocking anomaly in any file, 1 at least one, 2 unreadable input or
bad usage.
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
from dsnlink.norm.catalogue import (
    catalogue_paths,
    get_catalogue_or_raise,
    installed_versions,
    latest_installed_month,
)
from dsnlink.norm.coverage import ControlState, coverage, render_markdown, summary
from dsnlink.norm.importer import import_workbook
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

    norm = subparsers.add_parser(
        "norm",
        help="norm catalogues: control coverage, importing a new norm year",
        description="Norm catalogues (cahier technique): which controls are checked offline, "
        "and installing a new norm year from the official GIP-MDS workbook.",
    )
    commands = norm.add_subparsers(dest="norm_command", metavar="COMMAND")
    commands.required = True
    cov = commands.add_parser(
        "coverage",
        help="every control id of a norm and whether it is checked offline",
        description="List every control id of a norm version with its state: implemented, "
        "needs an external referential, needs the platform's history, not checkable offline, "
        "or not yet implemented.",
    )
    cov.add_argument("--version", metavar="PxxVyy", help="norm version (default: every one)")
    cov.add_argument("--json", action="store_true", help="one JSON object")
    cov.add_argument("--markdown", action="store_true", help="the docs/controls.md page")
    cov.add_argument("--data-dir", type=Path, help="data directory (default: settings)")
    cov.set_defaults(func=run_coverage)
    imp = commands.add_parser(
        "import",
        help="install a norm version from the official dsn-datatypes-CTyyyy.xlsx workbook",
        description="Read the official GIP-MDS workbook (sheets Standard, Data Types, Blocks, "
        "Fields, Messages) into data_dir/norm/PxxVyy.json; files in that norm are then "
        "validated with it.",
    )
    imp.add_argument("workbook", type=Path, metavar="WORKBOOK.xlsx")
    imp.add_argument("--data-dir", type=Path, help="data directory (default: settings)")
    imp.set_defaults(func=run_import)
    inst = commands.add_parser("installed", help="norm versions installed (shipped, imported)")
    inst.add_argument("--data-dir", type=Path, help="data directory (default: settings)")
    inst.set_defaults(func=run_installed)


def _data_dir(args: argparse.Namespace) -> Path:
    if getattr(args, "data_dir", None) is not None:
        return Path(args.data_dir)
    from dsnlink.config import get_settings

    return get_settings().data_dir


def run_coverage(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    versions = [args.version] if args.version else list(installed_versions(data_dir))
    catalogues = [get_catalogue_or_raise(v, data_dir) for v in versions]
    if args.markdown:
        sys.stdout.write(render_markdown(catalogues))
        return 0
    if args.json:
        payload = {}
        for cat in catalogues:
            rows = coverage(cat)
            payload[cat.version] = {
                "summary": summary(rows),
                "controls": [r.to_dict() for r in rows],
            }
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    for cat in catalogues:
        rows = coverage(cat)
        done = sum(r.state is ControlState.IMPLEMENTED for r in rows)
        print(f"{cat.version}: {len(rows)} controls, {done} implemented")
        for family, counts in summary(rows).items():
            detail = ", ".join(
                f"{s.value} {counts[s.value]}" for s in ControlState if counts.get(s.value)
            )
            print(f"  {family} ({counts['total']}): {detail}")
        for r in rows:
            extra = f" ({r.detail})" if r.detail else ""
            print(f"  {r.id:<24} {r.category:<13} {r.state.value}{extra}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    data_dir = _data_dir(args)
    result = import_workbook(args.workbook, data_dir=data_dir)
    print(
        f"{result.version}: {result.blocks} blocks, {result.rubrics} rubrics, "
        f"{result.messages} controls -> {result.path}"
    )
    print(f"latest month whose norm is installed: {latest_installed_month(result.today, data_dir)}")
    return 0


def run_installed(args: argparse.Namespace) -> int:
    for version, path in catalogue_paths(_data_dir(args)).items():
        print(f"{version}  {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    reports: list[ValidationReport] = []
    unreadable = False
    data_dir = _data_dir(args)
    for name in args.files:
        try:
            reports.append(
                validate_path(
                    name,
                    on_progress=_progress(name, sys.stderr),
                    max_anomalies=max(args.max_anomalies, 1),
                    data_dir=data_dir,
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
