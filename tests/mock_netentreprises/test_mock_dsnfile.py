"""The mock's own light reading of DSN files: keys, block occurrences, refusals."""

from __future__ import annotations

import pytest
from mock_helpers import build_dsn

from mock_netentreprises import dsnfile


@pytest.mark.parametrize(
    ("siret", "valid"),
    [
        ("73282932000074", True),
        ("73282932000075", False),
        ("35600000000048", True),
        ("35600000012346", True),  # La Poste: digit sum 30, a multiple of 5
        ("35600000012345", False),
        ("7328293200007A", False),
    ],
)
def test_siret_keys(siret: str, valid: bool) -> None:
    assert dsnfile.siret_ok(siret) is valid


def test_siren_keys() -> None:
    assert dsnfile.siren_ok("732829320")
    assert not dsnfile.siren_ok("732829321")
    assert not dsnfile.siren_ok("73282932")


def test_clean_file_has_no_anomaly_and_counts_individuals() -> None:
    dsn = dsnfile.read(build_dsn(individuals=3))
    assert dsn.anomalies == []
    assert [p.rang for p in dsn.individuals] == [1, 2, 3]
    assert dsn.individuals[2].matricule == "MAT0002"
    assert dsn.nature == "01"
    assert dsn.emetteur_siret is not None and dsnfile.siret_ok(dsn.emetteur_siret)


def test_crlf_line_endings_are_accepted() -> None:
    assert dsnfile.read(build_dsn().replace(b"\n", b"\r\n")).anomalies == []


def test_apostrophe_inside_a_value_is_legal() -> None:
    dsn = dsnfile.read(build_dsn(extra=("S21.G00.30.002,'O'CONNOR'",)))
    assert dsn.anomalies == []


def test_overlong_line_is_reported() -> None:
    dsn = dsnfile.read(build_dsn(extra=("S21.G00.30.002,'" + "A" * 250 + "'",)))
    assert [a.code for a in dsn.anomalies] == ["CSL-00"]


def test_missing_s90_is_reported() -> None:
    raw = b"\n".join(line for line in build_dsn().split(b"\n") if not line.startswith(b"S90"))
    assert [a.code for a in dsnfile.read(raw).anomalies] == ["CST-90"]


def test_refusal_accepts_a_clean_file() -> None:
    assert dsnfile.refusal(build_dsn(), max_bytes=10**6) is None
