"""Generate schemas/netentreprises/neores_labels.json from the NEOReS cahiers techniques (xlsx).

    python scripts/gen_neores_labels.py --source CT.xlsx [--source CT.xlsx …] [--output JSON]

`tables` is every enumeration of the sheet "Data Types" (column Values, `code=label;…`), by its
datatype Id (Enum_TypeAction_2-2…); `fields` is the sheet "Fields" as `RO_Bxxx_Rxxx` -> name.
When several cahiers are given, later ones win for the codes they share and the rest is kept.
The cahiers are read-only inputs outside the repository: the generated JSON is committed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "schemas" / "netentreprises" / "neores_labels.json"


def parse_values(values: str) -> dict[str, str]:
    """`01=Entreprise;02=Etablissement` as {code: label}; a label holds no `;` in the cahiers."""
    table: dict[str, str] = {}
    for entry in values.split(";"):
        code, sep, label = entry.partition("=")
        if sep and code.strip():
            table[code.strip()] = " ".join(label.split())
    return table


def read_cahier(path: Path) -> tuple[str, dict[str, dict[str, str]], dict[str, str]]:
    """The version, enumerations and field names of one cahier technique."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    version = ""
    for row in book["Standard"].iter_rows(values_only=True):
        if row and row[0] == "Description" and row[1]:
            version = str(row[1])
    tables: dict[str, dict[str, str]] = {}
    for row in list(book["Data Types"].iter_rows(values_only=True))[1:]:
        if row and row[1] == "Enumeration" and row[0] and row[5]:
            tables[str(row[0])] = parse_values(str(row[5]))
    fields: dict[str, str] = {}
    for row in list(book["Fields"].iter_rows(values_only=True))[1:]:
        if row and row[0] and row[1] and row[2]:
            key = f"{row[0]}.{row[1]}".replace(".", "_")
            fields[key] = " ".join(str(row[2]).split())
    return version, tables, fields


def build(sources: list[Path]) -> dict[str, Any]:
    versions: list[str] = []
    tables: dict[str, dict[str, str]] = {}
    fields: dict[str, str] = {}
    for source in sources:
        version, found, names = read_cahier(source)
        versions.append(version or source.name)
        for name, entries in found.items():
            tables.setdefault(name, {}).update(entries)
        fields.update(names)
    return {
        "source": "cahiers techniques NEOReS " + ", ".join(versions) + " (GIP-MDS)",
        "tables": {name: dict(sorted(entries.items())) for name, entries in sorted(tables.items())},
        "fields": dict(sorted(fields.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, action="append", required=True)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.source if not path.exists()]
    if missing:
        print(f"cahier introuvable : {', '.join(missing)}", file=sys.stderr)
        return 2
    data = build(args.source)
    args.output.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{args.output}: {len(data['tables'])} tables, {len(data['fields'])} rubriques")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
