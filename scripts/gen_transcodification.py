"""Generate schemas/netentreprises/transcodification.json from the GIP-MDS transcodification table.

    python scripts/gen_transcodification.py [--source XML] [--output JSON]

`tables` is every `<table><transco code="..">label</transco></table>` of the source file, as
code -> label. The source names no return nature, so `return_natures`, `return_statuses` and
`crm_codes` come from the API DSN guide (natures of returns 10..95) and are marked as such.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT / "tests" / "fixtures" / "returns" / "transcodification_XSL.xml"
DEFAULT_OUTPUT = ROOT / "schemas" / "netentreprises" / "transcodification.json"

RETURN_NATURES = {
    "10": "Accusé d'enregistrement électronique (AEE) ou avis de rejet (ARE)",
    "11": "Certificat de conformité (CCO) ou bilan d'anomalies (BAN)",
    "20": "Bilan d'identification des salariés (BIS)",
    "21": "Contrôles inter-déclarations (CID)",
    "30": "CNAM - accusé de réception",
    "31": "CNAM - compte rendu métier",
    "34": "CNAM - compte rendu métier",
    "40": "France Travail - accusé de réception",
    "41": "France Travail - attestation employeur rematérialisée (AER)",
    "44": "France Travail - compte rendu métier de fin de contrat",
    "50": "Organismes complémentaires - accusé de réception",
    "51": "Organismes complémentaires - compte rendu métier",
    "60": "URSSAF - accusé de réception",
    "61": "URSSAF - compte rendu métier agrégé",
    "62": "URSSAF - compte rendu métier nominatif",
    "70": "AGIRC-ARRCO - accusé de réception",
    "71": "AGIRC-ARRCO - compte rendu métier",
    "92": "DGFiP - accusé de réception",
    "93": "DGFiP - compte rendu métier agrégé",
    "94": "DGFiP - compte rendu métier nominatif (taux de prélèvement à la source)",
    "95": "DGFiP - compte rendu taux sur taux",
}
RETURN_STATUSES = {
    "OK": "Traité sans anomalie",
    "ANO": "Anomalies non bloquantes",
    "KO": "Anomalies bloquantes",
}
CRM_CODES = {
    "0": "Déclaration acceptée",
    "1": "Acceptée avec anomalies non bloquantes",
    "2": "Partiellement prise en compte",
    "3": "Non prise en compte",
}


def extract(source: Path) -> dict[str, dict[str, str]]:
    """Every table of the source as {table: {code: label}}, in document order."""
    root = etree.parse(str(source)).getroot()
    tables: dict[str, dict[str, str]] = {}
    for table in root:
        if not isinstance(table.tag, str):
            continue
        name = etree.QName(table).localname
        entries = {
            item.get("code"): " ".join((item.text or "").split())
            for item in table
            if isinstance(item.tag, str) and etree.QName(item).localname == "transco"
        }
        if any(code is None for code in entries):
            raise ValueError(f"{source}: a transco of table {name} has no code")
        tables[name] = {str(code): label for code, label in entries.items()}
    return tables


def document(source: Path) -> dict[str, object]:
    return {
        "source": "transcodification_XSL.xml (GIP-MDS, ArchitectureDSN/dsn-api-resources)",
        "tables": extract(source),
        "return_natures": RETURN_NATURES,
        "return_statuses": RETURN_STATUSES,
        "crm_codes": CRM_CODES,
        "supplement_source": "API DSN guide: natures of returns, statuses and CRM codes",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        tables = extract(args.source)
        content = document(args.source)
    except (OSError, ValueError, etree.XMLSyntaxError) as exc:
        print(f"gen_transcodification: {exc}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(content, ensure_ascii=False, indent=2) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(tables)} tables)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
