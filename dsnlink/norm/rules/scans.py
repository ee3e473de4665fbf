"""Controls that read a block's closed subtree: scans checked at an ancestor's close (and the
table of them, id -> block and scan), and the predicates that look at a block's children."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

from dsnlink.norm.rules.templates import (
    INDIVIDUAL,
    NEEDS,
    Check,
    raw,
    raw_date,
    split_key,
    to_amount,
    with_needs,
)
from dsnlink.norm.tree import Env, Node

# -- scans: controls checked at an ancestor's close, over its subtree -----------------------------

Scan = Callable[[Node, Env], Iterator[Node]]


def only_component_23(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.79.001/SIG-18: a component 23 (none in the payroll) is its base's only one."""
    components = [c for c in n.children or () if c.block == b"S21.G00.79"]
    if len(components) > 1:
        yield from (c for c in components if c.values.get(b"001") == b"23")


def contract_has_remuneration(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.40.009/CCH-13: each contract number appears in a S21.G00.51.010 of the individual."""
    children = n.children or ()
    numbers = {
        r.values.get(b"010")
        for c in children
        if c.block == b"S21.G00.50"
        for r in c.children or ()
        if r.block == b"S21.G00.51"
    }
    for contract in children:
        if contract.block == b"S21.G00.40":
            number = contract.values.get(b"009")
            if number is not None and number not in numbers:
                yield contract


def no_other_pension_with_90000(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.71.002/CCH-12: a 71 block "90000" (no supplementary pension) is alone under its
    contract."""
    blocks = [c for c in n.children or () if c.block == b"S21.G00.71"]
    if len(blocks) > 1:
        yield from (b for b in blocks if b.values.get(b"002") == b"90000")


def contract_number_declared(block: bytes, fld: bytes, natures: frozenset[str]) -> Scan:
    """The contract number of each `block` under the individual is the number of one of its
    contracts (S21.G00.40.009), in declarations of `natures`."""

    def scan(n: Node, e: Env) -> Iterator[Node]:
        if e.nature not in natures:
            return
        numbers = {c.values.get(b"009") for c in n.children or () if c.block == b"S21.G00.40"}
        for node in n.descendants(block):
            number = node.values.get(fld)
            if number is not None and number not in numbers:
                yield node

    return scan


def gross_pay_has_base_03(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.51.013/SIG-11: a non-zero gross pay (51.011 = 001) under a payment calls for a
    base 03 (assiette brute déplafonnée) under the same payment."""
    children = n.children or ()
    if any(c.block == b"S21.G00.78" and c.values.get(b"001") == b"03" for c in children):
        return
    for c in children:
        if c.block == b"S21.G00.51" and c.values.get(b"011") == b"001":
            amount = to_amount((c.values.get(b"013") or b"").decode("latin-1") or None)
            if amount is not None and amount != 0:
                yield c
                return


def children_of(n: Node, block: bytes) -> list[Node]:
    return n.kids_of(block)


def base_31_has_component(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.79.001/CCH-11: a base 31 (prévoyance) has at least one component (S21.G00.79)."""
    if n.values.get(b"001") == b"31" and not children_of(n, b"S21.G00.79"):
        yield n


def component_23_means_no_contribution(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.79.001/CCH-13: with a component 23 (none in the payroll), the base's
    contributions (S21.G00.81.004) are 0."""
    if any(c.values.get(b"001") == b"23" for c in children_of(n, b"S21.G00.79")):
        for c in children_of(n, b"S21.G00.81"):
            amount = to_amount((c.values.get(b"004") or b"").decode("latin-1") or None)
            if amount is not None and amount != 0:
                yield c


def ircantec_base_has_contribution(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.81.001/CCH-11: a base 28 (IRCANTEC) carries a contribution 060 or 061."""
    if n.values.get(b"001") == b"28" and not any(
        c.values.get(b"001") in (b"060", b"061") for c in children_of(n, b"S21.G00.81")
    ):
        yield n


def base_31_has_one_059(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.81.001/CCH-15: a base 31 carries one and only one contribution 059."""
    if n.values.get(b"001") == b"31":
        found = [c for c in children_of(n, b"S21.G00.81") if c.values.get(b"001") == b"059"]
        if len(found) != 1:
            yield found[1] if len(found) > 1 else n


def _affiliations(individual: Node) -> set[bytes]:
    return {
        a.values.get(b"012") or b""
        for contract in children_of(individual, b"S21.G00.40")
        for a in children_of(contract, b"S21.G00.70")
    }


def base_31_names_an_affiliation(n: Node, e: Env) -> bool:
    """S21.G00.78.005/CCH-11: a base 31, and only a base 31, names one of the individual's
    affiliations (S21.G00.70.012)."""
    affiliation = n.values.get(b"005")
    if n.values.get(b"001") != b"31":
        return affiliation is not None
    individual = e.ancestor(INDIVIDUAL)
    if affiliation is None:
        return True
    return individual is not None and affiliation not in _affiliations(individual)


def each_affiliation_has_base_31(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.78.001/CCH-13: in a DSN mensuelle, each affiliation of the individual has a
    base 31 naming it."""
    if e.nature != "01":
        return
    named = {
        b.values.get(b"005")
        for payment in children_of(n, b"S21.G00.50")
        for b in children_of(payment, b"S21.G00.78")
        if b.values.get(b"001") == b"31"
    }
    for contract in children_of(n, b"S21.G00.40"):
        for a in children_of(contract, b"S21.G00.70"):
            if a.values.get(b"012") not in named:
                yield a


def reference_is_an_adhesion(n: Node, e: Env) -> bool:
    """S21.G00.82.005/CCH-14: the reference names an adhesion (S21.G00.15.005)."""
    code = n.get("002")
    if code is None or not code.isdigit():
        return False
    c = int(code)
    if not (1 <= c <= 20 or 36 <= c <= 40 or c in (46, 90)):
        return False
    establishment = e.ancestor(b"S21.G00.11")
    adhesions = (
        {a.values.get(b"005") for a in children_of(establishment, b"S21.G00.15")}
        if establishment is not None
        else set()
    )
    return n.values.get(b"005") not in adhesions


def payment_is_sum_of_components(n: Node, e: Env) -> bool:
    """S21.G00.20.005/CCH-12: a payment with components (S21.G00.55, which only prévoyance
    payments carry) equals their sum, or 0 when the sum is negative."""
    components = children_of(n, b"S21.G00.55")
    amount = to_amount(n.get("005"))
    if not components or amount is None:
        return False
    total = Decimal(0)
    for c in components:
        part = to_amount(c.get("001"))
        if part is None:
            return False
        total += part
    return amount != max(total, Decimal(0))


def before_month_start(a: str) -> Check:
    """Date `a` < the first day of the main declared month (a period declared wrongly earlier)."""
    key = split_key(a)

    def check(n: Node, e: Env) -> bool:
        d = raw_date(raw(n, e, key))
        return d is not None and e.month is not None and d >= e.month

    return with_needs(check, a)


def _contract_end(contract: Node) -> date | None:
    """End date of a contract from its S21.G00.62 block, unless that end is cancelled (099)."""
    for end in children_of(contract, b"S21.G00.62"):
        if end.values.get(b"002") != b"099":
            return raw_date(end.values.get(b"001"))
    return None


def sick_leave_before_contract_end(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.60.002/CCH-17: the last day worked before a leave is not after the contract's end."""
    end = _contract_end(n)
    if end is None:
        return
    for leave in children_of(n, b"S21.G00.60"):
        last = raw_date(leave.values.get(b"002"))
        if leave.values.get(b"001") != b"99" and last is not None and last > end:
            yield leave


def suspension_before_contract_end(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.65.002/CCH-13: a suspension starts by the contract's end (unless cancelled, 998)."""
    end = _contract_end(n)
    if end is None:
        return
    for suspension in children_of(n, b"S21.G00.65"):
        start = raw_date(suspension.values.get(b"002"))
        if suspension.values.get(b"001") != b"998" and start is not None and start > end:
            yield suspension


THERAPEUTIC_PART_TIME = frozenset({b"15", b"16", b"17", b"18"})


def therapeutic_part_time_has_its_block(n: Node, e: Env) -> bool:
    """S21.G00.60.001/SIG-13: a therapeutic part-time leave (15-18) carries an S21.G00.66."""
    return n.values.get(b"001") in THERAPEUTIC_PART_TIME and not children_of(n, b"S21.G00.66")


NEEDS[therapeutic_part_time_has_its_block] = ("S21.G00.60.001",)


NOTICE_WITH_DATES = ("01", "02", "03", "10", "50", "51", "60", "61")
NOTICE_NOT_WORKED = frozenset({b"02", b"03", b"10", b"50", b"51", b"61"})


def last_day_before_unworked_notice(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.62.006/CCH-12: with a notice not worked, the last day worked and paid as usual is
    before the notice starts."""
    last = raw_date(n.values.get(b"006"))
    if last is None:
        return
    for notice in children_of(n, b"S21.G00.63"):
        start = raw_date(notice.values.get(b"002"))
        if notice.values.get(b"001") in NOTICE_NOT_WORKED and start is not None and last >= start:
            yield n
            return


# What a scan needs to possibly find anything: a value of its block's rubric, a child block.
SCAN_GATES: dict[Scan, tuple[str, frozenset[bytes]]] = {
    base_31_has_component: ("S21.G00.78.001", frozenset({b"31"})),
    ircantec_base_has_contribution: ("S21.G00.78.001", frozenset({b"28"})),
    base_31_has_one_059: ("S21.G00.78.001", frozenset({b"31"})),
}
SCAN_CHILD: dict[Scan, bytes] = {
    component_23_means_no_contribution: b"S21.G00.79",
    only_component_23: b"S21.G00.79",
    no_other_pension_with_90000: b"S21.G00.71",
    sick_leave_before_contract_end: b"S21.G00.62",
    suspension_before_contract_end: b"S21.G00.62",
}


# Controls checked at the close of an ancestor block, over its subtree: id -> (block, scan).
SCANS: dict[str, tuple[bytes, Scan]] = {
    "S21.G00.40.009/CCH-13": (INDIVIDUAL, contract_has_remuneration),
    "S21.G00.71.002/CCH-12": (b"S21.G00.40", no_other_pension_with_90000),
    "S21.G00.79.001/SIG-18": (b"S21.G00.78", only_component_23),
    "S21.G00.79.001/CCH-11": (b"S21.G00.78", base_31_has_component),
    "S21.G00.79.001/CCH-13": (b"S21.G00.78", component_23_means_no_contribution),
    "S21.G00.81.001/CCH-11": (b"S21.G00.78", ircantec_base_has_contribution),
    "S21.G00.81.001/CCH-15": (b"S21.G00.78", base_31_has_one_059),
    "S21.G00.78.001/CCH-13": (INDIVIDUAL, each_affiliation_has_base_31),
    "S21.G00.34.002/CCH-11": (
        INDIVIDUAL,
        contract_number_declared(
            b"S21.G00.34",
            b"002",
            frozenset({"01", "02", "03", "04", "05", "06", "07", "08", "09", "10"}),
        ),
    ),
    "S21.G00.51.010/CCH-11": (
        INDIVIDUAL,
        contract_number_declared(b"S21.G00.51", b"010", frozenset({"01", "09"})),
    ),
    "S21.G00.52.006/CCH-11": (
        INDIVIDUAL,
        contract_number_declared(b"S21.G00.52", b"006", frozenset({"01"})),
    ),
    "S21.G00.54.005/CCH-11": (
        INDIVIDUAL,
        contract_number_declared(b"S21.G00.54", b"005", frozenset({"01"})),
    ),
    "S21.G00.51.013/SIG-11": (b"S21.G00.50", gross_pay_has_base_03),
    "S21.G00.60.002/CCH-17": (b"S21.G00.40", sick_leave_before_contract_end),
    "S21.G00.62.006/CCH-12": (b"S21.G00.62", last_day_before_unworked_notice),
    "S21.G00.65.002/CCH-13": (b"S21.G00.40", suspension_before_contract_end),
    "S21.G00.86.005/CCH-11": (
        INDIVIDUAL,
        contract_number_declared(
            b"S21.G00.86",
            b"005",
            frozenset({"01", "02", "03", "04", "05", "06", "07", "08", "09", "10"}),
        ),
    ),
}
