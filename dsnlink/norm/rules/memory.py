"""Controls that relate an individual's blocks to blocks declared before or after it in the
declaration: workplaces and user establishments (S21.G00.85) named by the contracts, adhesions
(S21.G00.15) and payments (S21.G00.20, .22) against what the individuals declare, the
individual of an amorçage (08) against a non-salaried one (S89.G00.91), the individual a
S89.G00.67/.87/.88/.89 block names (its NIR or temporary number, its birth year).

The validator drops each individual once it is checked (memory stays bounded), so a control
whose other side comes later in the file is written as two rules under its id: a check, run at
the close of the id's own block (the registry runs a check there), that records what is needed
in the validation's `Env` (`remember`: value -> line first seen, bounded by one declaration's
distinct values) and never fires; and a scan, run at the close of the block that completes the
picture (the establishment, the declaration), that compares with what was recorded and yields
the offending block (a small node standing for a dropped one, at the line recorded). The ids
whose own block closes before the individuals (S21.G00.15, .20, .22), or whose id names no
individual rubric (S89.G00.67/.87/.88/.89, checked at their own block's close, after the
individuals), rely on the individuals' recorder (`record_individual`, the check of
S21.G00.30.001/CCH-15), and do not conclude when it did not run. Where nothing was recorded
(the unit-test harness, which keeps every block and runs an id's scan), the scans and checks
read the declaration's kept blocks instead.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterator

from dsnlink.norm.rules.scans import Scan
from dsnlink.norm.rules.templates import INDIVIDUAL, NEEDS, Check, with_needs
from dsnlink.norm.tree import Env, Node

DECLARATION = b"S20.G00.05"
COMPANY = b"S21.G00.06"
ESTABLISHMENT = b"S21.G00.11"
ADHESION = b"S21.G00.15"
PAYMENT = b"S21.G00.20"
SLIP = b"S21.G00.22"
CONTRACT = b"S21.G00.40"
AFFILIATION = b"S21.G00.70"
WORKPLACE = b"S21.G00.85"
NON_SALARIED = b"S89.G00.91"
RECORDED = b"recorded"  # the key that says the individuals' recorder ran for a declaration
CNIEG = frozenset({b"CNIEG_COT_RS", b"CNIEG_COT_POOL", b"CNIEG_COT_RDC"})


def _children(node: Node, block: bytes) -> list[Node]:
    return [c for c in node.children or () if c.block == block]


def _kept(declaration: Node, path: tuple[bytes, ...]) -> Iterator[Node]:
    """Blocks kept under the declaration along `path` (company, establishment, …), walked
    without indexing it: the declaration may still be open."""
    level = [declaration]
    for block in path:
        level = [c for node in level for c in _children(node, block)]
    return iter(level)


INDIVIDUALS = (COMPANY, ESTABLISHMENT, INDIVIDUAL)
CONTRACTS = (*INDIVIDUALS, CONTRACT)


def _recorder(rubric: str, natures: frozenset[str] | None = None) -> Check:
    """Remember each value of `rubric` (at its block's close) for the open declaration, with the
    line of the rubric; never reports."""
    fld, key = rubric[11:].encode(), rubric.encode()

    def record(n: Node, e: Env) -> bool:
        v = n.values.get(fld)
        if v is None or (natures is not None and e.nature not in natures):
            return False
        declaration = e.ancestor(DECLARATION)
        if declaration is not None:
            e.remember(declaration.line, key, v, n.line_of(rubric[11:]))
        return False

    return with_needs(record, rubric)


# -- S21.G00.85 blocks for the places the contracts name ------------------------------------------


def _own_siret(declaration: Node, e: Env) -> bytes | None:
    """The SIRET of the declaration's establishment (S21.G00.06.001 + S21.G00.11.001)."""
    companies = list(_kept(declaration, (COMPANY,)))
    siren = companies[0].values.get(b"001") if companies else None
    if siren is None and e.siren is not None:
        siren = e.siren.encode("latin-1")
    nic = next((c.values.get(b"001") for c in _kept(declaration, (COMPANY, ESTABLISHMENT))), None)
    return None if siren is None or nic is None else siren + nic


def place_declared(rubric: str, *, other_than_establishment: bool) -> Scan:
    """S21.G00.40.019/CCH-11, S21.G00.40.046/CCH-13: each value of `rubric` a contract of the
    declaration names (other than the establishment's own SIRET, when so stated) is the
    identifier (S21.G00.85.001) of a S21.G00.85 block of the declaration. Checked at the
    declaration's close (the S21.G00.85 blocks come after every individual); one report per
    distinct value missing, at the first contract naming it."""
    fld, key = rubric[11:].encode(), rubric.encode()

    def scan(n: Node, e: Env) -> Iterator[Node]:
        declared = {w.values.get(b"001") for w in _children(n, WORKPLACE)}
        own = _own_siret(n, e) if other_than_establishment else None
        recalled = e.recalled(n.line, key)
        for v, line in recalled.items():
            if v not in declared and v != own:
                yield Node(CONTRACT, line, {fld: v})
        for contract in _kept(n, CONTRACTS):
            kept = contract.values.get(fld)
            if kept is not None and kept not in declared and kept != own and kept not in recalled:
                yield contract

    return scan


def user_establishment_has_apet(n: Node, e: Env) -> bool:
    """S21.G00.85.002/CCH-12: a S21.G00.85 whose identifier is a user establishment a contract
    of the declaration names (S21.G00.40.046, remembered by S21.G00.40.046/CCH-13's recorder)
    carries its APET code (S21.G00.85.002)."""
    v = n.values.get(b"001")
    declaration = e.ancestor(DECLARATION)
    if b"002" in n.values or v is None or declaration is None:
        return False
    return v in e.recalled(declaration.line, b"S21.G00.40.046") or any(
        c.values.get(b"046") == v for c in _kept(declaration, CONTRACTS)
    )


NEEDS[user_establishment_has_apet] = ("S21.G00.85.001",)


# -- establishment blocks against what the individuals declare ------------------------------------


def _declaration_line(e: Env) -> int | None:
    declaration = e.ancestor(DECLARATION)
    return None if declaration is None else declaration.line


def _not_recorded(establishment: Node, e: Env, line: int | None) -> bool:
    """The establishment's individuals were dropped (streamed) but the individuals' recorder
    did not run for them (S21.G00.30.001/CCH-15 not run in this norm version): what they
    declared is unknown, so the scan does not conclude."""
    counted = (establishment.counts or {}).get(INDIVIDUAL, 0)
    kept = any(c.block == INDIVIDUAL for c in establishment.children or ())
    return bool(counted) and not kept and (line is None or not e.recalled(line, RECORDED))


def adhesion_referenced(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.15.001/CCH-13: an adhesion with staff covered (S21.G00.15.004 = 01) is named
    (S21.G00.70.013 = its S21.G00.15.005) by an affiliation of the declaration, unless the
    establishment is a temporary-work agency (S21.G00.11.002 = 7820Z). Checked at the
    establishment's close (one per declaration, after its individuals). An adhesion without a
    technical id (S21.G00.15.005) is left to the control that requires it."""
    line = _declaration_line(e)
    if n.values.get(b"002") == b"7820Z" or _not_recorded(n, e, line):
        return
    named: set[bytes | None] = set(e.recalled(line, b"S21.G00.70.013") if line is not None else ())
    named.update(a.values.get(b"013") for a in n.descendants(AFFILIATION))
    for adhesion in _children(n, ADHESION):
        ident = adhesion.values.get(b"005")
        if adhesion.values.get(b"004") == b"01" and ident is not None and ident not in named:
            yield adhesion


def cnieg_needs_regime_147(block: bytes) -> Scan:
    """S21.G00.20.002/CCH-12, S21.G00.22.002/CCH-13: a payment (20) or slip (22) to the CNIEG
    (S21.G00.xx.002 = CNIEG_COT_RS, _POOL, _RDC) calls for a contract of the declaration under
    the old-age regime 147 (S21.G00.40.020). Checked at the establishment's close."""

    def scan(n: Node, e: Env) -> Iterator[Node]:
        flagged = [c for c in _children(n, block) if c.values.get(b"002") in CNIEG]
        if not flagged:
            return
        line = _declaration_line(e)
        if _not_recorded(n, e, line):
            return
        if line is not None and e.recalled(line, b"S21.G00.40.020"):
            return
        if any(c.values.get(b"020") == b"147" for c in n.descendants(CONTRACT)):
            return
        yield from flagged

    return scan


def _has_child(node: Node, block: bytes) -> bool:
    """Kept, or counted when the tree drops it (individuals, S89.G00.91)."""
    if node.counts is not None and node.counts.get(block, 0) > 0:
        return True
    return any(c.block == block for c in node.children or ())


# -- amorçage (08): an individual and a non-salaried one ------------------------------------------


def seeding_with_non_salaried(rubric: str) -> Scan:
    """S21.G00.30.001/CCH-15, S21.G00.30.020/CCH-15: in an amorçage (08), an individual with
    `rubric` (NIR, temporary number) forbids a S89.G00.91 block. Checked at the declaration's
    close (the S89.G00.91 blocks come after the individuals); reported at each individual's
    rubric (one per distinct value)."""
    fld, key = rubric[11:].encode(), rubric.encode()

    def scan(n: Node, e: Env) -> Iterator[Node]:
        if e.nature != "08" or not _has_child(n, NON_SALARIED):
            return
        recalled = e.recalled(n.line, key)
        for v, line in recalled.items():
            yield Node(INDIVIDUAL, line, {fld: v})
        for individual in _kept(n, INDIVIDUALS):
            kept = individual.values.get(fld)
            if kept is not None and kept not in recalled:
                yield individual

    return scan


SEEDING = frozenset({"08"})


def record_individual(n: Node, e: Env) -> bool:
    """At each individual's close: what the establishment's controls compare with (the adhesion
    ids its affiliations name, S21.G00.70.013; whether a contract is under the old-age regime
    147, S21.G00.40.020), in an amorçage (08) its NIR (S21.G00.30.001) with its line, and what
    the S89 identity controls compare with (`_record_identity`). Never reports. It also marks
    the declaration as recorded: a scan that finds individuals counted but nothing recorded (the
    recorder not run) does not conclude."""
    declaration = e.ancestor(DECLARATION)
    if declaration is None:
        return False
    line = declaration.line
    e.remember(line, RECORDED, b"1", n.line)
    for affiliation in n.descendants(AFFILIATION):
        ident = affiliation.values.get(b"013")
        if ident is not None:
            e.remember(line, b"S21.G00.70.013", ident, affiliation.line_of("013"))
    for contract in n.descendants(CONTRACT):
        if contract.values.get(b"020") == b"147":
            e.remember(line, b"S21.G00.40.020", b"147", contract.line_of("020"))
            break
    nir = n.values.get(b"001")
    if nir is not None and e.nature in SEEDING:
        e.remember(line, b"S21.G00.30.001", nir, n.line_of("001"))
    _record_identity(n, e, line, nir)
    return False


# -- S89.G00.67/.87/.88/.89: the individual a block concerns --------------------------------------

# These blocks come after the individuals, which are dropped once checked, so the individuals'
# recorder (`record_individual`) keeps, per declaration, the Python `hash()` of their NIR
# (S21.G00.30.001) and temporary number (S21.G00.30.020), not the values: 8 bytes each in an
# array (with 100,000 individuals, under 1 MB; a dict entry per value would take ten times that).
# Two numbers with the same hash would make an undeclared one look declared: a collision can only
# hide an anomaly, never invent one. The birth year (S21.G00.30.006) is kept only for a NIR born
# in 2A, 2B, 20 or 96, the only departments the birth-department rule can reject (NIR -> year,
# where other keys hold a line).
NIR_HASHES = b"#S21.G00.30.001"
NTT_HASHES = b"#S21.G00.30.020"
BIRTH_YEARS = b"#S21.G00.30.006"
DATED_DEPARTMENTS = frozenset({b"2A", b"2B", b"20", b"96"})


class Hashes(dict[bytes, int]):
    """The hashes of the numbers an `Env` remembers for one declaration under one key: a dict
    (empty) so that `Env.seen_at` holds it and forgets it with the declaration, the hashes in a
    compact array, sorted on the first look-up after a change (the blocks that look come after
    every individual of the declaration: one sort)."""

    __slots__ = ("hashes", "ordered")

    def __init__(self) -> None:
        super().__init__()
        self.hashes = array("q")
        self.ordered = True

    def add(self, value: bytes) -> None:
        self.hashes.append(hash(value))
        self.ordered = False

    def holds(self, value: bytes) -> bool:
        if not self.ordered:
            self.hashes = array("q", sorted(self.hashes))
            self.ordered = True
        h, hashes = hash(value), self.hashes
        at = bisect_left(hashes, h)
        return at < len(hashes) and hashes[at] == h


def _add_hash(e: Env, line: int, key: bytes, value: bytes) -> None:
    """Remember `value` (its hash) under `key` for the declaration at `line`, which has just
    recorded (`Env.remember`): the store is put in `Env.seen_at`, so it is forgotten with it."""
    if e.seen_in != line:
        return
    store = e.seen_at.get(key)
    if not isinstance(store, Hashes):
        store = e.seen_at[key] = Hashes()
    store.add(value)


def _birth_year(born: bytes | None) -> int | None:
    if born is None or len(born) != 8 or not born[4:].isdigit():
        return None
    return int(born[4:])


def _record_identity(n: Node, e: Env, line: int, nir: bytes | None) -> None:
    """Remember the individual's NIR and temporary number (hashed), and its birth year when its
    NIR's department is one the birth-department rule can reject."""
    if nir is not None:
        _add_hash(e, line, NIR_HASHES, nir)
        if len(nir) == 13 and nir[5:7] in DATED_DEPARTMENTS:
            year = _birth_year(n.values.get(b"006"))
            if year is not None:
                e.remember(line, BIRTH_YEARS, nir, year)
    ntt = n.values.get(b"020")
    if ntt is not None:
        _add_hash(e, line, NTT_HASHES, ntt)


def _individuals_unknown(declaration: Node, e: Env) -> bool:
    """The declaration's individuals were dropped (streamed) but the individuals' recorder did
    not run for them: what they declared is unknown, so the identity checks do not conclude."""
    if e.recalled(declaration.line, RECORDED):
        return False
    return any(
        (establishment.counts or {}).get(INDIVIDUAL, 0) and not _children(establishment, INDIVIDUAL)
        for establishment in _kept(declaration, (COMPANY, ESTABLISHMENT))
    )


def declared_by_an_individual(rubric: str, individual: str) -> Check:
    """S89.G00.67.001/CCH-13, S89.G00.67.002/CCH-12, S89.G00.87.007/CCH-13, .008/CCH-13,
    S89.G00.88.008/CCH-13, .009/CCH-13, S89.G00.89.007/CCH-13, .008/CCH-13: the NIR (temporary
    number) `rubric` of the block, when present, is the one an individual of the declaration
    declares in `individual` (S21.G00.30.001, .020). Checked at the block's close, after the
    individuals (remembered, or kept where nothing was: the unit-test harness)."""
    fld, own = rubric[11:].encode(), individual[11:].encode()
    key = NIR_HASHES if own == b"001" else NTT_HASHES

    def check(n: Node, e: Env) -> bool:
        v = n.values.get(fld)
        declaration = e.ancestor(DECLARATION)
        if v is None or declaration is None or _individuals_unknown(declaration, e):
            return False
        store = e.recalled(declaration.line, key)
        if isinstance(store, Hashes) and store.holds(v):
            return False
        return not any(i.values.get(own) == v for i in _kept(declaration, INDIVIDUALS))

    return with_needs(check, rubric)


def _department_rejected(nir: bytes, year: int) -> bool:
    dept = nir[5:7]
    return (
        (dept in (b"2A", b"2B") and year < 1976)
        or (dept == b"20" and year >= 1976)
        or (dept == b"96" and year >= 1968)
    )


def department_vs_individual_birth_year(rubric: str) -> Check:
    """S89.G00.67.001/CCH-11, S89.G00.87.007/CCH-11, S89.G00.88.008/CCH-11,
    S89.G00.89.007/CCH-11: the birth department of a 13-character NIR `rubric` (positions 6-7)
    is 2A/2B only from 1976, 20 only before 1976, 96 only before 1968. The block has no birth
    date: the year is that of the birth date (S21.G00.30.006) of the declaration's individual
    with this NIR; with none, the rule does not conclude (S89.G00.xx/CCH-13 reports it)."""
    fld = rubric[11:].encode()

    def check(n: Node, e: Env) -> bool:
        nir = n.values.get(fld)
        declaration = e.ancestor(DECLARATION)
        if nir is None or len(nir) != 13 or nir[5:7] not in DATED_DEPARTMENTS:
            return False
        if declaration is None:
            return False
        year = e.recalled(declaration.line, BIRTH_YEARS).get(nir)
        if year is None:
            born = (
                i.values.get(b"006")
                for i in _kept(declaration, INDIVIDUALS)
                if i.values.get(b"001") == nir
            )
            year = next((y for y in map(_birth_year, born) if y is not None), None)
        return year is not None and _department_rejected(nir, year)

    return with_needs(check, rubric)


_cnieg_20 = cnieg_needs_regime_147(PAYMENT)
_cnieg_22 = cnieg_needs_regime_147(SLIP)
_seeding_nir = seeding_with_non_salaried("S21.G00.30.001")
_seeding_ntt = seeding_with_non_salaried("S21.G00.30.020")

# Checks run at the close of the id's own block: the recorders (they never report), and the
# S21.G00.85.002/CCH-12 control, whose other side (the contracts) came before.
CHECKS: dict[str, Check] = {
    "S21.G00.40.019/CCH-11": _recorder("S21.G00.40.019"),
    "S21.G00.40.046/CCH-13": _recorder("S21.G00.40.046"),
    "S21.G00.30.001/CCH-15": record_individual,
    "S21.G00.30.020/CCH-15": _recorder("S21.G00.30.020", SEEDING),
    "S21.G00.85.002/CCH-12": user_establishment_has_apet,
    # The identity of the individual a S89.G00.67/.87/.88/.89 block concerns; what they compare
    # with is recorded by `record_individual`. Not listed: S89.G00.67.002/CCH-13,
    # S89.G00.87.008/CCH-11, S89.G00.88.009/CCH-11, S89.G00.89.008/CCH-11, whose text is cut.
    "S89.G00.67.001/CCH-11": department_vs_individual_birth_year("S89.G00.67.001"),
    "S89.G00.67.001/CCH-13": declared_by_an_individual("S89.G00.67.001", "S21.G00.30.001"),
    "S89.G00.67.002/CCH-12": declared_by_an_individual("S89.G00.67.002", "S21.G00.30.020"),
    "S89.G00.87.007/CCH-11": department_vs_individual_birth_year("S89.G00.87.007"),
    "S89.G00.87.007/CCH-13": declared_by_an_individual("S89.G00.87.007", "S21.G00.30.001"),
    "S89.G00.87.008/CCH-13": declared_by_an_individual("S89.G00.87.008", "S21.G00.30.020"),
    "S89.G00.88.008/CCH-11": department_vs_individual_birth_year("S89.G00.88.008"),
    "S89.G00.88.008/CCH-13": declared_by_an_individual("S89.G00.88.008", "S21.G00.30.001"),
    "S89.G00.88.009/CCH-13": declared_by_an_individual("S89.G00.88.009", "S21.G00.30.020"),
    "S89.G00.89.007/CCH-11": department_vs_individual_birth_year("S89.G00.89.007"),
    "S89.G00.89.007/CCH-13": declared_by_an_individual("S89.G00.89.007", "S21.G00.30.001"),
    "S89.G00.89.008/CCH-13": declared_by_an_individual("S89.G00.89.008", "S21.G00.30.020"),
}
# The controls whose other side comes after the individuals, at the close of the block that
# completes it.
SCANS: dict[str, tuple[bytes, Scan]] = {
    "S21.G00.40.019/CCH-11": (
        DECLARATION,
        place_declared("S21.G00.40.019", other_than_establishment=True),
    ),
    "S21.G00.40.046/CCH-13": (
        DECLARATION,
        place_declared("S21.G00.40.046", other_than_establishment=False),
    ),
    "S21.G00.15.001/CCH-13": (ESTABLISHMENT, adhesion_referenced),
    "S21.G00.20.002/CCH-12": (ESTABLISHMENT, _cnieg_20),
    "S21.G00.22.002/CCH-13": (ESTABLISHMENT, _cnieg_22),
    "S21.G00.30.001/CCH-15": (DECLARATION, _seeding_nir),
    "S21.G00.30.020/CCH-15": (DECLARATION, _seeding_ntt),
}
SCAN_CHILD: dict[Scan, bytes] = {
    adhesion_referenced: ADHESION,
    _cnieg_20: PAYMENT,
    _cnieg_22: SLIP,
    _seeding_nir: NON_SALARIED,
    _seeding_ntt: NON_SALARIED,
}
