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
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dsnlink.norm.workbook import (  # noqa: E402
    catalogue_document,
    clean,
    dump_catalogue,
    normalise_control_id,
    read_workbook,
)

VERSIONS = {"P24V01": None, "P25V01": "ct2025-extraction.json", "P26V01": "ct2026-extraction.json"}
MESSAGE_SPLIT = " | Message: "


def same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def is_prefix(short: str, full: str) -> bool:
    s, f = " ".join(short.split()), " ".join(full.split())
    return f.startswith(s)


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
            # Ids are normalised ("CCH14" -> "CCH-14"); where the extraction holds two texts for
            # one id (CT2025/CT2026 give S21.G00.30.020/CCH-14 the NIR rule's text and the real
            # one under "CCH14"), the text that agrees with the workbook wins, else the last.
            found: dict[str, list[tuple[str, str]]] = {}
            for fam in ("csl_controls", "cch_controls", "sig_controls"):
                for ctl in rub[fam]:
                    cid = normalise_control_id(f"{rid}/{ctl['id']}")
                    text = ctl.get("rule_text") or ctl.get("description", "")
                    found.setdefault(cid, []).append(split_message(text))
            for cid, candidates in found.items():
                wb_msg = base["messages"].get(cid)
                rule, message = candidates[-1]
                if wb_msg and len(candidates) > 1:
                    for cand_rule, cand_message in candidates:
                        if is_prefix(cand_rule, wb_msg["rule"]):
                            rule, message = cand_rule, cand_message
                if len(candidates) > 1:
                    notes.append(f"control {cid}: {len(candidates)} texts for one id in the "
                                 "extraction; kept the one agreeing with the workbook, else the "
                                 "last")
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
    book = read_workbook(source / "dsn-datatypes-CT2024.xlsx")
    base = catalogue_document(book)
    out: dict[str, dict[str, Any]] = {"P24V01": base}
    for version, extraction in VERSIONS.items():
        if extraction is None:
            continue
        cat = from_extraction(version, source / extraction, base)
        out[version] = {
            "version": version,
            "generated_by": base["generated_by"],
            "blocks": dict(sorted(cat["blocks"].items())),
            "rubrics": dict(sorted(cat["rubrics"].items())),
            "messages": dict(sorted(cat["messages"].items())),
            "notes": cat["notes"],
        }
    return out


def write_catalogue(target: Path, catalogue: dict[str, Any]) -> None:
    target.write_text(dump_catalogue(catalogue), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/work/shared/norm"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent
                        / "schemas" / "norm")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for version, catalogue in build(args.source).items():
        target = args.out / f"{version}.json"
        write_catalogue(target, catalogue)
        print(f"{target}: {len(catalogue['blocks'])} blocks, {len(catalogue['rubrics'])} rubrics,"
              f" {len(catalogue['messages'])} messages, {len(catalogue['notes'])} notes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
