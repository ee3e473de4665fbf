"""A new norm year without a code change: importing the official workbook, finding catalogues
among shipped and imported ones, the coverage of every control id."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from dsnlink.cli import main
from dsnlink.norm.catalogue import (
    SHIPPED_DIR,
    clear_catalogue_cache,
    get_catalogue_or_raise,
    installed_versions,
    latest_installed_month,
    version_for_year,
)
from dsnlink.norm.coverage import ControlState, coverage
from dsnlink.norm.importer import import_workbook
from dsnlink.norm.workbook import WorkbookError, normalise_control_id

from .builder import build
from .conftest import check

WORKBOOK = Path(__file__).parent / "fixtures" / "dsn-datatypes-CT2024.xlsx"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_catalogue_cache()


def test_importing_the_2024_workbook_reproduces_the_shipped_catalogue(tmp_path: Path) -> None:
    result = import_workbook(WORKBOOK, data_dir=tmp_path)
    assert result.version == "P24V01"
    assert result.path == tmp_path / "norm" / "P24V01.json"
    assert result.path.read_bytes() == (SHIPPED_DIR / "P24V01.json").read_bytes()


def _fake_next_year(tmp_path: Path) -> Path:
    """A 2027 norm as an import would install it: the 2026 catalogue under the name P27V01."""
    doc = json.loads((SHIPPED_DIR / "P26V01.json").read_text(encoding="utf-8"))
    doc["version"] = "P27V01"
    doc["rubrics"]["S10.G00.00.006"]["values"] = ["P27V01"]
    # The new year drops one control: it is no longer run, nothing else changes.
    del doc["messages"]["S21.G00.40.001/CCH-15"]
    target = tmp_path / "norm" / "P27V01.json"
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def test_a_file_in_an_imported_norm_is_validated_with_it(tmp_path: Path) -> None:
    data_dir = _fake_next_year(tmp_path)
    assert installed_versions(data_dir)[-1] == "P27V01"
    assert version_for_year(2027, installed_versions(data_dir)) == "P27V01"
    data = build(version="P27V01").replace(b"012026'", b"012027'")
    not_installed = check(data)
    assert [a.id for a in not_installed.anomalies] == ["DSNLINK-NORM-03"]
    report = check(data, data_dir=data_dir)
    assert report.valid, report.anomalies
    assert report.norm_version == "P27V01"
    # Unchanged rules run for the new year; the dropped one does not.
    spoiled = data.replace(b"S21.G00.40.001,'01012020'", b"S21.G00.40.001,'01011980'")
    spoiled = spoiled.replace(b"S21.G00.51.010,'C0001'", b"S21.G00.51.010,'C0002'")
    ids = [a.id for a in check(spoiled, data_dir=data_dir).anomalies]
    assert "S21.G00.40.009/CCH-13" in ids
    assert "S21.G00.40.001/CCH-15" not in ids


def test_latest_installed_month(tmp_path: Path) -> None:
    assert latest_installed_month(date(2026, 5, 3)) == "2026-05"
    assert latest_installed_month(date(2027, 2, 1)) == "2026-12"
    assert latest_installed_month(date(2027, 2, 1), _fake_next_year(tmp_path)) == "2027-02"


def test_demo_month_is_installed_and_known_to_the_sample(tmp_path: Path) -> None:
    from dsnlink.norm.sample_model import demo_month

    assert demo_month(date(2026, 5, 3)) == "2026-05"
    assert demo_month(date(2027, 2, 1)) == "2026-12"
    # A 2027 norm imported: the sample generator still knows only up to 2026.
    assert demo_month(date(2027, 2, 1), _fake_next_year(tmp_path)) == "2026-12"


def test_not_a_workbook_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "notes.xlsx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(WorkbookError):
        import_workbook(bad, data_dir=tmp_path)
    assert not (tmp_path / "norm").exists() or not list((tmp_path / "norm").glob("*.json"))


def test_import_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "dsn-datatypes-CT2024.xlsx"
    shutil.copy(WORKBOOK, copy)
    assert main(["norm", "import", str(copy), "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert "P24V01: 62 blocks" in out
    assert (tmp_path / "data" / "norm" / "P24V01.json").exists()


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("S21.G00.30.020/CCH14", "S21.G00.30.020/CCH-14"),
        ("S21.G00.30.025/CCH -11", "S21.G00.30.025/CCH-11"),
        ("S21.G00.30.001/CCH-14", "S21.G00.30.001/CCH-14"),
    ],
)
def test_control_ids_are_normalised(raw: str, normalised: str) -> None:
    assert normalise_control_id(raw) == normalised


@pytest.mark.parametrize("version", ["P24V01", "P25V01", "P26V01"])
def test_shipped_catalogues_hold_only_normalised_ids(version: str) -> None:
    cat = get_catalogue_or_raise(version)
    assert all(normalise_control_id(cid) == cid for cid in cat.messages)
    ntt = cat.messages["S21.G00.30.020/CCH-14"]
    assert "temporaire" in ntt.rule and "inscription" not in ntt.rule


def test_coverage_states() -> None:
    rows = {r.id: r for r in coverage(get_catalogue_or_raise("P26V01"))}
    assert rows["S21.G00.40.001/CCH-15"].state is ControlState.IMPLEMENTED
    assert rows["S21.G00.06.003/CRE-11"].state is ControlState.REFERENTIAL
    assert "NAF" in rows["S21.G00.06.003/CRE-11"].detail
    assert rows["S21.G00.40.017/CRE-11"].detail.startswith("collective agreements (IDCC")
    assert rows["S20.G00.05.002/CCH-11"].state is ControlState.HISTORY
    # A control repeated under another rubric with its text cut is checked once, as its twin.
    twin = rows["S21.G00.20.011/CCH-12"]
    assert twin.state is ControlState.IMPLEMENTED
    assert "S21.G00.20.012/CCH-12" in twin.detail
    assert rows["S21.G00.20.012/CCH-12"].detail == ""
    assert all(
        r.state is not ControlState.IMPLEMENTED
        for r in rows.values()
        if r.family in ("CRE", "CME", "CID")
    )


def test_coverage_command_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert (
        main(["norm", "coverage", "--version", "P26V01", "--json", "--data-dir", str(tmp_path)])
        == 0
    )
    payload = json.loads(capsys.readouterr().out)["P26V01"]
    assert len(payload["controls"]) == len(get_catalogue_or_raise("P26V01").messages)
    assert payload["summary"]["CRE"]["needs an external referential"] == 48
    assert {c["state"] for c in payload["controls"]} <= {s.value for s in ControlState}


def test_controls_page_is_up_to_date(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["norm", "coverage", "--markdown", "--data-dir", str(tmp_path)]) == 0
    page = Path(__file__).resolve().parents[2] / "docs" / "controls.md"
    assert page.read_text(encoding="utf-8") == capsys.readouterr().out
