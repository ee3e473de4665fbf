"""The identity controls of the S89.G00.67/.87/.88/.89 blocks (`dsnlink.norm.rules.memory`), end
to end on streamed files: those blocks come after the individuals, which the validator drops once
checked, so these prove that what the individuals' recorder remembers (hashed NIR and temporary
numbers, birth years of the NIR born in 2A, 2B, 20, 96) reaches the checks at the blocks' close,
which the harness of test_controls (every block kept) cannot."""

from __future__ import annotations

from datetime import date

from dsnlink.norm.rules.memory import (
    BIRTH_YEARS,
    NIR_HASHES,
    NTT_HASHES,
    Hashes,
    record_individual,
)
from dsnlink.norm.schemas import Anomaly
from dsnlink.norm.service import validate_stream
from dsnlink.norm.tree import Env, Node
from tests.norm.builder import (
    NIR,
    Declaration,
    Employee,
    Line,
    build_lines,
    line_of,
    render,
    replace,
)

OTHER_NIR = "2920299123456"
NTT = "1732829320XY"
CORSICAN_1970 = "170022A123456"  # 2A did not exist before 1976
CORSICAN_1980 = "180022A123456"


def _totals(lines: list[Line]) -> list[Line]:
    return replace(lines, "S90.G00.90.001", str(len(lines)))


def before_totals(lines: list[Line], extra: list[Line], declaration: int = 0) -> list[Line]:
    """`extra` at the end of the n-th declaration (blocks after its individuals)."""
    starts = [i for i, (rid, _) in enumerate(lines) if rid == "S20.G00.05.001"]
    ends = [*starts[1:], line_of(lines, "S90.G00.90.001") - 1]
    at = ends[declaration]
    return _totals(lines[:at] + extra + lines[at:])


def anomalies(lines: list[Line]) -> list[Anomaly]:
    return validate_stream([render(lines)], max_anomalies=10_000).anomalies


def found(lines: list[Line], cid: str) -> list[Anomaly]:
    return [a for a in anomalies(lines) if a.id == cid]


def free_shares(nir: str | None = None, ntt: str | None = None) -> list[Line]:
    """A S89.G00.87 block (actions gratuites, acquired) naming an individual."""
    lines = [
        ("S89.G00.87.001", "02"),
        ("S89.G00.87.002", "100"),
        ("S89.G00.87.003", "10.00"),
        ("S89.G00.87.004", "1.00"),
        ("S89.G00.87.005", "01012023"),
        ("S89.G00.87.006", "01012026"),
    ]
    if nir is not None:
        lines.append(("S89.G00.87.007", nir))
    if ntt is not None:
        lines.append(("S89.G00.87.008", ntt))
    return lines


def warrants(nir: str) -> list[Line]:
    """A S89.G00.89 block (BSPCE) naming an individual."""
    return [
        ("S89.G00.89.001", "10"),
        ("S89.G00.89.002", "5.00"),
        ("S89.G00.89.003", "8.00"),
        ("S89.G00.89.004", "1.00"),
        ("S89.G00.89.005", "01012026"),
        ("S89.G00.89.006", "5"),
        ("S89.G00.89.007", nir),
    ]


def test_nir_no_individual_declares_is_reported_at_the_block() -> None:
    cid = "S89.G00.87.007/CCH-13"
    bad = before_totals(build_lines(), free_shares(OTHER_NIR))
    hits = found(bad, cid)
    assert [(a.line, a.value) for a in hits] == [(line_of(bad, "S89.G00.87.007"), OTHER_NIR)]
    good = before_totals(build_lines(), free_shares(NIR))
    assert anomalies(good) == []


def test_nir_of_the_second_individual_is_accepted() -> None:
    cid = "S89.G00.87.007/CCH-13"
    two = build_lines([Declaration(employees=[Employee(), Employee(nir=OTHER_NIR)])])
    assert not found(before_totals(two, free_shares(OTHER_NIR)), cid)
    assert not found(before_totals(two, free_shares(NIR)), cid)
    assert found(before_totals(two, free_shares("1850775123457")), cid)


def test_temporary_number_must_be_an_individuals() -> None:
    cid = "S89.G00.87.008/CCH-13"
    lines = build_lines([Declaration(employees=[Employee(), Employee(nir=None, ntt=NTT)])])
    bad = before_totals(lines, free_shares(ntt="1732829320XZ"))
    assert [a.line for a in found(bad, cid)] == [line_of(bad, "S89.G00.87.008")]
    good = before_totals(lines, free_shares(ntt=NTT))
    assert not found(good, cid)
    # A block naming the individual by its NIR has no temporary number to compare.
    assert not found(before_totals(lines, free_shares(nir=NIR)), cid)


def test_two_declarations_do_not_mix() -> None:
    """The first declaration's individual has NIR; the second's has OTHER_NIR. A block of the
    second declaration naming NIR is reported; one in the first is not."""
    cid = "S89.G00.87.007/CCH-13"
    lines = build_lines([Declaration(), Declaration(employees=[Employee(nir=OTHER_NIR)])])
    second = before_totals(lines, free_shares(NIR), declaration=1)
    assert [a.line for a in found(second, cid)] == [line_of(second, "S89.G00.87.007")]
    first = before_totals(lines, free_shares(NIR), declaration=0)
    assert not found(first, cid)
    both = before_totals(second, free_shares(OTHER_NIR), declaration=1)
    assert [a.line for a in found(both, cid)] == [line_of(both, "S89.G00.87.007")]


def test_birth_department_against_the_individuals_birth_year() -> None:
    cid = "S89.G00.89.007/CCH-11"
    born_1970 = Employee(nir=CORSICAN_1970, birth="15021970")
    lines = build_lines([Declaration(employees=[Employee(), born_1970])])
    bad = before_totals(lines, warrants(CORSICAN_1970))
    assert [a.line for a in found(bad, cid)] == [line_of(bad, "S89.G00.89.007")]
    # The same department for an individual born in 1980 is legal.
    born_1980 = Employee(nir=CORSICAN_1980, birth="15021980")
    good = build_lines([Declaration(employees=[born_1980])])
    good = before_totals(good, warrants(CORSICAN_1980))
    assert not found(good, cid)
    # No individual with this NIR: the year is unknown (S89.G00.89.007/CCH-13 reports it).
    alone = before_totals(build_lines(), warrants(CORSICAN_1970))
    assert not found(alone, cid)
    assert found(alone, "S89.G00.89.007/CCH-13")


def test_the_recorder_keeps_hashes_and_only_the_years_it_may_need() -> None:
    """What stays in memory per individual: the NIR's and temporary number's hashes (8 bytes in
    an array), and a birth year only for a NIR born in 2A, 2B, 20 or 96."""
    declaration = Node(b"S20.G00.05", 7, {})
    env = Env([declaration], nature="01", month=date(2026, 1, 1))
    for nir, born in ((NIR, b"15071985"), (CORSICAN_1980, b"15021980")):
        individual = Node(b"S21.G00.30", 20, {b"001": nir.encode(), b"006": born})
        record_individual(individual, env)
    record_individual(Node(b"S21.G00.30", 40, {b"020": NTT.encode()}), env)
    nirs, ntts = env.recalled(7, NIR_HASHES), env.recalled(7, NTT_HASHES)
    assert isinstance(nirs, Hashes) and isinstance(ntts, Hashes)
    assert sorted(nirs.hashes) == sorted([hash(NIR.encode()), hash(CORSICAN_1980.encode())])
    assert nirs.holds(NIR.encode()) and nirs.holds(CORSICAN_1980.encode())
    assert not nirs.holds(OTHER_NIR.encode()) and not nirs.holds(NTT.encode())
    assert list(ntts.hashes) == [hash(NTT.encode())] and ntts.holds(NTT.encode())
    assert env.recalled(7, BIRTH_YEARS) == {CORSICAN_1980.encode(): 1980}
    # The next declaration forgets them.
    env.stack = [Node(b"S20.G00.05", 80, {})]
    record_individual(Node(b"S21.G00.30", 90, {b"001": OTHER_NIR.encode()}), env)
    assert env.recalled(7, NIR_HASHES) == {}
    after = env.recalled(80, NIR_HASHES)
    assert isinstance(after, Hashes) and after.holds(OTHER_NIR.encode())
    assert not after.holds(NIR.encode())
