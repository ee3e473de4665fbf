"""Controls of the S89 blocks: non-salaried individuals (S89.G00.91 to .94), honoraires, retraite
supplémentaire, actions gratuites and stock options.

The rules of S89.G00.67/.87/.88/.89 that compare their NIR or temporary number with the
individuals' (S21.G00.30.001/.020) or take the birth year from the individual's birth date are in
`memory` (those blocks come after the individuals, which are dropped once checked)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from dsnlink.norm.rules.predicates import birth_department_allowed, birth_year_in_range
from dsnlink.norm.rules.scans import Scan
from dsnlink.norm.rules.templates import (
    INDIVIDUAL,
    NEEDS,
    Check,
    Cond,
    all_of,
    all_or_none,
    allowed_values,
    date_cmp,
    eq,
    month_not_after_declared,
    nature,
    ne,
    not_,
    not_after_next_month_end,
    present,
    rate_times_base,
    required,
    required_all,
    required_iff,
    to_amount,
    value,
    with_gate,
    with_needs,
    year_not_after_declared,
    zero,
)
from dsnlink.norm.tree import Env, Node, parse_date

DECLARATION = b"S20.G00.05"
NON_SALARIED = b"S89.G00.91"
BASE = b"S89.G00.92"
CONTRIBUTION = b"S89.G00.94"


def _amount(node: Node, fld: bytes) -> Decimal | None:
    raw = node.values.get(fld)
    return None if raw is None else to_amount(raw.decode("latin-1"))


def _children(node: Node, block: bytes) -> list[Node]:
    return [c for c in node.children or () if c.block == block]


# -- honoraires (S89.G00.32) ----------------------------------------------------------------------

# Child block of a fee beneficiary -> its amount field.
_FEE_AMOUNTS = {b"S89.G00.33": b"002", b"S89.G00.35": b"002", b"S89.G00.43": b"002"}


def fee_without_positive_amount(n: Node, e: Env) -> bool:
    """S89.G00.32.001/CCH-12: a fee beneficiary has a benefit in kind (33), an indemnity (35) or
    a remuneration (43) with an amount > 0."""
    for c in n.children or ():
        fld = _FEE_AMOUNTS.get(c.block)
        if fld is not None:
            amount = _amount(c, fld)
            if amount is not None and amount > 0:
                return False
    return True


def not_one_identity_set(n: Node, e: Env) -> bool:
    """S89.G00.32.003/CCH-12: exactly one of (name, first name) and (SIREN, NIC, company name)."""
    person = b"002" in n.values or b"003" in n.values
    company = b"004" in n.values or b"005" in n.values or b"006" in n.values
    return person == company


# -- individu non salarié (S89.G00.91) ------------------------------------------------------------


def nir_department_vs_birth_year(n: Node, e: Env) -> bool:
    """S89.G00.91.001/CCH-11: the birth department of a 13-character NIR (positions 6-7) is
    2A/2B only from 1976, 20 only before 1976, 96 only before 1968 (year of S89.G00.91.006)."""
    nir, born = n.get("001"), n.get("006")
    if nir is None or len(nir) != 13 or born is None or len(born) != 8 or not born[4:].isdigit():
        return False
    dept, year = nir[5:7], int(born[4:])
    return (
        (dept in ("2A", "2B") and year < 1976)
        or (dept == "20" and year >= 1976)
        or (dept == "96" and year >= 1968)
    )


NEEDS[nir_department_vs_birth_year] = ("S89.G00.91.001", "S89.G00.91.006")


def unique_in_declaration(fld: str) -> Check:
    """No other S89.G00.91 of the declaration has the same value of `fld`: those checked
    earlier in the declaration, or (when they are kept) its other S89.G00.91 children."""
    key = fld.encode()

    def check(n: Node, e: Env) -> bool:
        v = n.values.get(key)
        decl = e.ancestor(DECLARATION)
        if v is None or decl is None:
            return False
        # Non-salaried individuals are dropped once checked (memory stays bounded): the values
        # already seen in this declaration are kept in the validation's own Env.
        twice = v in e.recalled(decl.line, b"S89.91." + key) or any(
            c is not n and c.values.get(key) == v for c in _children(decl, NON_SALARIED)
        )
        e.remember(decl.line, b"S89.91." + key, v, n.line)
        return twice

    return with_needs(check, f"S89.G00.91.{fld}")


def individual_declared(n: Node, e: Env) -> bool:
    """The declaration holds an individual (S21.G00.30) under one of its establishments."""
    decl = e.ancestor(DECLARATION)
    if decl is None:
        return False
    for company in _children(decl, b"S21.G00.06"):
        for establishment in _children(company, b"S21.G00.11"):
            if (establishment.counts or {}).get(INDIVIDUAL) or _children(establishment, INDIVIDUAL):
                return True
    return False


def individual_in_seeding(identifier: str) -> Check:
    """S89.G00.91.001/CCH-14, S89.G00.91.021/CCH-15: in a "Signalement Amorçage des données
    variables" (08) declaring a non-salaried individual with `identifier`, no S21.G00.30."""
    when: Cond = all_of(nature("08"), present(identifier))
    return with_needs(lambda n, e: bool(when(n, e)) and individual_declared(n, e), identifier)


# -- bases spécifiques (S89.G00.92) and their children --------------------------------------------


def _status_not_10(n: Node, e: Env) -> bool:
    status = value(n, e, "S89.G00.91.018")
    return status is not None and status != "10"


def bases_required(types: frozenset[bytes], codes: tuple[bytes, ...]) -> Scan:
    """S89.G00.92.001/CCH-12 and CCH-13: a non-salaried individual with a category status other
    than 10 and a base of one of `types` declares bases of each of `codes` (S89.G00.92.002)."""

    def scan(n: Node, e: Env) -> Iterator[Node]:
        status = n.values.get(b"018")
        if status is None or status == b"10":
            return
        bases = _children(n, BASE)
        declared = {b.values.get(b"002") for b in bases}
        if all(code in declared for code in codes):
            return
        for b in bases:
            if b.values.get(b"001") in types:
                yield b
                return

    return scan


def base_50_per_group(n: Node, e: Env) -> Iterator[Node]:
    """S89.G00.92.001/CCH-15: for each (type, start, end, payment date) of an individual's bases,
    one of them carries the code 50 (assiette brute déplafonnée)."""
    groups: dict[tuple[bytes | None, ...], list[Node]] = {}
    for b in _children(n, BASE):
        k = tuple(b.values.get(f) for f in (b"001", b"004", b"005", b"011"))
        groups.setdefault(k, []).append(b)
    for blocks in groups.values():
        if not any(b.values.get(b"002") == b"50" for b in blocks):
            yield blocks[0]


_ALLOWANCES = frozenset({b"01", b"02", b"03"})


def contribution_missing_for_allowance(n: Node, e: Env) -> Iterator[Node]:
    """S89.G00.94.001/CCH-11: an individual with a category status other than 10 and a base of
    type 01, 02 or 03 declares a contribution (S89.G00.94). Assumed: under one of its bases of
    those types, not under each of them (the rule names no base code)."""
    status = n.values.get(b"018")
    if status is None or status == b"10":
        return
    bases = [b for b in _children(n, BASE) if b.values.get(b"001") in _ALLOWANCES]
    if bases and not any(_children(b, CONTRIBUTION) for b in bases):
        yield bases[0]


def contribution_missing_for_third_party(n: Node, e: Env) -> Iterator[Node]:
    """S89.G00.94.001/CCH-12: a base 50 of type 05 (somme versée à un tiers) of an individual
    with a category status other than 10 carries a contribution (S89.G00.94)."""
    if (
        n.values.get(b"001") == b"05"
        and n.values.get(b"002") == b"50"
        and _status_not_10(n, e)
        and not _children(n, CONTRIBUTION)
    ):
        yield n


def pas_required_iff(target: str) -> Check:
    """S89.G00.92.0xx/CCH-1x (P26 text): `target` is mandatory when the base is 50 and the
    non-resident withholding (S89.G00.92.018) is absent, forbidden otherwise. The rubric 018
    does not exist before P26, where the rule reads "when the base is 50": the same check."""
    return required_iff(target, all_of(eq("S89.G00.92.002", "50"), not_(present("S89.G00.92.018"))))


def crm_outside_regularisation(n: Node, e: Env) -> bool:
    """S89.G00.92.015/CCH-11: a CRM id only for a period before the main declared month (its end,
    else its start, is before the month's first day)."""
    if b"015" not in n.values or e.month is None:
        return False
    end = n.get("005") or n.get("004")
    if end is None or len(end) != 8 or not end.isdigit():
        return False
    return (int(end[4:]), int(end[2:4]), int(end[:2])) >= (e.month.year, e.month.month, 1)


NEEDS[crm_outside_regularisation] = ("S89.G00.92.015",)


# -- régularisation de PAS (S89.G00.93) -----------------------------------------------------------


def regularisation_under_capped_base(n: Node, e: Env) -> bool:
    """S89.G00.93.001/CCH-11: no regularisation under a base 43, 51, 52 or 53. Assumed from the
    message, which also allows it under a base 23 or a base without code (the rule's text only
    names 50): only the codes both name as forbidden are reported."""
    return value(n, e, "S89.G00.92.002") in ("43", "51", "52", "53")


def none_present(*rubrics: str, when: Cond) -> Check:
    """None of `rubrics` (of the rule's block) may be present when `when` holds."""
    keys = tuple(r[11:].encode() for r in rubrics)
    check = lambda n, e: any(k in n.values for k in keys) and bool(when(n, e))  # noqa: E731
    return with_gate(check, when)


def not_positive(*rubrics: str, when: Cond) -> Check:
    """Each of `rubrics` (of the rule's block), when present, is negative or zero."""
    keys = tuple(r[11:].encode() for r in rubrics)

    def check(n: Node, e: Env) -> bool:
        return bool(when(n, e)) and any((a := _amount(n, k)) is not None and a > 0 for k in keys)

    return with_gate(with_needs(check, when), when)


def _error_year(n: Node) -> int | None:
    v = n.values.get(b"001")
    return int(v[2:]) if v is not None and len(v) == 6 and v.isdigit() else None


_RATE_OR_AMOUNT = eq("S89.G00.93.002", "01", "02")


def _declared_month(e: Env) -> date | None:
    """The main declared month, read from S20.G00.05.005 as the rules state it (the validator
    sets `env.month` from that rubric)."""
    decl = e.ancestor(DECLARATION)
    month = parse_date(decl.get("005")) if decl is not None else None
    return month or e.month


def error_year_before_declared(n: Node, e: Env) -> bool:
    """S89.G00.93.002/CCH-16: outside January, a type 01/02 error is of the declared year."""
    year, month = _error_year(n), _declared_month(e)
    return (
        year is not None
        and month is not None
        and month.month != 1
        and year < month.year
        and _RATE_OR_AMOUNT(n, e)
    )


def error_year_not_previous(n: Node, e: Env) -> bool:
    """S89.G00.93.002/CCH-17: in January, a type 01/02 error is of the previous year."""
    year, month = _error_year(n), _declared_month(e)
    return (
        year is not None
        and month is not None
        and month.month == 1
        and year != month.year - 1
        and _RATE_OR_AMOUNT(n, e)
    )


for _check in (error_year_before_declared, error_year_not_previous):
    with_gate(with_needs(_check, "S89.G00.93.001", _RATE_OR_AMOUNT), _RATE_OR_AMOUNT)


CHECKS: dict[str, Check] = {
    "S89.G00.32.003/CCH-11": all_or_none("S89.G00.32.002", "S89.G00.32.003"),
    "S89.G00.32.006/CCH-11": all_or_none("S89.G00.32.004", "S89.G00.32.005", "S89.G00.32.006"),
    "S89.G00.32.017/CCH-11": year_not_after_declared("S89.G00.32.017"),
    "S89.G00.67.005/CCH-11": year_not_after_declared("S89.G00.67.005"),
    "S89.G00.87.004/CCH-11": required("S89.G00.87.004", when=eq("S89.G00.87.001", "02")),
    "S89.G00.87.005/CCH-11": required_iff("S89.G00.87.005", eq("S89.G00.87.001", "02")),
    "S89.G00.87.006/CCH-11": required_iff("S89.G00.87.006", eq("S89.G00.87.001", "02")),
    "S89.G00.88.005/CCH-11": required_iff("S89.G00.88.005", eq("S89.G00.88.001", "02")),
    "S89.G00.88.006/CCH-11": required_iff("S89.G00.88.006", eq("S89.G00.88.001", "02")),
    "S89.G00.88.007/CCH-11": required_iff("S89.G00.88.007", eq("S89.G00.88.001", "02")),
    "S89.G00.91.006/CCH-11": lambda n, e: (
        (nir := n.get("001")) is not None
        and (born := n.get("006")) is not None
        and len(born) == 8
        and nir[1:] != "9" * 12
        and nir[1:3] != born[6:8]
    ),
    "S89.G00.91.006/CCH-12": birth_year_in_range("S89.G00.91.006"),
    "S89.G00.91.019/CCH-11": birth_department_allowed("S89.G00.91.019", "S89.G00.91.006"),
    "S89.G00.92.001/CCH-11": required_all(
        ("S89.G00.91.017", "S89.G00.91.018"), when=eq("S89.G00.92.001", "01", "02", "03", "05")
    ),
    "S89.G00.92.005/CCH-11": date_cmp("S89.G00.92.005", ">=", "S89.G00.92.004"),
    "S89.G00.92.006/CCH-12": required_iff("S89.G00.92.006", eq("S89.G00.92.002", "50")),
    "S89.G00.92.008/CCH-11": lambda n, e: (
        n.values.get(b"008") == b"99"
        and any((a := to_amount(n.get(f))) is not None and a != 0 for f in ("007", "010"))
    ),
    "S89.G00.92.009/CCH-11": required_iff("S89.G00.92.009", eq("S89.G00.92.008", "01")),
    "S89.G00.92.010/CCH-11": rate_times_base("S89.G00.92.010", "S89.G00.92.013", "S89.G00.92.007"),
    "S89.G00.92.011/CCH-12": not_after_next_month_end("S89.G00.92.011"),
    "S89.G00.93.001/CCH-12": month_not_after_declared("S89.G00.93.001"),
    "S89.G00.93.002/CCH-21": zero("S89.G00.93.007", when=eq("S89.G00.93.002", "04")),
    "S89.G00.93.008/CCH-11": required_all(
        ("S89.G00.93.003", "S89.G00.93.009"), when=present("S89.G00.93.008")
    ),
    "S89.G00.93.009/CCH-11": required("S89.G00.93.003", when=present("S89.G00.93.009")),
    "S89.G00.32.001/CCH-12": fee_without_positive_amount,
    "S89.G00.32.003/CCH-12": not_one_identity_set,
    "S89.G00.91.001/CCH-11": nir_department_vs_birth_year,
    "S89.G00.91.001/CCH-13": unique_in_declaration("001"),
    "S89.G00.91.001/CCH-14": individual_in_seeding("S89.G00.91.001"),
    "S89.G00.91.018/CCH-11": allowed_values(
        "S89.G00.91.017", ("03", "04"), when=eq("S89.G00.91.018", "01")
    ),
    "S89.G00.91.018/SIG-12": allowed_values(
        "S89.G00.91.017", ("05",), when=eq("S89.G00.91.018", "02")
    ),
    "S89.G00.91.021/CCH-14": unique_in_declaration("021"),
    "S89.G00.91.021/CCH-15": individual_in_seeding("S89.G00.91.021"),
    "S89.G00.92.001/CCH-14": allowed_values(
        "S89.G00.92.002", ("50",), when=ne("S89.G00.92.001", "01", "02", "03", "05")
    ),
    # The cahier lists the rule of S89.G00.92.005/CCH-11 again under S89.G00.92.003.
    "S89.G00.92.003/CCH-11": date_cmp("S89.G00.92.005", ">=", "S89.G00.92.004"),
    "S89.G00.92.007/CCH-11": pas_required_iff("S89.G00.92.007"),
    "S89.G00.92.008/CCH-12": pas_required_iff("S89.G00.92.008"),
    "S89.G00.92.010/CCH-12": pas_required_iff("S89.G00.92.010"),
    "S89.G00.92.013/CCH-11": pas_required_iff("S89.G00.92.013"),
    "S89.G00.92.015/CCH-11": crm_outside_regularisation,
    "S89.G00.92.016/CCH-11": pas_required_iff("S89.G00.92.016"),
    "S89.G00.92.017/CCH-11": pas_required_iff("S89.G00.92.017"),
    "S89.G00.92.018/CCH-11": required_iff(
        "S89.G00.92.018",
        all_of(eq("S89.G00.92.002", "50"), not_(present("S89.G00.92.010"))),
    ),
    "S89.G00.93.001/CCH-11": regularisation_under_capped_base,
    "S89.G00.93.002/CCH-11": required_all(
        ("S89.G00.93.003", "S89.G00.93.006", "S89.G00.93.009"), when=eq("S89.G00.93.002", "01")
    ),
    "S89.G00.93.002/CCH-12": required_all(
        ("S89.G00.93.005", "S89.G00.93.013"), when=eq("S89.G00.93.002", "02")
    ),
    "S89.G00.93.002/CCH-13": required_all(
        ("S89.G00.93.003", "S89.G00.93.006", "S89.G00.93.009"), when=eq("S89.G00.93.002", "03")
    ),
    "S89.G00.93.002/CCH-14": not_positive(
        "S89.G00.93.003", "S89.G00.93.009", when=eq("S89.G00.93.002", "03")
    ),
    "S89.G00.93.002/CCH-16": error_year_before_declared,
    "S89.G00.93.002/CCH-17": error_year_not_previous,
    "S89.G00.93.002/CCH-18": none_present(
        "S89.G00.93.004",
        "S89.G00.93.005",
        "S89.G00.93.013",
        when=eq("S89.G00.93.002", "01", "03", "04"),
    ),
    "S89.G00.93.002/CCH-19": none_present(
        "S89.G00.93.003",
        "S89.G00.93.006",
        "S89.G00.93.008",
        "S89.G00.93.010",
        "S89.G00.93.009",
        when=eq("S89.G00.93.002", "02"),
    ),
    "S89.G00.93.002/CCH-20": required_all(
        ("S89.G00.93.003", "S89.G00.93.009"), when=eq("S89.G00.93.002", "04")
    ),
}

# Controls over a non-salaried individual's bases, checked at its close: id -> (block, scan).
SCANS: dict[str, tuple[bytes, Scan]] = {
    "S89.G00.92.001/CCH-12": (
        NON_SALARIED,
        bases_required(frozenset({b"01", b"02", b"03"}), (b"23", b"43")),
    ),
    "S89.G00.92.001/CCH-13": (
        NON_SALARIED,
        bases_required(frozenset({b"05"}), (b"51", b"52", b"53")),
    ),
    "S89.G00.92.001/CCH-15": (NON_SALARIED, base_50_per_group),
    "S89.G00.94.001/CCH-11": (NON_SALARIED, contribution_missing_for_allowance),
    "S89.G00.94.001/CCH-12": (BASE, contribution_missing_for_third_party),
}
SCAN_CHILD: dict[Scan, bytes] = {scan: BASE for at, scan in SCANS.values() if at == NON_SALARIED}
SCAN_GATES: dict[Scan, tuple[str, frozenset[bytes]]] = {
    contribution_missing_for_third_party: ("S89.G00.92.002", frozenset({b"50"})),
}
