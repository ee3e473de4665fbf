"""Reading the official GIP-MDS `dsn-datatypes-CTyyyy.xlsx` workbook into a norm catalogue document.

The workbook (sheets Standard, Header, Data Types, Blocks, Fields, Messages) is what GIP-MDS
publishes for software publishers each year. `catalogue_document` turns one into the JSON shape of
schemas/norm/README.md; `dsnlink norm import` writes it into the data directory, and
scripts/gen_norm_catalogue.py uses it for the shipped P24V01 catalogue.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from dsnlink.errors import InputError

GENERATED_BY = "dsnlink.norm.workbook"
# Envelope blocks: (name, parent, min, max, rank). They are in the Header sheet, not Blocks; the
# rank orders siblings as the norm's depth-first dump does.
ENVELOPE_BLOCKS: dict[str, tuple[str, str | None, int, int | None, int]] = {
    "S10.G00.00": ("Envoi", None, 1, 1, 0),
    "S20.G00.05": ("Déclaration", None, 1, None, 500),
    "S90.G00.90": ("Total de l'envoi", None, 1, 1, 1000),
}
BIRTHDATE_TYPES = frozenset({"N4DS_DDN"})
KIND_BY_NATURE = {
    "Alphanumeric": "alphanumeric",
    "Numeric": "numeric",
    "Enumeration": "enumeration",
    "ExternalReferential": "referential",
    "Date": "date",
}
REQUIRED_SHEETS = ("Standard", "Data Types", "Blocks", "Fields", "Messages")
_VERSION = re.compile(r"P\d\dV\d\d")
_CONTROL_ID = re.compile(r"^(S\d\d\.G\d\d\.\d\d\.\d\d\d)\s*/\s*([A-Z]{3})\s*-?\s*(\d+)$")


class WorkbookError(InputError):
    """The file is not a GIP-MDS dsn-datatypes workbook this reader understands."""

    code = "invalid-norm-workbook"


def normalise_control_id(cid: str) -> str:
    """`S21.G00.30.020/CCH14` and `S21.G00.30.025/CCH -11` as the norm spells them (`CCH-14`)."""
    match = _CONTROL_ID.match(cid.strip())
    if match is None:
        return cid.strip()
    return f"{match.group(1)}/{match.group(2)}-{match.group(3)}"


def clean(text: Any) -> str:
    if text is None:
        return ""
    text = str(text).replace("_x000D_\n", "\n").replace("_x000D_", "\n")
    return re.sub(r"[ \t]+\n", "\n", text).strip()


def _rows(workbook: Any, name: str) -> list[tuple[Any, ...]]:
    rows = [tuple(r) for r in workbook[name].iter_rows(values_only=True) if r and r[0] is not None]
    return rows[1:]


def read_workbook(path: str | Path) -> dict[str, Any]:
    """Version, revision, blocks, rubrics and messages of a dsn-datatypes workbook."""
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a main dependency
        raise WorkbookError("openpyxl is needed to read a norm workbook") from exc
    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a bad file
        raise WorkbookError(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    missing = [s for s in REQUIRED_SHEETS if s not in wb.sheetnames]
    if missing:
        raise WorkbookError(f"{path}: sheets missing from the workbook: {', '.join(missing)}")
    standard = {
        str(r[0]).strip(): r[1]
        for r in wb["Standard"].iter_rows(values_only=True)
        if r and r[0] is not None
    }
    version = str(standard.get("Version") or "").strip()
    if not _VERSION.fullmatch(version):
        raise WorkbookError(f"{path}: no norm version (PxxVyy) in the Standard sheet")
    types = {}
    for r in _rows(wb, "Data Types"):
        values = None
        if r[6]:
            items = str(r[6]).split(";")
            values = [item.split("=", 1)[0].strip() for item in items if item.strip()]
        types[r[0]] = {
            "nature": r[2],
            "regex": (r[3] or None),
            "min": int(r[4]) if r[4] is not None else None,
            "max": int(r[5]) if r[5] is not None else None,
            "values": values,
        }
    blocks: dict[str, dict[str, Any]] = {}
    for bid, (name, parent, lo, hi, rank) in ENVELOPE_BLOCKS.items():
        blocks[bid] = {"name": name, "parent": parent, "min": lo, "max": hi, "rank": rank}
    for rank, r in enumerate(_rows(wb, "Blocks"), start=1):
        upper = None if r[5] == "*" else int(r[5])
        blocks[r[0]] = {
            "name": clean(r[1]),
            "parent": r[3],
            "min": int(r[4]),
            "max": upper,
            "rank": rank,
        }
    rubrics: dict[str, dict[str, Any]] = {}
    for r in _rows(wb, "Fields"):
        t = types[r[4]]
        kind = "birthdate" if r[4] in BIRTHDATE_TYPES else KIND_BY_NATURE[t["nature"]]
        rubrics[f"{r[0]}.{r[1]}"] = {
            "label": clean(r[2]),
            "type": r[4],
            "kind": kind,
            "min": t["min"],
            "max": t["max"],
            "regex": t["regex"],
            "values": t["values"] if kind == "enumeration" else None,
        }
    messages: dict[str, dict[str, str]] = {}
    for r in _rows(wb, "Messages"):
        messages[normalise_control_id(str(r[0]))] = {"rule": clean(r[1]), "message": clean(r[2])}
    return {
        "version": version,
        "revision": standard.get("Revision"),
        "source": Path(path).name,
        "blocks": blocks,
        "rubrics": rubrics,
        "messages": messages,
    }


def catalogue_document(book: dict[str, Any]) -> dict[str, Any]:
    """The catalogue JSON document (schemas/norm/README.md) of a workbook read by read_workbook."""
    version = book["version"]
    rubrics = {rid: dict(r) for rid, r in book["rubrics"].items()}
    if "S10.G00.00.006" in rubrics:
        rubrics["S10.G00.00.006"]["values"] = [version]
    return {
        "version": version,
        "generated_by": GENERATED_BY,
        "blocks": dict(sorted(book["blocks"].items())),
        "rubrics": dict(sorted(rubrics.items())),
        "messages": dict(sorted(book["messages"].items())),
        "notes": [f"source: {book['source']} (revision {book['revision']})"],
    }


def dump_catalogue(document: dict[str, Any]) -> str:
    """The catalogue file's text: compact, keys in document order, deterministic."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"
