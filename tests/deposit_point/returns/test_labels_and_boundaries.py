"""Labels, the documented nature table, the generator of NEOReS labels and the package's limits."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import openpyxl
import pytest

from dsnlink.deposit_point.returns import ReturnKind
from dsnlink.deposit_point.returns.labels import (
    NATURES,
    nature_for_kind,
    nature_label,
    official_label,
    official_tables,
)
from scripts import gen_neores_labels

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "dsnlink" / "deposit_point"


def test_every_nature_is_documented_with_its_label_and_family() -> None:
    doc = (ROOT / "docs" / "returns.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip(): line
        for line in doc.splitlines()
        if line.startswith("| ") and line.split("|")[1].strip().isdigit()
    }

    assert set(rows) == set(NATURES)
    for code, nature in NATURES.items():
        assert f"| {nature.label} | {nature.organism} | `{nature.format}` |" in rows[code]


def test_labels_of_known_and_unknown_natures() -> None:
    assert nature_label("11") == "certificat de conformité (CCO) ou bilan d'anomalies (BAN)"
    assert nature_label("977") == "nature de retour inconnue (977)"
    assert nature_label(None) is None
    assert nature_for_kind(ReturnKind.BAN) == "11"
    assert nature_for_kind(ReturnKind.CRM) is None


def test_official_tables_are_read_from_the_shipped_json() -> None:
    assert official_label("type_declaration", "03") == "déclaration annule et remplace intégral"
    assert official_label("Enum_TypeAction_2-2", "04") == "Prise en compte d'un paramètre"
    assert official_label("Enum_TypeErreur_2-2", "99") is None
    assert official_label("no_such_table", "01") is None
    assert official_label("type_declaration", None) is None
    assert "point_de_depot" in official_tables()


def test_the_generator_reads_a_cahier_technique(tmp_path: Path) -> None:
    cahier = tmp_path / "ct.xlsx"
    book = openpyxl.Workbook()
    standard = book.active
    assert standard is not None
    standard.title = "Standard"
    standard.append(["Description", "2099.1.0"])
    types = book.create_sheet("Data Types")
    types.append(["Id", "Nature", "Regexp", "Lg Min", "Lg Max", "Values"])
    types.append(["Enum_X", "Enumeration", None, 2, 2, "01=Un  libellé;02=Deux"])
    types.append(["Alphanumeric_1-3", "Alphanumeric", None, 1, 3, None])
    fields = book.create_sheet("Fields")
    fields.append(["Block Id", "Id", "Name"])
    fields.append(["RO.B004", "R003", "Type d'action"])
    book.save(cahier)
    output = tmp_path / "labels.json"

    assert gen_neores_labels.main(["--source", str(cahier), "--output", str(output)]) == 0

    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["tables"] == {"Enum_X": {"01": "Un libellé", "02": "Deux"}}
    assert data["fields"] == {"RO_B004_R003": "Type d'action"}
    assert "2099.1.0" in data["source"]


def test_the_generator_refuses_a_missing_cahier(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gen_neores_labels.main(["--source", str(tmp_path / "absent.xlsx")]) == 2
    assert capsys.readouterr().err.startswith("cahier introuvable")


def test_the_committed_labels_carry_both_cahiers() -> None:
    data = json.loads(
        (ROOT / "schemas" / "netentreprises" / "neores_labels.json").read_text(encoding="utf-8")
    )

    assert "2026.1.0" in data["source"] and "2027.1.0" in data["source"]
    assert data["tables"]["Enum_OK_ANO_2-3"]["ANO"].startswith("Ecart(s) constaté(s)")
    assert data["fields"]["RO_B002_R002"] == "Code du retour organisme"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _forbidden(module: str, *, reader: bool = True) -> bool:
    """What the deposit point library may not import: no database, no HTTP framework, no other
    package of the core; the return documents' reader (`reader`) not even an HTTP client."""
    banned = {"sqlmodel", "sqlalchemy", "psycopg", "fastapi"} | ({"httpx"} if reader else set())
    if module.split(".")[0] in banned:
        return True
    if module.startswith("dsnlink.deposit_point."):
        return False
    allowed = {"dsnlink.errors", "dsnlink.resources"} | (
        set() if reader else {"dsnlink", "dsnlink.clock"}
    )
    return module.startswith("dsnlink") and module not in allowed


def test_the_boundary_check_would_catch_an_offender() -> None:
    assert _forbidden("dsnlink.transmission.returns")
    assert _forbidden("dsnlink.db")
    assert _forbidden("sqlmodel")
    assert not _forbidden("dsnlink.errors")
    assert not _forbidden("dsnlink.deposit_point.returns.model")
    assert not _forbidden("lxml.etree")
    assert _forbidden("httpx") and not _forbidden("httpx", reader=False)
    assert _forbidden("dsnlink.clock") and not _forbidden("dsnlink.clock", reader=False)
    assert _forbidden("dsnlink.tenants.models", reader=False)


def test_the_package_imports_no_database_nor_transmission_code() -> None:
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        reader = "returns" in path.relative_to(PACKAGE).parts
        bad = {name for name in _imports(path) if _forbidden(name, reader=reader)}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)

    assert offenders == {}
    assert (PACKAGE / "__init__.py").read_text(encoding="utf-8") == (
        '"""The deposit point as a library: client, wire errors and return documents; '
        'no database."""\n'
    )
