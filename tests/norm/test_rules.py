"""Offline consistency rules: SIREN/SIRET keys, NIR rules, declaration rules, norm version."""

from __future__ import annotations

import pytest

from .builder import Declaration, Employee, build, build_lines, line_of, render, replace
from .conftest import check, found, ids

LA_POSTE = "356000000"
REPLACED = "050120261"  # id of a declaration: DDMMYYYY + sequence


def one(employees: list[Employee], **decl: str) -> list[str]:
    return ids(check(build([Declaration(employees=employees, **decl)])))


# -- keys ------------------------------------------------------------------------------------


def test_siren_with_a_bad_key() -> None:
    lines = replace(build_lines(), "S21.G00.06.001", "732829321")
    report = check(render(lines))
    assert found(report, "S21.G00.06.001/CSL-11") == [
        (line_of(lines, "S21.G00.06.001"), "S21.G00.06.001")
    ]
    assert report.anomalies[0].message == "Le SIREN de l'entreprise ne respecte pas la clé SIREN."


def test_emitter_siren_and_nic_keys() -> None:
    lines = replace(build_lines(), "S10.G00.01.002", "00075")
    assert ids(check(render(lines))) == ["S10.G00.01.002/CCH-11"]
    lines = replace(build_lines(), "S10.G00.01.001", "123456789")
    assert ids(check(render(lines))) == ["S10.G00.01.001/CSL-11"]


def test_nic_checked_with_the_siren_of_its_context() -> None:
    lines = replace(build_lines(), "S21.G00.11.001", "00075")
    report = check(render(lines))
    assert found(report, "S21.G00.11.001/CSL-12") == [
        (line_of(lines, "S21.G00.11.001"), "S21.G00.11.001")
    ]
    lines = replace(build_lines(), "S21.G00.06.002", "00075")
    assert ids(check(render(lines))) == ["S21.G00.06.002/CSL-11"]


def test_la_poste_sirets_use_the_digit_sum_rule() -> None:
    # 35600000049837: Luhn-invalid, digit sum 45 (a multiple of 5): valid for La Poste.
    report = check(build([Declaration(siren=LA_POSTE, nic="49837")]))
    assert report.valid, report.anomalies
    # Digit sum 46: invalid.
    report = check(build([Declaration(siren=LA_POSTE, nic="49838")]))
    assert "S21.G00.11.001/CSL-12" in ids(report)
    # The head office 35600000000048 follows Luhn.
    assert check(build([Declaration(siren=LA_POSTE, nic="00048")])).valid


# -- NIR ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nir", "birth", "expected"),
    [
        ("170012A123456", "01011970", "S21.G00.30.001/CCH-11"),  # 2A before 1976
        ("1800120123456", "01011980", "S21.G00.30.001/CCH-11"),  # 20 from 1976
        ("1700196123456", "01011970", "S21.G00.30.001/CCH-11"),  # 96 from 1968
        ("1999999999999", "01011999", "S21.G00.30.001/CCH-13"),
        ("2999999999999", "01011999", "S21.G00.30.001/CCH-13"),
        ("1850775999999", "15071985", "S21.G00.30.001/CCH-16"),  # six trailing 9s
        ("1860775123456", "15071985", "S21.G00.30.006/CCH-11"),  # NIR year 86, born 1985
        ("1050775123456", "15071905", "S21.G00.30.006/CCH-12"),  # 121 years old in 2026
        ("1060775123456", "15071906", "S21.G00.30.006/CCH-12"),  # year 2026 - 120: too old
        ("1270775123456", "15072027", "S21.G00.30.006/CCH-12"),  # born after the declared year
    ],
)
def test_nir_rules(nir: str, birth: str, expected: str) -> None:
    assert expected in one([Employee(nir=nir, birth=birth)])


@pytest.mark.parametrize(
    ("nir", "birth"),
    [
        ("180012A123456", "01011980"),  # 2A from 1976
        ("1700120123456", "01011970"),  # 20 before 1976
        ("1650196123456", "01011965"),  # 96 before 1968
        ("1850775199999", "15071985"),  # five trailing 9s
        ("1070775123456", "15071907"),  # born in 2026 - 119: the oldest allowed
    ],
)
def test_nir_rules_pass(nir: str, birth: str) -> None:
    assert one([Employee(nir=nir, birth=birth)]) == []


def test_duplicate_nir_in_one_declaration() -> None:
    lines = build_lines([Declaration(employees=[Employee(), Employee()])])
    report = check(render(lines))
    assert found(report, "S21.G00.30.001/CCH-14") == [
        (line_of(lines, "S21.G00.30.001", 1), "S21.G00.30.001")
    ]


def test_individual_without_nir_needs_a_temporary_number() -> None:
    assert "S21.G00.30.020/CCH-12" in one([Employee(nir=None)])
    assert one([Employee(nir=None, ntt="1732829320001")]) == []


@pytest.mark.parametrize(
    ("ntt", "expected"),
    [
        ("3732829320001", "S21.G00.30.020/CSL-11"),
        ("1732829 20001", "S21.G00.30.020/CSL-12"),
        ("1123456780001", "S21.G00.30.020/CCH-13"),
    ],
)
def test_temporary_number_rules(ntt: str, expected: str) -> None:
    assert expected in one([Employee(nir=None, ntt=ntt)])


def test_duplicate_temporary_number() -> None:
    ntt = "1732829320001"
    assert "S21.G00.30.020/CCH-14" in one([Employee(nir=None, ntt=ntt)] * 2)


# -- declaration rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decl", "expected"),
    [
        ({"nature": "01", "type": "04", "replaced_id": REPLACED}, "S20.G00.05.002/CCH-13"),
        ({"nature": "04", "type": "02"}, "S20.G00.05.002/CCH-14"),
        ({"nature": "08", "type": "03", "replaced_id": REPLACED}, "S20.G00.05.002/CCH-15"),
        ({"nature": "04", "fraction": "12"}, "S20.G00.05.003/CCH-11"),
        ({"nature": "10", "fraction": "12"}, "S20.G00.05.003/CCH-11"),  # DPAE, P26V01
        ({"type": "01", "replaced_id": REPLACED}, "S20.G00.05.006/CCH-12"),
    ],
)
def test_declaration_rules(decl: dict[str, str], expected: str) -> None:
    assert expected in ids(check(build([Declaration(**decl)])))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "decl",
    [
        {"nature": "07", "type": "04", "replaced_id": REPLACED},
        {"nature": "01", "type": "03", "replaced_id": REPLACED},
        {"nature": "01", "fraction": "12"},
        {"nature": "04", "fraction": "11"},
    ],
)
def test_declaration_rules_pass(decl: dict[str, str]) -> None:
    assert ids(check(build([Declaration(**decl)]))) == []  # type: ignore[arg-type]


def test_normal_declaration_needs_an_individual() -> None:
    report = check(build([Declaration(type="01", employees=[])]))
    assert "S20.G00.05.002/CCH-16" in ids(report)


def test_amorcage_needs_exactly_one_individual() -> None:
    two = [Employee(), Employee(nir="2920299123456", birth="01011992")]
    assert "S20.G00.05.001/CCH-11" in ids(check(build([Declaration(nature="08",
                                                                   employees=two)])))
    assert ids(check(build([Declaration(nature="08")]))) == []


def test_envoi_neant_iff_every_declaration_is_monthly_without_individual() -> None:
    empty = Declaration(type="02", employees=[])
    assert check(build([empty])).valid  # builder sets S10.G00.00.008 = 02
    report = check(build([empty], envoi_type="01"))
    assert ids(report) == ["S10.G00.00.008/CCH-11"]
    assert report.anomalies[0].line == 7
    assert ids(check(build([Declaration()], envoi_type="02"))) == ["S10.G00.00.008/CCH-11"]


# -- norm version ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "month"),
    [("P24V01", "01062024"), ("P25V01", "01122025"), ("P26V01", "01012026")],
)
def test_norm_in_force_for_the_month(version: str, month: str) -> None:
    report = check(build([Declaration(month=month)], version=version))
    assert report.valid, report.anomalies
    assert report.norm_version == version


@pytest.mark.parametrize(
    ("version", "month"),
    [("P25V01", "01012026"), ("P26V01", "01122025"), ("P24V01", "01012023")],
)
def test_norm_not_in_force_for_the_month(version: str, month: str) -> None:
    lines = build_lines([Declaration(month=month)], version=version)
    report = check(render(lines))
    assert found(report, "DSNLINK-NORM-01") == [
        (line_of(lines, "S20.G00.05.005"), "S20.G00.05.005")
    ]


def test_norm_not_installed_is_one_clear_anomaly() -> None:
    report = check(build(version="P23V01"))
    assert [(a.id, a.line, a.rubric) for a in report.anomalies] == [
        ("DSNLINK-NORM-03", 5, "S10.G00.00.006")
    ]
    assert "dsnlink norm import" in report.anomalies[0].message
    assert report.norm_version == "P23V01"
    assert report.declarations[0].siren == "732829320"  # the gateway can still identify it


def test_malformed_norm_version() -> None:
    report = check(build(version="V26P01"))
    assert found(report, "DSNLINK-NORM-02") == [(5, "S10.G00.00.006")]


def _insert_after(lines: list[tuple[str, str]], rubric: str, extra: list[tuple[str, str]]
                  ) -> list[tuple[str, str]]:
    at = line_of(lines, rubric)
    lines = lines[:at] + extra + lines[at:]
    return replace(lines, "S90.G00.90.001", str(len(lines)))


@pytest.mark.parametrize(
    ("iban", "valid"),
    [("FR7630006000011234567890189", True), ("FR7630006000011234567890188", False)],
)
def test_iban_key(iban: str, valid: bool) -> None:
    lines = _insert_after(build_lines(), "S21.G00.11.005", [
        ("S21.G00.12.002", "AGRIFRPP"), ("S21.G00.12.003", iban),
    ])
    report = check(render(lines))
    assert report.valid is valid
    if not valid:
        assert found(report, "S21.G00.12.003/CSL-11") == [
            (line_of(lines, "S21.G00.12.003"), "S21.G00.12.003")
        ]


@pytest.mark.parametrize(
    ("siret", "expected"),
    [
        ("73282932000074", []),
        ("35600000049837", []),  # La Poste
        ("73282932000075", ["S21.G00.45.001/CSL-12"]),
        ("73282932100074", ["S21.G00.45.001/CSL-11", "S21.G00.45.001/CSL-12"]),
    ],
)
def test_siret_key_of_a_previous_contract(siret: str, expected: list[str]) -> None:
    lines = _insert_after(build_lines(), "S21.G00.40.017", [
        ("S21.G00.45.001", siret), ("S21.G00.45.002", "C0000"),
    ])
    assert ids(check(render(lines))) == expected


@pytest.mark.parametrize(
    ("iban", "expected"),
    [
        ("FR7630006000011234567890189", []),
        ("FR5430006000011234567890100", ["S21.G00.12.003/CSL-12"]),  # IBAN key right, RIB wrong
        ("DE89370400440532013000", []),  # another country's BBAN: not checked
    ],
)
def test_french_bban_key(iban: str, expected: list[str]) -> None:
    lines = _insert_after(build_lines(), "S21.G00.11.005", [
        ("S21.G00.12.002", "AGRIFRPP"), ("S21.G00.12.003", iban),
    ])
    assert ids(check(render(lines))) == expected
