"""Generate the norm catalogues schemas/norm/P24V01.json, P25V01.json, P26V01.json.

Inputs (read-only, never read at run time): /work/shared/norm/dsn-datatypes-CT2024.xlsx (P24V01,
official GIP-MDS workbook) and the CT2025 / CT2026 extractions (P25V01, P26V01). The output is
deterministic: re-running on the same inputs gives byte-identical files.

    .venv/bin/python scripts/gen_norm_catalogue.py [--source /work/shared/norm] [--out schemas/norm]

Assumptions (also written in schemas/norm/README.md):
- block bounds come from the 2024 workbook's Blocks sheet for every version; the envelope blocks
  (S10.G00.00 envoi 1..1, S20.G00.05 declaration 1..*, S90.G00.90 total 1..1) are not in that sheet
  (they are in Header) and get the bounds the norm states; a block new since 2024 gets 0..*;
- where an extraction gives, for a rubric whose label and length bounds are unchanged since the
  workbook, a different regexp, the workbook's regexp wins and a note is recorded; enumerations
  follow the extraction (code lists change every year: these are evolutions, not contradictions);
- messages: the extraction's texts are cut at about 500 characters, so when a control id also
  exists in the workbook and the extracted message is a prefix of the workbook's, the workbook's
  full text is kept; CRE/CME/CID ids, absent from the extractions, are carried over from the
  workbook for rubrics that still exist.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import openpyxl

VERSIONS = {"P24V01": None, "P25V01": "ct2025-extraction.json", "P26V01": "ct2026-extraction.json"}
# Envelope blocks: (name, parent, min, max, rank). The rank orders siblings as the norm's
# depth-first dump does; the Blocks sheet lists the other blocks in that order.
ENVELOPE_BLOCKS = {
    "S10.G00.00": ("Envoi", None, 1, 1, 0),
    "S20.G00.05": ("Déclaration", None, 1, None, 500),
    "S90.G00.90": ("Total de l'envoi", None, 1, 1, 1000),
}
BIRTHDATE_TYPES = {"N4DS_DDN"}
KIND_BY_NATURE = {
    "Alphanumeric": "alphanumeric",
    "Numeric": "numeric",
    "Enumeration": "enumeration",
    "ExternalReferential": "referential",
    "Date": "date",
}
MESSAGE_SPLIT = " | Message: "


def clean(text: Any) -> str:
    if text is None:
        return ""
    text = str(text).replace("_x000D_\n", "\n").replace("_x000D_", "\n")
    return re.sub(r"[ \t]+\n", "\n", text).strip()


def same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def is_prefix(short: str, full: str) -> bool:
    s, f = " ".join(short.split()), " ".join(full.split())
    return f.startswith(s)


def sheet_rows(workbook: Any, name: str) -> list[tuple[Any, ...]]:
    rows = []
    for row in workbook[name].iter_rows(values_only=True):
        if row and row[0] is not None:
            rows.append(tuple(row))
    return rows[1:]


def read_workbook(path: Path) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path, read_only=True)
    types = {}
    for r in sheet_rows(wb, "Data Types"):
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
    for rank, r in enumerate(sheet_rows(wb, "Blocks"), start=1):
        hi = None if r[5] == "*" else int(r[5])
        blocks[r[0]] = {"name": clean(r[1]), "parent": r[3], "min": int(r[4]), "max": hi,
                        "rank": rank}
    rubrics: dict[str, dict[str, Any]] = {}
    for r in sheet_rows(wb, "Fields"):
        rid = f"{r[0]}.{r[1]}"
        t = types[r[4]]
        kind = "birthdate" if r[4] in BIRTHDATE_TYPES else KIND_BY_NATURE[t["nature"]]
        rubrics[rid] = {
            "label": clean(r[2]),
            "type": r[4],
            "kind": kind,
            "min": t["min"],
            "max": t["max"],
            "regex": t["regex"],
            "values": t["values"] if kind == "enumeration" else None,
        }
    messages: dict[str, dict[str, str]] = {}
    for r in sheet_rows(wb, "Messages"):
        # Normalise the few ids mistyped in the workbook ("CCH14", "CCH ").
        cid = re.sub(r"/([A-Z]{3})-?\s*(\d+)$", r"/\1-\2", str(r[0]).strip())
        messages[cid] = {"rule": clean(r[1]), "message": clean(r[2])}
    return {"blocks": blocks, "rubrics": rubrics, "messages": messages}


def extraction_kind(rub: dict[str, Any]) -> str:
    dt, regex = rub["data_type"], rub["format_regex"] or ""
    if dt == "X":
        return "enumeration" if rub["enumeration"] else "referential"
    if dt == "D":
        if "|99)" in regex:
            return "birthdate"
        return "date" if rub["length_max"] == 8 else "alphanumeric"
    return "numeric" if r"\.[0-9]{2}" in regex or r"\.\d{2}" in regex else "alphanumeric"


def split_message(text: str) -> tuple[str, str]:
    text = clean(text)
    if MESSAGE_SPLIT in text:
        rule, message = text.split(MESSAGE_SPLIT, 1)
        return rule.strip(), message.strip()
    return text, ""


def from_extraction(version: str, path: Path, base: dict[str, Any]) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    notes: list[str] = [f"source: {path.name} ({data.get('version')})"]
    blocks: dict[str, dict[str, Any]] = {}
    rubrics: dict[str, dict[str, Any]] = {}
    messages: dict[str, dict[str, str]] = {}
    for bid in sorted(data["blocs"]):
        blk = data["blocs"][bid]
        ref = base["blocks"].get(bid)
        if ref is None:
            blocks[bid] = {"name": clean(blk["name"]), "parent": blk["parent_bloc"], "min": 0,
                           "max": None, "rank": 900}
            notes.append(f"block {bid} is new since P24V01: bounds assumed 0..*")
        else:
            if ref["parent"] != blk["parent_bloc"]:
                notes.append(
                    f"block {bid}: parent {blk['parent_bloc']} (workbook: {ref['parent']})"
                )
            blocks[bid] = {**ref, "parent": blk["parent_bloc"]}
        for rid in sorted(blk["rubriques"]):
            rub = blk["rubriques"][rid]
            ref_rub = base["rubrics"].get(rid)
            values = [e["code"] for e in rub["enumeration"]] if rub["enumeration"] else None
            entry = {
                "label": clean(rub["label"]),
                "type": ref_rub["type"] if ref_rub else None,
                "kind": extraction_kind(rub),
                "min": rub["length_min"],
                "max": rub["length_max"],
                "regex": rub["format_regex"] or None,
                "values": values,
            }
            if ref_rub is None:
                notes.append(f"rubric {rid} is new since P24V01")
            else:
                unchanged = (
                    same_text(entry["label"], ref_rub["label"])
                    and (entry["min"], entry["max"]) == (ref_rub["min"], ref_rub["max"])
                )
                # The workbook's typing (numeric vs alphanumeric, birth date) is finer than the
                # extraction's N/X/D letters: keep it for rubrics that already existed.
                entry["kind"] = ref_rub["kind"]
                if entry["kind"] != "enumeration":
                    entry["values"] = None
                if unchanged and entry["regex"] != ref_rub["regex"]:
                    notes.append(
                        f"rubric {rid}: extraction regexp {entry['regex']!r} contradicts the "
                        f"workbook's {ref_rub['regex']!r} for an unchanged rubric: workbook kept"
                    )
                    entry["regex"] = ref_rub["regex"]
                if values is not None and ref_rub["values"] is not None and set(values) != set(
                    ref_rub["values"]
                ):
                    added = sorted(set(values) - set(ref_rub["values"]))
                    removed = sorted(set(ref_rub["values"]) - set(values))
                    notes.append(f"rubric {rid}: enumeration +{added} -{removed} since P24V01")
            if rid == "S10.G00.00.006":
                entry["values"] = [version]
            rubrics[rid] = entry
            for fam in ("csl_controls", "cch_controls", "sig_controls"):
                for ctl in rub[fam]:
                    cid = f"{rid}/{ctl['id']}"
                    text = ctl.get("rule_text") or ctl.get("description", "")
                    rule, message = split_message(text)
                    wb_msg = base["messages"].get(cid)
                    if wb_msg and (not message or is_prefix(message, wb_msg["message"])):
                        message = wb_msg["message"]
                        if is_prefix(rule, wb_msg["rule"]):
                            rule = wb_msg["rule"]
                    messages[cid] = {"rule": rule, "message": message}
    for cid, msg in base["messages"].items():
        rid = cid.split("/", 1)[0]
        family = cid.split("/", 1)[1][:3]
        if family in {"CRE", "CME", "CID", "CST"} and rid in rubrics and cid not in messages:
            messages[cid] = msg
    return {"blocks": blocks, "rubrics": rubrics, "messages": messages, "notes": notes}


def build(source: Path) -> dict[str, dict[str, Any]]:
    base = read_workbook(source / "dsn-datatypes-CT2024.xlsx")
    base["rubrics"]["S10.G00.00.006"]["values"] = ["P24V01"]
    out: dict[str, dict[str, Any]] = {}
    for version, extraction in VERSIONS.items():
        if extraction is None:
            cat = {**base, "notes": ["source: dsn-datatypes-CT2024.xlsx (revision 20231219)"]}
        else:
            cat = from_extraction(version, source / extraction, base)
        out[version] = {
            "version": version,
            "generated_by": "scripts/gen_norm_catalogue.py",
            "blocks": dict(sorted(cat["blocks"].items())),
            "rubrics": dict(sorted(cat["rubrics"].items())),
            "messages": dict(sorted(cat["messages"].items())),
            "notes": cat["notes"],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/work/shared/norm"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent
                        / "schemas" / "norm")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for version, catalogue in build(args.source).items():
        target = args.out / f"{version}.json"
        text = json.dumps(catalogue, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
        target.write_text(text + "\n", encoding="utf-8")
        print(f"{target}: {len(catalogue['blocks'])} blocks, {len(catalogue['rubrics'])} rubrics,"
              f" {len(catalogue['messages'])} messages, {len(catalogue['notes'])} notes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
