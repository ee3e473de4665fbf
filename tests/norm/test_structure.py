"""Block tree: parents, cardinality, order, S90 last with right totals."""

from __future__ import annotations

from .builder import Declaration, Employee, build_lines, line_of, render, replace
from .conftest import check, found, ids


def with_total(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return replace(lines, "S90.G00.90.001", str(len(lines)))


def test_block_outside_its_parent() -> None:
    lines = build_lines()
    # A contract line right after the establishment, with no individual open.
    at = line_of(lines, "S21.G00.11.005")
    lines.insert(at, ("S21.G00.40.001", "01012020"))
    report = check(render(with_total(lines)))
    assert (at + 1, None) in found(report, "DSNLINK-STR-01")


def test_new_occurrence_when_field_number_goes_back() -> None:
    # Two S21.G00.06 in one declaration: S21.G00.06 is 1..1.
    lines = build_lines()
    at = line_of(lines, "S21.G00.06.006")
    lines.insert(at, ("S21.G00.06.001", lines[line_of(lines, "S21.G00.06.001") - 1][1]))
    report = check(render(with_total(lines)))
    assert (at + 1, None) in found(report, "DSNLINK-STR-02")


def test_two_individuals_are_two_occurrences_not_an_error() -> None:
    employees = [Employee(), Employee(nir="2920299123456", birth="01011992")]
    report = check(render(build_lines([Declaration(employees=employees)])))
    assert report.valid, report.anomalies
    assert report.declarations[0].individuals == 2


def test_missing_mandatory_block() -> None:
    # An individual without any contract (S21.G00.40 is 1..* under S21.G00.30).
    lines = [x for x in build_lines() if not x[0].startswith(("S21.G00.40", "S21.G00.71"))]
    report = check(render(with_total(lines)))
    assert (line_of(lines, "S21.G00.30.001"), None) in found(report, "DSNLINK-STR-03")
    assert "S21.G00.40" in report.anomalies[0].message


def test_sibling_order_is_a_warning() -> None:
    lines = build_lines()
    start, end = line_of(lines, "S21.G00.50.001"), line_of(lines, "S21.G00.86.001") - 1
    versement = lines[start - 1 : end]
    contract_at = line_of(lines, "S21.G00.40.001")
    lines = lines[: start - 1] + lines[end:]
    lines[contract_at - 1 : contract_at - 1] = versement
    report = check(render(lines))
    assert ids(report) == ["DSNLINK-STR-04"]
    assert report.valid  # non-bloquant


def test_envoi_must_start_with_s10() -> None:
    lines = build_lines()
    envoi = lines[:15]
    report = check(render(lines[15:-2] + envoi + lines[-2:]))
    assert "DSNLINK-STR-07" in ids(report)


def test_s90_must_be_last() -> None:
    lines = build_lines()
    lines.append(("S21.G00.30.002", "LATE"))
    report = check(render(lines))
    assert (len(lines), None) in found(report, "DSNLINK-STR-06")


def test_s90_missing() -> None:
    report = check(render(build_lines()[:-2]))
    assert ids(report) == ["DSNLINK-STR-05"]


def test_s90_line_count_wrong() -> None:
    lines = build_lines()
    lines = replace(lines, "S90.G00.90.001", str(len(lines) - 1))
    report = check(render(lines))
    assert found(report, "DSNLINK-TOT-01") == [(len(lines) - 1, "S90.G00.90.001")]


def test_s90_declaration_count_wrong() -> None:
    lines = replace(build_lines(), "S90.G00.90.002", "2")
    report = check(render(lines))
    assert found(report, "DSNLINK-TOT-02") == [(len(lines), "S90.G00.90.002")]


def test_s90_counts_lines_from_s10_to_s90_inclusive_even_with_bad_values() -> None:
    lines = replace(build_lines(), "S21.G00.40.001", "31022020")
    report = check(render(lines))
    assert "DSNLINK-TOT-01" not in ids(report)
    assert "DSNLINK-VAL-04" in ids(report)


def test_two_declarations_in_one_envoi_break_cst11_machine_to_machine_only() -> None:
    decls = [Declaration(), Declaration()]
    data = render(build_lines(decls))
    report = check(data)
    assert found(report, "S20.G00.05.001/CST-11") == [
        (line_of(build_lines(decls), "S20.G00.05.001", 1), "S20.G00.05.001")
    ]
    assert len(report.declarations) == 2
    assert check(data, machine_to_machine=False).valid
