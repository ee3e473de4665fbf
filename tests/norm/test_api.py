"""Public API shape, catalogues, and the teammate's sample generator as an external witness."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import pytest

from dsnlink.errors import NotFoundError
from dsnlink.norm import Anomaly, DeclarationSummary, ValidationReport, validate_stream
from dsnlink.norm.anomalies import PROJECT_ANOMALIES, not_checked_ids
from dsnlink.norm.catalogue import (
    SUPPORTED_VERSIONS,
    clear_catalogue_cache,
    get_catalogue,
    get_catalogue_or_raise,
)

from .builder import Declaration, build
from .conftest import check

ROOT = Path(__file__).resolve().parents[2]
SHARED_NORM = Path("/work/shared/norm")


def test_report_shape() -> None:
    report = check(build([Declaration(month="01022026", replaced_id=None)]))
    assert isinstance(report, ValidationReport)
    assert report.valid and report.norm_version == "P26V01"
    (decl,) = report.declarations
    assert isinstance(decl, DeclarationSummary)
    assert decl.to_dict() == {
        "nature": "01", "type": "01", "month": "2026-02", "siren": "732829320",
        "nic": "00074", "individuals": 1,
    }
    assert (decl.fraction, decl.order_number) == ("11", "1")
    assert report.test_or_real == "01" and report.envoi_type == "01"
    d = report.to_dict()
    assert list(d)[:5] == ["file", "norm_version", "valid", "declarations", "anomalies"]
    json.dumps(d)


def test_not_checked_lists_external_referential_controls() -> None:
    report = check(build())
    families = {cid.split("/")[1][:3] for cid in report.not_checked}
    assert {"CRE", "CME", "CID"} <= families
    assert "S21.G00.30.001/CCH-14" not in report.not_checked
    assert "S21.G00.06.003/CRE-11" in report.not_checked


def test_every_project_id_is_documented() -> None:
    doc = (ROOT / "docs" / "anomalies.md").read_text(encoding="utf-8")
    for aid in PROJECT_ANOMALIES:
        assert f"`{aid}`" in doc, aid


def test_anomaly_is_a_value_object() -> None:
    a = Anomaly("X", "bloquant", "m", 1, "S10.G00.00.001", "v")
    assert a.to_dict() == {"id": "X", "category": "bloquant", "message": "m", "line": 1,
                           "rubric": "S10.G00.00.001", "value": "v"}


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_catalogues_are_cached_and_hold_the_norm(version: str) -> None:
    # How fast a catalogue loads is a benchmark's business, not a test's (chance under load).
    clear_catalogue_cache()
    cat = get_catalogue_or_raise(version)
    assert get_catalogue_or_raise(version) is cat  # cached
    assert cat.blocks["S21.G00.40"].parent == "S21.G00.30"
    assert (cat.blocks["S21.G00.40"].min, cat.blocks["S21.G00.40"].max) == (1, None)
    assert cat.rubrics["S10.G00.00.006"].values == frozenset({version.encode()})
    assert cat.messages["S21.G00.30.001/CCH-14"].message
    assert not_checked_ids(cat)


def test_unknown_catalogue() -> None:
    assert get_catalogue("P99V01") is None
    with pytest.raises(NotFoundError):
        get_catalogue_or_raise("P99V01")


def test_nature_10_only_from_p26() -> None:
    assert b"10" not in (get_catalogue_or_raise("P25V01").rubrics["S20.G00.05.001"].values or ())
    assert b"10" in (get_catalogue_or_raise("P26V01").rubrics["S20.G00.05.001"].values or ())


@pytest.mark.skipif(not SHARED_NORM.exists(), reason="norm sources not on this machine")
def test_generator_reproduces_the_committed_catalogues(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen_norm_catalogue.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert gen.main(["--source", str(SHARED_NORM), "--out", str(tmp_path)]) == 0
    for version in SUPPORTED_VERSIONS:
        committed = (ROOT / "schemas" / "norm" / f"{version}.json").read_bytes()
        assert (tmp_path / f"{version}.json").read_bytes() == committed, version


def test_generated_samples_are_valid() -> None:
    sample = pytest.importorskip("dsnlink.norm.sample")
    for month in ("2024-03", "2025-06", "2026-01"):
        report = validate_stream(sample.generate_sample(employees=20, month=month, seed=1))
        assert report.valid, (month, report.anomalies[:5])
        assert report.declarations[0].individuals == 20


def test_memory_stays_bounded_on_a_file_of_repeated_garbage() -> None:
    data = b"not a dsn line\n" * 200_000
    report = validate_stream(io.BytesIO(data), max_anomalies=100)
    assert len(report.anomalies) == 101
    assert report.anomaly_count >= 200_000
