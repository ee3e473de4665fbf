"""The controls that relate an individual's blocks to blocks declared before or after it
(`dsnlink.norm.rules.memory`), end to end on streamed files: the validator drops each individual
once checked, so these prove that what the recorders remember reaches the scans, which the
harness of test_controls (every block kept) cannot."""

from __future__ import annotations

from dsnlink.norm.schemas import Anomaly
from dsnlink.norm.service import validate_stream
from tests.norm.builder import (
    NIC,
    SIREN,
    Declaration,
    Employee,
    Line,
    build_lines,
    line_of,
    render,
    replace,
)

OTHER_SIRET = "73282932000082"
OWN_SIRET = SIREN + NIC


def _totals(lines: list[Line]) -> list[Line]:
    return replace(lines, "S90.G00.90.001", str(len(lines)))


def insert_after(
    lines: list[Line], rubric: str, extra: list[Line], occurrence: int = 0
) -> list[Line]:
    """`extra` inserted after the n-th occurrence of `rubric`, the S90 total updated."""
    at = line_of(lines, rubric, occurrence)
    return _totals(lines[:at] + extra + lines[at:])


def before_totals(lines: list[Line], extra: list[Line], declaration: int = 0) -> list[Line]:
    """`extra` at the end of the n-th declaration (blocks after its individuals)."""
    starts = [i for i, (rid, _) in enumerate(lines) if rid == "S20.G00.05.001"]
    ends = [*starts[1:], line_of(lines, "S90.G00.90.001") - 1]
    at = ends[declaration]
    return _totals(lines[:at] + extra + lines[at:])


def found(lines: list[Line], cid: str) -> list[Anomaly]:
    report = validate_stream([render(lines)], max_anomalies=10_000)
    return [a for a in report.anomalies if a.id == cid]


def place(identifier: str, apet: bool = True) -> list[Line]:
    """A S21.G00.85 block (an establishment) identified by `identifier`."""
    lines = [("S21.G00.85.001", identifier)]
    if apet:
        lines.append(("S21.G00.85.002", "6201Z"))
    return [
        *lines,
        ("S21.G00.85.003", "2 RUE DU PORT"),
        ("S21.G00.85.004", "44000"),
        ("S21.G00.85.005", "NANTES"),
        ("S21.G00.85.010", "01"),
        ("S21.G00.85.011", "44109"),
    ]


def with_contract_rubric(lines: list[Line], rubric: str, value: str, n: int = 0) -> list[Line]:
    """The n-th contract with `rubric` (placed after its S21.G00.40.017)."""
    return insert_after(lines, "S21.G00.40.017", [(rubric, value)], n)


# -- S21.G00.85 for the places the contracts name -------------------------------------------------


def test_workplace_without_its_block_is_reported_at_the_contract() -> None:
    cid = "S21.G00.40.019/CCH-11"
    bad = with_contract_rubric(build_lines(), "S21.G00.40.019", OTHER_SIRET)
    hits = found(bad, cid)
    assert [(a.line, a.value) for a in hits] == [(line_of(bad, "S21.G00.40.019"), OTHER_SIRET)]
    assert not found(before_totals(bad, place(OTHER_SIRET)), cid)
    # The establishment's own SIRET needs no S21.G00.85 block.
    assert not found(with_contract_rubric(build_lines(), "S21.G00.40.019", OWN_SIRET), cid)


def test_workplace_named_by_two_individuals_is_reported_once() -> None:
    cid = "S21.G00.40.019/CCH-11"
    lines = build_lines([Declaration(employees=[Employee(), Employee(nir="2920299123456")])])
    lines = with_contract_rubric(lines, "S21.G00.40.019", OTHER_SIRET, 0)
    lines = with_contract_rubric(lines, "S21.G00.40.019", OTHER_SIRET, 1)
    hits = found(lines, cid)
    assert [a.line for a in hits] == [line_of(lines, "S21.G00.40.019", 0)]
    assert not found(before_totals(lines, place(OTHER_SIRET)), cid)


def test_a_declaration_does_not_see_the_places_of_another() -> None:
    """Two declarations: the first declares the place its contract names; the second names it
    too but declares no S21.G00.85, so only the second is reported."""
    cid = "S21.G00.40.019/CCH-11"
    lines = build_lines([Declaration(), Declaration()])
    lines = with_contract_rubric(lines, "S21.G00.40.019", OTHER_SIRET, 0)
    lines = with_contract_rubric(lines, "S21.G00.40.019", OTHER_SIRET, 1)
    lines = before_totals(lines, place(OTHER_SIRET), declaration=0)
    assert [a.line for a in found(lines, cid)] == [line_of(lines, "S21.G00.40.019", 1)]
    both = before_totals(lines, place(OTHER_SIRET), declaration=1)
    assert not found(both, cid)


def test_user_establishment_without_its_block_is_reported_at_the_contract() -> None:
    cid = "S21.G00.40.046/CCH-13"
    bad = with_contract_rubric(build_lines(), "S21.G00.40.046", OTHER_SIRET)
    hits = found(bad, cid)
    assert [(a.line, a.value) for a in hits] == [(line_of(bad, "S21.G00.40.046"), OTHER_SIRET)]
    assert not found(before_totals(bad, place(OTHER_SIRET)), cid)


def test_user_establishment_block_needs_its_apet() -> None:
    cid = "S21.G00.85.002/CCH-12"
    lines = with_contract_rubric(build_lines(), "S21.G00.40.046", OTHER_SIRET)
    bad = before_totals(lines, place(OTHER_SIRET, apet=False))
    assert [a.line for a in found(bad, cid)] == [line_of(bad, "S21.G00.85.001")]
    assert not found(before_totals(lines, place(OTHER_SIRET)), cid)
    # A workplace (S21.G00.40.019) that is not a user establishment needs no APET here.
    workplace = with_contract_rubric(build_lines(), "S21.G00.40.019", OTHER_SIRET)
    assert not found(before_totals(workplace, place(OTHER_SIRET, apet=False)), cid)


# -- establishment blocks before the individuals --------------------------------------------------

ADHESION = [
    ("S21.G00.15.001", "PREV2026"),
    ("S21.G00.15.002", "P0942"),
    ("S21.G00.15.004", "01"),
    ("S21.G00.15.005", "1"),
]
AFFILIATION = [
    ("S21.G00.70.004", "OPT1"),
    ("S21.G00.70.005", "POP1"),
    ("S21.G00.70.012", "1"),
    ("S21.G00.70.013", "1"),
]


def test_adhesion_with_staff_covered_must_be_named_by_an_affiliation() -> None:
    cid = "S21.G00.15.001/CCH-13"
    lines = insert_after(build_lines(), "S21.G00.11.005", ADHESION)
    assert [a.line for a in found(lines, cid)] == [line_of(lines, "S21.G00.15.001")]
    named = insert_after(lines, "S21.G00.40.017", AFFILIATION)
    assert not found(named, cid)
    other = insert_after(lines, "S21.G00.40.017", replace(AFFILIATION, "S21.G00.70.013", "2"))
    assert found(other, cid)
    # Named by the second individual only.
    two = build_lines([Declaration(employees=[Employee(), Employee(nir="2920299123456")])])
    two = insert_after(two, "S21.G00.11.005", ADHESION)
    assert found(two, cid)
    assert not found(insert_after(two, "S21.G00.40.017", AFFILIATION, 1), cid)
    # A temporary-work agency is exempt.
    agency = replace(lines, "S21.G00.11.002", "7820Z")
    assert not found(agency, cid)


PAYMENT = [
    ("S21.G00.20.001", "CNIEG"),
    ("S21.G00.20.002", "CNIEG_COT_RS"),
    ("S21.G00.20.005", "100.00"),
    ("S21.G00.20.006", "01012026"),
    ("S21.G00.20.007", "31012026"),
    ("S21.G00.20.010", "05"),
]
SLIP = [
    ("S21.G00.22.001", "CNIEG"),
    ("S21.G00.22.002", "CNIEG_COT_POOL"),
    ("S21.G00.22.003", "01012026"),
    ("S21.G00.22.004", "31012026"),
    ("S21.G00.22.005", "100.00"),
]


def test_cnieg_payment_needs_a_contract_under_regime_147() -> None:
    for cid, block, rubric in (
        ("S21.G00.20.002/CCH-12", PAYMENT, "S21.G00.20.002"),
        ("S21.G00.22.002/CCH-13", SLIP, "S21.G00.22.002"),
    ):
        two = build_lines([Declaration(employees=[Employee(), Employee(nir="2920299123456")])])
        lines = insert_after(two, "S21.G00.11.005", block)
        assert [a.line for a in found(lines, cid)] == [line_of(lines, rubric)], cid
        assert found(with_contract_rubric(lines, "S21.G00.40.020", "200", 1), cid), cid
        assert not found(with_contract_rubric(lines, "S21.G00.40.020", "147", 1), cid), cid
        other = insert_after(two, "S21.G00.11.005", replace(block, rubric, "URSSAF"))
        assert not found(other, cid), cid


# -- amorçage (08): an individual and a non-salaried one ------------------------------------------

NON_SALARIED = [
    ("S89.G00.91.001", "2920299123456"),
    ("S89.G00.91.002", "MARTIN"),
    ("S89.G00.91.004", "ANNE"),
    ("S89.G00.91.006", "15021992"),
]


def test_seeding_with_an_individual_and_a_non_salaried_one() -> None:
    cid = "S21.G00.30.001/CCH-15"
    seeding = build_lines([Declaration(nature="08")])
    bad = before_totals(seeding, NON_SALARIED)
    assert [(a.line, a.value) for a in found(bad, cid)] == [
        (line_of(bad, "S21.G00.30.001"), "1850775123456")
    ]
    assert not found(seeding, cid)
    monthly = before_totals(build_lines(), NON_SALARIED)
    assert not found(monthly, cid)


def test_seeding_with_a_temporary_number_and_a_non_salaried_one() -> None:
    cid = "S21.G00.30.020/CCH-15"
    employee = Employee(nir=None, ntt="1732829320XY")
    seeding = build_lines([Declaration(nature="08", employees=[employee])])
    bad = before_totals(seeding, NON_SALARIED)
    assert [a.line for a in found(bad, cid)] == [line_of(bad, "S21.G00.30.020")]
    assert not found(bad, "S21.G00.30.001/CCH-15")
    assert not found(seeding, cid)
