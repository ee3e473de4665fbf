"""Whole files as a payroll user writes them: each defect the deposit point would send back as a
BAN is reported, with its official id, line, rubric and value; the corrected file is valid."""

from __future__ import annotations

import pytest

from .builder import Declaration, Employee, build, build_lines, line_of, render, replace
from .conftest import check, found, ids

Line = tuple[str, str]


def insert_after(lines: list[Line], rubric: str, extra: list[Line]) -> list[Line]:
    at = line_of(lines, rubric)
    return totals(lines[:at] + extra + lines[at:])


def drop(lines: list[Line], rubric: str) -> list[Line]:
    return totals([line for line in lines if line[0] != rubric])


def totals(lines: list[Line]) -> list[Line]:
    return replace(lines, "S90.G00.90.001", str(len(lines)))


def test_the_base_file_is_valid() -> None:
    report = check(build())
    assert report.valid and report.anomalies == []


def test_contract_starting_before_birth() -> None:
    lines = replace(build_lines(), "S21.G00.40.001", "01011980")  # born 15071985
    report = check(render(lines))
    assert found(report, "S21.G00.40.001/CCH-15") == [
        (line_of(lines, "S21.G00.40.001"), "S21.G00.40.001")
    ]
    assert not report.valid
    assert report.anomalies[0].value == "01011980"
    assert "date de naissance" in report.anomalies[0].message


CDD = [("S21.G00.40.010", "30062026")]


def test_cdd_without_planned_end() -> None:
    lines = replace(build_lines(), "S21.G00.40.007", "02")
    report = check(render(lines))
    assert found(report, "S21.G00.40.010/CCH-12") == [
        (line_of(lines, "S21.G00.40.001"), "S21.G00.40.010")
    ]
    fixed = insert_after(lines, "S21.G00.40.009", CDD)
    assert check(render(fixed)).valid


def test_pay_period_ending_after_the_declared_month_is_a_warning() -> None:
    lines = replace(build_lines(), "S21.G00.51.002", "28022026")
    report = check(render(lines))
    assert found(report, "S21.G00.51.002/SIG-14") == [
        (line_of(lines, "S21.G00.51.002"), "S21.G00.51.002")
    ]
    assert report.anomalies[0].category == "non-bloquant"  # SIG: the norm's own category


BASE = [
    ("S21.G00.78.001", "03"),
    ("S21.G00.78.002", "01012026"),
    ("S21.G00.78.003", "31012026"),
    ("S21.G00.78.004", "3000.00"),
]


def test_base_assujettie_ending_before_it_starts() -> None:
    lines = insert_after(build_lines(), "S21.G00.51.013", BASE)
    assert check(render(lines)).valid
    bad = replace(lines, "S21.G00.78.002", "31012026")
    bad = replace(bad, "S21.G00.78.003", "01012026")
    report = check(render(bad))
    assert found(report, "S21.G00.78.003/CCH-12") == [
        (line_of(bad, "S21.G00.78.003"), "S21.G00.78.003")
    ]


SEPA = [
    ("S21.G00.20.001", "78861779300013"),
    ("S21.G00.20.003", "SOGEFRPP"),
    ("S21.G00.20.004", "FR7630006000011234567890189"),
    ("S21.G00.20.005", "100.00"),
    ("S21.G00.20.010", "05"),
]


def test_sepa_payment_without_iban() -> None:
    lines = insert_after(build_lines(), "S21.G00.11.005", SEPA)
    assert check(render(lines)).valid
    bad = drop(lines, "S21.G00.20.004")
    report = check(render(bad))
    assert found(report, "S21.G00.20.010/CCH-12") == [
        (line_of(bad, "S21.G00.20.010"), "S21.G00.20.010")
    ]


@pytest.mark.parametrize(
    ("rubric", "block_line_rubric"),
    [
        ("S21.G00.40.001", "S21.G00.40.002"),  # a contract with no start date
        ("S21.G00.11.001", "S21.G00.11.002"),  # an establishment with no NIC
        ("S21.G00.06.001", "S21.G00.06.002"),  # a company with no SIREN
        ("S21.G00.40.009", "S21.G00.40.001"),  # a contract with no number
    ],
)
def test_mandatory_rubric_missing(rubric: str, block_line_rubric: str) -> None:
    lines = drop(build_lines(), rubric)
    report = check(render(lines))
    assert (line_of(lines, block_line_rubric), rubric) in found(report, "DSNLINK-STR-08")
    assert not report.valid


def _fctu(extra: list[Line]) -> list[Line]:
    lines = build_lines([Declaration(nature="07", employees=[Employee()])])
    return insert_after(lines, "S21.G00.40.017", extra)


def test_fctu_end_of_contract_without_its_reason() -> None:
    good = _fctu(
        [
            ("S21.G00.62.001", "31012026"),
            ("S21.G00.62.002", "059"),  # a resignation (CDI), notified on 2 January
            ("S21.G00.62.003", "02012026"),
            ("S21.G00.63.001", "90"),
        ]
    )
    assert check(render(good)).valid, check(render(good)).anomalies
    bad = drop(good, "S21.G00.62.002")
    report = check(render(bad))
    assert (line_of(bad, "S21.G00.62.001"), "S21.G00.62.002") in found(report, "DSNLINK-STR-08")


def test_mandatory_rubric_depends_on_the_nature() -> None:
    # S21.G00.40.001 is "C" (conditional) for a signalement d'arrêt de travail (nature 04).
    lines = build_lines([Declaration(nature="04", employees=[Employee()])])
    lines = drop(lines, "S21.G00.40.001")
    assert "S21.G00.40.001" not in {
        a.rubric for a in check(render(lines)).anomalies if a.id == "DSNLINK-STR-08"
    }


# -- known defects (issue 13, part A) -------------------------------------------------------


def test_ntt_duplicate_carries_the_ntt_rule_text() -> None:
    ntt = "1732829320XX"
    report = check(
        build(
            [
                Declaration(
                    employees=[
                        Employee(nir=None, ntt=ntt, family_name="A"),
                        Employee(nir=None, ntt=ntt, family_name="B"),
                    ]
                )
            ]
        )
    )
    dup = [a for a in report.anomalies if a.id == "S21.G00.30.020/CCH-14"]
    assert len(dup) == 1
    assert "numéro technique temporaire" in dup[0].message
    assert "Numéro d'inscription au" not in dup[0].message


def test_lot_file_is_one_clear_anomaly() -> None:
    envoi = build_lines()
    lot = [("S05.G00.00.001", "LOT1"), *envoi, *envoi, ("S06.G00.00.001", "2")]
    report = check(render(lot))
    assert [(a.id, a.line) for a in report.anomalies] == [("DSNLINK-STR-09", 1)]
    assert "lot" in report.anomalies[0].message


def test_too_long_line_does_not_also_break_the_s90_total() -> None:
    lines = replace(build_lines(), "S21.G00.30.002", "D" * 250)
    report = check(render(lines))
    assert ids(report) == ["DSNLINK-FMT-01"]


def test_value_too_long_uses_the_deposit_point_code() -> None:
    lines = replace(build_lines(), "S10.G00.00.002", "HistoM-1_MtoM-7338-AR")
    report = check(render(lines))
    assert [(a.id, a.line, a.rubric) for a in report.anomalies] == [("CSL-01", 2, "S10.G00.00.002")]
    assert report.anomalies[0].message == (
        "La rubrique S10.G00.00.002 est plus longue que la longueur maximale autorisée (20)."
    )
