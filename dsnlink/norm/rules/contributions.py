"""Controls of the bases assujetties and cotisations: base, composant de base, cotisation
individuelle and établissement, affiliation à tort (S21.G00.78 to .84); the newer controls of the
assujettissement fiscal (.44), lieu de travail (.85) and ancienneté (.86) are here too."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from dsnlink.norm.rules.predicates import siret_key_ok
from dsnlink.norm.rules.scans import (
    Scan,
    base_31_names_an_affiliation,
    before_month_start,
    children_of,
    reference_is_an_adhesion,
)
from dsnlink.norm.rules.templates import (
    GATES,
    INDIVIDUAL,
    NEEDS,
    Check,
    allowed_values,
    date_cmp,
    eq,
    forbidden,
    forbidden_value,
    nature,
    ne,
    not_,
    period_before_declared_month,
    raw_date,
    required,
    required_all,
    same_month,
    same_year,
    to_amount,
    zero,
)
from dsnlink.norm.tree import Env, Node

# Conditions built once (a check must never build templates while it runs).
CONTRIBUTIONS_NEXT_MONTH = frozenset(
    c.encode()
    for c in (
        "001",
        "002",
        "003",
        "004",
        "005",
        "006",
        "007",
        "009",
        "010",
        "011",
        "012",
        "017",
        "018",
        "019",
        "020",
        "036",
        "037",
        "038",
        "039",
        "040",
        "046",
        "090",
    )
)
CONTRIBUTIONS_THIS_MONTH = frozenset(
    c.encode()
    for c in (
        "021",
        "022",
        "023",
        "024",
        "025",
        "026",
        "027",
        "028",
        "029",
        "030",
        "031",
        "032",
        "033",
        "034",
        "035",
        "041",
        "042",
        "043",
        "044",
        "045",
        "047",
        "048",
        "049",
        "050",
        "054",
    )
)

CHECKS: dict[str, Check] = {
    "S21.G00.79.001/SIG-19": zero("S21.G00.79.004", when=eq("S21.G00.79.001", "23")),
    "S21.G00.78.005/CCH-11": base_31_names_an_affiliation,
    "S21.G00.79.001/CCH-12": allowed_values(
        "S21.G00.79.001",
        (*(f"{c}" for c in range(10, 22)), "23", "24"),
        when=eq("S21.G00.78.001", "31"),
    ),
    "S21.G00.79.001/CCH-14": forbidden_value(
        "S21.G00.79.001", "01", when=ne("S21.G00.78.001", "03", "19")
    ),
    "S21.G00.81.001/CCH-16": required_all(
        ("S21.G00.81.003", "S21.G00.81.004"), when=eq("S21.G00.81.001", "018", "106")
    ),
    "S21.G00.81.002/CCH-11": forbidden("S21.G00.81.002", when=eq("S21.G00.81.001", "059")),
    "S21.G00.81.003/CCH-11": required("S21.G00.81.003", when=eq("S21.G00.81.001", "060", "061")),
    "S21.G00.81.003/CCH-12": forbidden("S21.G00.81.003", when=eq("S21.G00.81.001", "059")),
    "S21.G00.81.004/CCH-11": required("S21.G00.81.004", when=eq("S21.G00.81.001", "059")),
    "S21.G00.81.004/CCH-12": required(
        "S21.G00.81.004", when=eq("S21.G00.81.001", "105", "131", "132")
    ),
    "S21.G00.81.004/CCH-13": required("S21.G00.81.004", when=eq("S21.G00.81.001", "060", "061")),
    "S21.G00.81.005/CCH-11": forbidden("S21.G00.81.005", when=eq("S21.G00.81.001", "059")),
    "S21.G00.82.003/CCH-11": lambda n, e: (
        n.values.get(b"002") in CONTRIBUTIONS_NEXT_MONTH
        and (d := raw_date(n.values.get(b"003"))) is not None
        and e.next_month_end is not None
        and d > e.next_month_end
    ),
    "S21.G00.82.003/CCH-12": lambda n, e: (
        n.values.get(b"002") in CONTRIBUTIONS_THIS_MONTH
        and (d := raw_date(n.values.get(b"003"))) is not None
        and e.month_end is not None
        and d > e.month_end
    ),
    "S21.G00.82.005/CCH-12": allowed_values(
        "S21.G00.82.005",
        tuple(f"{i:02d}" for i in range(1, 38)),
        when=eq("S21.G00.82.002", "024", "054"),
    ),
    "S21.G00.82.005/CCH-14": reference_is_an_adhesion,
    "S21.G00.83.002/CCH-11": date_cmp("S21.G00.83.002", ">=", "S21.G00.83.001"),
    "S21.G00.83.002/CCH-12": before_month_start("S21.G00.83.002"),
    "S21.G00.84.002/CCH-11": date_cmp("S21.G00.84.002", ">=", "S21.G00.83.001"),
    "S21.G00.84.003/CCH-11": date_cmp("S21.G00.84.003", ">=", "S21.G00.84.002"),
    "S21.G00.84.003/CCH-12": before_month_start("S21.G00.84.003"),
    "S21.G00.84.003/CCH-13": date_cmp("S21.G00.84.003", "<=", "S21.G00.83.002"),
    "S21.G00.78.001/CCH-14": forbidden_value("S21.G00.78.001", "31", when=nature("07")),
    "S21.G00.78.003/CCH-12": date_cmp("S21.G00.78.003", ">=", "S21.G00.78.002"),
    "S21.G00.78.003/CCH-16": same_year("S21.G00.78.003", "S21.G00.78.002"),
    "S21.G00.78.003/SIG-11": same_month(
        "S21.G00.78.002", "S21.G00.78.003", when=eq("S21.G00.78.001", "31")
    ),
    "S21.G00.78.004/CCH-11": zero("S21.G00.78.004", when=eq("S21.G00.78.001", "31")),
    "S21.G00.78.007/CCH-11": forbidden(
        "S21.G00.78.007",
        when=not_(period_before_declared_month("S21.G00.78.002", "S21.G00.78.003")),
    ),
    "S21.G00.81.001/CCH-13": forbidden_value(
        "S21.G00.81.001", "059", when=ne("S21.G00.78.001", "31")
    ),
    "S21.G00.81.006/CCH-11": forbidden(
        "S21.G00.81.006",
        when=not_(period_before_declared_month("S21.G00.78.002", "S21.G00.78.003")),
    ),
    "S21.G00.82.006/CCH-11": forbidden(
        "S21.G00.82.006",
        when=not_(period_before_declared_month("S21.G00.82.003", "S21.G00.82.004")),
    ),
    "S21.G00.79.005/CCH-11": forbidden(
        "S21.G00.79.005",
        when=not_(period_before_declared_month("S21.G00.78.002", "S21.G00.78.003")),
    ),
}


# -- assujettissement fiscal, bases, composants, cotisations (second batch) -----------------------

ESTABLISHMENT = b"S21.G00.11"
PAYMENT = b"S21.G00.50"
BASE = b"S21.G00.78"
CONTRACT = b"S21.G00.40"

CIBTP_BASES = ("21", "34", "35", "36", "39", "40")
PREVOYANCE_SINGLE_COMPONENTS = ("10", "11", "12", "13", "14", "15", "16", "24")
NOT_PREVOYANCE_COMPONENTS = ("01", "02", "03", "04", "05", "06", "22", "90", "91")
# S21.G00.82.002/CCH-14: the codes the rule's message lists (the rule's text is cut).
NOT_WITH_ADHESION_REFERENCE = frozenset(
    c.encode()
    for c in (
        *("021", "022", "023"),
        *(f"{i:03d}" for i in range(25, 36)),
        *("041", "042", "043", "044", "045", "047", "048", "049", "050"),
    )
)
OETH_SAME_YEAR = frozenset(
    c.encode() for c in ("060", "061", "062", "063", "064", "065", "066", "067", "068")
) | frozenset({b"071", b"072", b"073"})


def _gated(check: Check, rubric: str, values: tuple[str, ...], *needs: str) -> Check:
    """`check`, run only when the rubric of its own block holds one of `values` (also told to the
    block close as the rule's gate, with the rubrics it needs)."""
    wanted = frozenset(v.encode() for v in values)
    fld = rubric[11:].encode()

    def gated(n: Node, e: Env) -> bool:
        return n.values.get(fld) in wanted and check(n, e)

    GATES[gated] = (rubric, wanted)
    NEEDS[gated] = (rubric, *needs)
    return gated


def _contracts(e: Env) -> list[Node]:
    individual = e.ancestor(INDIVIDUAL)
    return [] if individual is None else children_of(individual, CONTRACT)


def _code_between(v: bytes | None, low: int, high: int) -> bool:
    return v is not None and len(v) == 2 and v.isdigit() and low <= int(v) <= high


def _cibtp_fund(e: Env, with_former: bool) -> bool:
    """A contract of the individual names a CIBTP paid-leave fund (S21.G00.40.022 in 01-37), or,
    `with_former`, a change block names one as the former fund (S21.G00.41.023 in 01-37 or 99)."""
    for contract in _contracts(e):
        if _code_between(contract.values.get(b"022"), 1, 37):
            return True
        if with_former:
            for change in children_of(contract, b"S21.G00.41"):
                former = change.values.get(b"023")
                if former == b"99" or _code_between(former, 1, 37):
                    return True
    return False


def _any_paid_leave_fund(e: Env, with_former: bool) -> bool:
    for contract in _contracts(e):
        if b"022" in contract.values:
            return True
        if with_former and any(b"023" in c.values for c in children_of(contract, b"S21.G00.41")):
            return True
    return False


# The fund may be on any contract of the individual: the base does not name its contract.
cibtp_base_needs_cibtp_fund = _gated(
    lambda n, e: not _cibtp_fund(e, with_former=True), "S21.G00.78.001", CIBTP_BASES
)
cibtp_base_needs_cibtp_fund_fctu = _gated(
    lambda n, e: e.nature == "07" and not _cibtp_fund(e, with_former=False),
    "S21.G00.78.001",
    CIBTP_BASES,
)
paid_leave_base_needs_fund = _gated(
    lambda n, e: not _any_paid_leave_fund(e, with_former=True), "S21.G00.78.001", ("20",)
)
paid_leave_base_needs_fund_fctu = _gated(
    lambda n, e: e.nature == "07" and not _any_paid_leave_fund(e, with_former=False),
    "S21.G00.78.001",
    ("20",),
)


def _contract_end(contract: Node) -> date | None:
    """End of a contract from its S21.G00.62 block, unless the end is cancelled (099)."""
    for end in children_of(contract, b"S21.G00.62"):
        if end.values.get(b"002") != b"099":
            return raw_date(end.values.get(b"001"))
    return None


def _holders(e: Env, affiliation: bytes) -> list[Node]:
    """The individual's contracts holding an affiliation (S21.G00.70.012) of that id."""
    return [
        c
        for c in _contracts(e)
        if any(a.values.get(b"012") == affiliation for a in children_of(c, b"S21.G00.70"))
    ]


def base_31_within_contract(n: Node, e: Env) -> bool:
    """S21.G00.78.003/SIG-17: a base 31's period lies within the activity (S21.G00.40.001 to the
    end S21.G00.62.001, or to the declared month's end) of the contract of its affiliation;
    not checked when the affiliation's contracts are all contrats de mission (03)."""
    affiliation = n.values.get(b"005")
    start, end = raw_date(n.values.get(b"002")), raw_date(n.values.get(b"003"))
    if affiliation is None or start is None or end is None or e.month_end is None:
        return False
    holders = _holders(e, affiliation)
    if not holders or all(c.values.get(b"007") == b"03" for c in holders):
        return False  # unknown affiliation (S21.G00.78.005/CCH-11), or missions only
    for c in holders:  # assumed: within the activity of one of the contracts holding it
        first = raw_date(c.values.get(b"001"))
        last = _contract_end(c) or e.month_end
        if first is not None and first <= start and end <= last:
            return False
    return True


def base_31_affiliation_of_paid_contract(n: Node, e: Env) -> bool:
    """S21.G00.78.005/CCH-12: a base 31's affiliation is one (S21.G00.70.012) of a contract whose
    number (S21.G00.40.009) is in a S21.G00.51.010 of the same payment."""
    affiliation = n.values.get(b"005")
    payment = e.ancestor(PAYMENT)
    if affiliation is None or payment is None:
        return False
    numbers = {r.values.get(b"010") for r in children_of(payment, b"S21.G00.51")} - {None}
    return not any(c.values.get(b"009") in numbers for c in _holders(e, affiliation))


def component_once_in_base_31(n: Node, e: Env) -> bool:
    """S21.G00.79.001/CCH-16: under a base 31, one component of each type 10-16 and 24."""
    base = e.ancestor(BASE)
    kind = n.values.get(b"001")
    if base is None or base.values.get(b"001") != b"31":
        return False
    return any(
        c.values.get(b"001") == kind and c is not n for c in children_of(base, b"S21.G00.79")
    )


def reduction_with_smic_under_base_03(n: Node, e: Env) -> bool:
    """S21.G00.81.001/CCH-17: a reduction 018/106 sits under a base 03 that carries a
    component 01 (SMIC retenu)."""
    base = e.ancestor(BASE)
    if base is None:
        return False
    return base.values.get(b"001") != b"03" or not any(
        c.values.get(b"001") == b"01" for c in children_of(base, b"S21.G00.79")
    )


def _adhesion_or_01_37(n: Node, e: Env) -> bool:
    reference = n.values.get(b"005")
    if reference is None:
        return False
    if _code_between(reference, 1, 37):
        return True
    establishment = e.ancestor(ESTABLISHMENT)
    return establishment is not None and any(
        a.values.get(b"005") == reference for a in children_of(establishment, b"S21.G00.15")
    )


def _different_years(n: Node, e: Env) -> bool:
    a, b = raw_date(n.values.get(b"003")), raw_date(n.values.get(b"004"))
    return a is not None and b is not None and a.year != b.year


def _siret_at_home(n: Node, e: Env) -> bool:
    v = n.get("001")
    return v is not None and siret_key_ok(v)


CHECKS.update(
    {
        "S21.G00.44.001/CCH-12": forbidden(
            "S21.G00.44.002", when=eq("S21.G00.44.001", "002", "004", "006", "008", "010", "014")
        ),
        "S21.G00.78.001/CCH-11": cibtp_base_needs_cibtp_fund,
        "S21.G00.78.001/CCH-24": paid_leave_base_needs_fund,
        "S21.G00.78.001/CCH-25": cibtp_base_needs_cibtp_fund_fctu,
        "S21.G00.78.001/CCH-26": paid_leave_base_needs_fund_fctu,
        "S21.G00.78.003/SIG-17": _gated(
            base_31_within_contract, "S21.G00.78.001", ("31",), "S21.G00.78.005"
        ),
        "S21.G00.78.005/CCH-12": _gated(
            base_31_affiliation_of_paid_contract, "S21.G00.78.001", ("31",), "S21.G00.78.005"
        ),
        "S21.G00.79.001/CCH-16": _gated(
            component_once_in_base_31, "S21.G00.79.001", PREVOYANCE_SINGLE_COMPONENTS
        ),
        "S21.G00.79.001/CCH-17": forbidden_value(
            "S21.G00.79.001", *NOT_PREVOYANCE_COMPONENTS, when=eq("S21.G00.78.001", "31")
        ),
        "S21.G00.81.001/CCH-17": _gated(
            reduction_with_smic_under_base_03, "S21.G00.81.001", ("018", "106")
        ),
        "S21.G00.82.002/CCH-14": _gated(
            _adhesion_or_01_37,
            "S21.G00.82.002",
            tuple(c.decode() for c in sorted(NOT_WITH_ADHESION_REFERENCE)),
            "S21.G00.82.005",
        ),
        "S21.G00.82.002/CCH-21": _gated(
            _different_years,
            "S21.G00.82.002",
            tuple(c.decode() for c in sorted(OETH_SAME_YEAR)),
            "S21.G00.82.003",
            "S21.G00.82.004",
        ),
        "S21.G00.84.002/CCH-12": before_month_start("S21.G00.84.002"),
        "S21.G00.85.001/CCH-13": _gated(
            _siret_at_home, "S21.G00.85.010", ("03",), "S21.G00.85.001"
        ),
    }
)


# -- controls over a block's subtree ---------------------------------------------------------------


def crpnpac_has_its_base(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.78.001/SIG-18: an individual with a supplementary pension CRPNPAC (S21.G00.71.002)
    has a base 41 or 42. Assumed only in the natures that declare bases (01, 07)."""
    if e.nature not in ("01", "07"):
        return
    crpnpac = [
        p
        for c in children_of(n, CONTRACT)
        for p in children_of(c, b"S21.G00.71")
        if p.values.get(b"002") == b"CRPNPAC"
    ]
    if crpnpac and not any(
        b.values.get(b"001") in (b"41", b"42")
        for payment in children_of(n, PAYMENT)
        for b in children_of(payment, BASE)
    ):
        yield crpnpac[0]


def _in_month(base: Node, e: Env) -> bool:
    start, end = raw_date(base.values.get(b"002")), raw_date(base.values.get(b"003"))
    return (
        start is not None
        and end is not None
        and e.month is not None
        and e.month_end is not None
        and e.month <= start
        and end <= e.month_end
    )


def capped_and_uncapped_together(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.78.001/SIG-19: under a payment, a base 02 whose period lies in the declared month
    has a base 03 of the same period, and the other way round."""
    bases = [b for b in children_of(n, BASE) if b.values.get(b"001") in (b"02", b"03")]
    periods = {(b.values.get(b"001"), b.values.get(b"002"), b.values.get(b"003")) for b in bases}
    for b in bases:
        other = b"03" if b.values.get(b"001") == b"02" else b"02"
        if _in_month(b, e) and ((other, b.values.get(b"002"), b.values.get(b"003")) not in periods):
            yield b


def _negative(base: Node) -> bool:
    """Whether the base's contributions (S21.G00.81.004, summed; none counting as 0) are
    negative."""
    amounts = (to_amount(c.get("004")) for c in children_of(base, b"S21.G00.81"))
    return sum((a for a in amounts if a is not None), Decimal(0)) < 0


def no_twin_base_31(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.78.001/SIG-23: in a DSN mensuelle, under a payment, no two bases 31 with the same
    period, the same affiliation and contributions of the same sign, unless the affiliation is
    held by a contrat de mission (S21.G00.40.007 = 03). Assumed: the sign is the one of the sum
    of the base's S21.G00.81.004, zero counting as positive."""
    if e.nature != "01":
        return
    missions = {
        a.values.get(b"012")
        for c in children_of(n, CONTRACT)
        if c.values.get(b"007") == b"03"
        for a in children_of(c, b"S21.G00.70")
    }
    for payment in children_of(n, PAYMENT):
        seen: set[tuple[bytes | None, bytes | None, bytes, bool]] = set()
        for b in children_of(payment, BASE):
            affiliation = b.values.get(b"005")
            if b.values.get(b"001") != b"31" or affiliation is None or affiliation in missions:
                continue
            key = (b.values.get(b"002"), b.values.get(b"003"), affiliation, _negative(b))
            if key in seen:
                yield b
            seen.add(key)


def _paired(first: bytes, second: bytes) -> Scan:
    """Under an establishment, a contribution `first` (S21.G00.82.002) has a contribution
    `second` of the same period (S21.G00.82.003-004), and the other way round."""

    def scan(n: Node, e: Env) -> Iterator[Node]:
        blocks = [
            c for c in children_of(n, b"S21.G00.82") if c.values.get(b"002") in (first, second)
        ]
        periods = {
            (c.values.get(b"002"), c.values.get(b"003"), c.values.get(b"004")) for c in blocks
        }
        for c in blocks:
            other = second if c.values.get(b"002") == first else first
            if (other, c.values.get(b"003"), c.values.get(b"004")) not in periods:
                yield c

    return scan


def wrong_affiliation_has_its_period(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.83.001/CCH-11: an individual with a block S21.G00.72 (affiliation à tort) has a
    block S21.G00.83 (its period), and no S21.G00.83 without a S21.G00.72."""
    wrong = [
        w
        for c in children_of(n, CONTRACT)
        for p in children_of(c, b"S21.G00.71")
        for w in children_of(p, b"S21.G00.72")
    ]
    periods = [
        p for payment in children_of(n, PAYMENT) for p in children_of(payment, b"S21.G00.83")
    ]
    if wrong and not periods:
        yield wrong[0]
    elif periods and not wrong:
        yield from periods


oeth_065_066 = _paired(b"065", b"066")
oeth_068_065 = _paired(b"068", b"065")

SCAN_CHILD: dict[Scan, bytes] = {
    oeth_065_066: b"S21.G00.82",
    oeth_068_065: b"S21.G00.82",
    capped_and_uncapped_together: BASE,
}

SCANS: dict[str, tuple[bytes, Scan]] = {
    "S21.G00.78.001/SIG-18": (INDIVIDUAL, crpnpac_has_its_base),
    "S21.G00.78.001/SIG-23": (INDIVIDUAL, no_twin_base_31),
    "S21.G00.82.002/CCH-22": (ESTABLISHMENT, oeth_065_066),
    "S21.G00.82.002/CCH-24": (ESTABLISHMENT, oeth_068_065),
    "S21.G00.83.001/CCH-11": (INDIVIDUAL, wrong_affiliation_has_its_period),
}


def _seniority_types(individual: Node) -> set[bytes | None]:
    return {s.values.get(b"001") for s in children_of(individual, b"S21.G00.86")}


def seniority_for_prevoyance(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.86.001/CCH-12: in natures 01, 07 and 08, an individual with a prévoyance
    affiliation (S21.G00.70) and a contract other than a contrat de mission (03) declares a
    seniority in the group (06) or the company (07)."""
    if e.nature not in ("01", "07", "08"):
        return
    contracts = children_of(n, CONTRACT)
    if (
        any(children_of(c, b"S21.G00.70") for c in contracts)
        and any(c.values.get(b"007") != b"03" for c in contracts)
        and not _seniority_types(n) & {b"06", b"07"}
    ):
        yield n


SENIORITY_CONTRACTS = frozenset({b"01", b"02", b"03", b"07", b"08", b"82", b"91", b"92"})


def seniority_in_company(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.86.001/CCH-14: in a DSN mensuelle, an individual with a contract of nature 01, 02,
    03, 07, 08, 82, 91 or 92 declares a seniority in the company (S21.G00.86.001 = 07)."""
    if e.nature != "01" or b"07" in _seniority_types(n):
        return
    for c in children_of(n, CONTRACT):
        if c.values.get(b"007") in SENIORITY_CONTRACTS:
            yield c
            return


SCANS.update(
    {
        "S21.G00.78.001/SIG-19": (PAYMENT, capped_and_uncapped_together),
        "S21.G00.86.001/CCH-12": (INDIVIDUAL, seniority_for_prevoyance),
        "S21.G00.86.001/CCH-14": (INDIVIDUAL, seniority_in_company),
    }
)
