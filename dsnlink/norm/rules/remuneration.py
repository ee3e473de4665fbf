"""Controls of the individual's payment: versement individu, rémunération, primes, activité, autres
éléments, PAS (S21.G00.50 to .58)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from dsnlink.norm.rules.lookups import (
    ACTIVITY,
    BONUS,
    CONTRACT,
    CONTRACT_END,
    OTHER_INCOME,
    PAYMENT,
    REMUNERATION,
)
from dsnlink.norm.rules.lookups import (
    amount as _amount,
)
from dsnlink.norm.rules.lookups import (
    children as _children,
)
from dsnlink.norm.rules.lookups import (
    contract_numbered as _contract_numbered,
)
from dsnlink.norm.rules.lookups import (
    end_reason as _end_reason,
)
from dsnlink.norm.rules.lookups import (
    has_net_social as _has_net_social,
)
from dsnlink.norm.rules.lookups import (
    in_declared_month as _in_declared_month,
)
from dsnlink.norm.rules.lookups import (
    metropolitan_establishment as _metropolitan_establishment,
)
from dsnlink.norm.rules.scans import Scan
from dsnlink.norm.rules.templates import (
    GATES,
    INDIVIDUAL,
    NEEDS,
    Check,
    all_of,
    allowed_values,
    date_cmp,
    eq,
    forbidden,
    month_not_after_declared,
    nature,
    ne,
    not_after_month_end,
    not_after_next_month_end,
    not_more_than,
    not_zero,
    present,
    rate_times_base,
    raw_date,
    required,
    required_all,
    required_iff,
    required_when_several,
    same_year,
    to_amount,
    unique_among_siblings,
    value,
    zero,
)
from dsnlink.norm.tree import Env, Node

# Conditions built once (a check must never build templates while it runs).
NO_PAS_RATE = eq("S21.G00.50.007", "99")
PAS_TYPES_WITH_TAUX = (
    "001",
    "002",
    "003",
    "010",
    "012",
    "013",
    "016",
    "017",
    "018",
    "019",
    "020",
    "021",
    "022",
    "025",
)

CHECKS: dict[str, Check] = {
    "S21.G00.50.001/CCH-13": not_after_next_month_end("S21.G00.50.001"),
    "S21.G00.50.003/CCH-11": unique_among_siblings("S21.G00.50.003", INDIVIDUAL),
    "S21.G00.50.003/CCH-12": required_when_several("S21.G00.50.003", INDIVIDUAL),
    "S21.G00.50.007/CCH-11": lambda n, e: (
        bool(NO_PAS_RATE(n, e))
        and any(
            (a := to_amount(value(n, e, r))) is not None and a != 0
            for r in ("S21.G00.50.006", "S21.G00.50.009")
        )
    ),
    "S21.G00.50.008/CCH-11": required_iff("S21.G00.50.008", eq("S21.G00.50.007", "01")),
    "S21.G00.50.009/CCH-11": rate_times_base("S21.G00.50.009", "S21.G00.50.013", "S21.G00.50.006"),
    "S21.G00.51.002/CCH-11": date_cmp("S21.G00.51.002", ">=", "S21.G00.51.001"),
    "S21.G00.51.002/SIG-14": not_after_month_end(
        "S21.G00.51.002", when=eq("S21.G00.51.011", *PAS_TYPES_WITH_TAUX)
    ),
    "S21.G00.51.012/CCH-12": not_zero(
        "S21.G00.51.012", when=eq("S21.G00.51.011", "001", "002", "003", "010")
    ),
    "S21.G00.51.012/SIG-13": forbidden(
        "S21.G00.51.012", when=eq("S21.G00.51.011", "001", "002", "003", "010")
    ),
    "S21.G00.52.003/CCH-12": required(
        "S21.G00.52.003", when=eq("S21.G00.52.001", "026", "027", "029", "902")
    ),
    "S21.G00.52.004/CCH-11": date_cmp("S21.G00.52.004", ">=", "S21.G00.52.003"),
    "S21.G00.52.004/CCH-13": required(
        "S21.G00.52.004", when=eq("S21.G00.52.001", "026", "027", "029")
    ),
    "S21.G00.53.001/CCH-11": forbidden(
        "S21.G00.53.001", when=all_of(ne("S21.G00.53.003", "40"), ne("S21.G00.51.011", "002"))
    ),
    "S21.G00.53.001/CCH-12": forbidden(
        "S21.G00.53.001", when=all_of(eq("S21.G00.53.003", "40"), ne("S21.G00.51.011", "001"))
    ),
    "S21.G00.53.003/CCH-13": not_more_than(
        "S21.G00.53.002", "3250.00", when=eq("S21.G00.53.003", "10", "21")
    ),
    "S21.G00.53.003/CCH-14": not_more_than(
        "S21.G00.53.002", "403.00", when=eq("S21.G00.53.003", "12", "20")
    ),
    "S21.G00.53.003/CCH-15": allowed_values(
        "S21.G00.53.001", ("01",), when=eq("S21.G00.53.003", "40")
    ),
    "S21.G00.56.002/CCH-11": required_all(
        ("S21.G00.56.003", "S21.G00.56.006", "S21.G00.56.010"), when=eq("S21.G00.56.002", "01")
    ),
    "S21.G00.56.002/CCH-12": required_all(
        ("S21.G00.56.005", "S21.G00.56.015"), when=eq("S21.G00.56.002", "02")
    ),
    "S21.G00.56.002/CCH-13": required_all(
        ("S21.G00.56.003", "S21.G00.56.006", "S21.G00.56.010"), when=eq("S21.G00.56.002", "03")
    ),
    "S21.G00.56.002/CCH-26": required_all(
        ("S21.G00.56.003", "S21.G00.56.010"), when=eq("S21.G00.56.002", "04")
    ),
    "S21.G00.56.002/CCH-27": zero("S21.G00.56.007", when=eq("S21.G00.56.002", "04")),
    "S21.G00.56.008/CCH-11": required_all(
        ("S21.G00.56.003", "S21.G00.56.010"), when=present("S21.G00.56.008")
    ),
    "S21.G00.56.010/CCH-11": required("S21.G00.56.003", when=present("S21.G00.56.010")),
    "S21.G00.58.002/CCH-12": not_after_next_month_end("S21.G00.58.002"),
    "S21.G00.58.002/CCH-13": same_year("S21.G00.58.002", "S21.G00.58.001"),
    "S21.G00.54.004/CCH-11": date_cmp("S21.G00.54.004", ">=", "S21.G00.54.003"),
    # P24V01 states it plainly; P25V01 excludes types 92/93, P26V01 also 37: the widest
    # exclusion is used for every version (never a false alarm).
    "S21.G00.54.004/SIG-12": not_after_month_end(
        "S21.G00.54.004", when=all_of(nature("01"), ne("S21.G00.54.001", "92", "93", "37"))
    ),
    "S21.G00.56.001/CCH-11": month_not_after_declared("S21.G00.56.001"),
    "S21.G00.58.002/CCH-11": date_cmp("S21.G00.58.002", ">=", "S21.G00.58.001"),
    "S21.G00.58.002/CCH-14": lambda n, e: (
        (value(n, e, "S21.G00.58.001") is None) != (value(n, e, "S21.G00.58.002") is None)
    ),
}

GATES[CHECKS["S21.G00.50.007/CCH-11"]] = ("S21.G00.50.007", frozenset({b"99"}))


# -- S21.G00.50 -----------------------------------------------------------------------------------


def net_social_for_current_month(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.50.001/CCH-14: with no payment dated after the declared month (no pay shift), a
    payment dated from the declared month on carries a net social amount (58 of type 03)."""
    if e.month is None or e.month_end is None or not _metropolitan_establishment(e):
        return
    payments = _children(n, PAYMENT)
    dates = [raw_date(p.values.get(b"001")) for p in payments]
    for i, payment in enumerate(payments):
        d = dates[i]
        if d is None or d < e.month or _has_net_social(payment):
            continue
        others_later = any(o is not None and o > e.month_end for j, o in enumerate(dates) if j != i)
        if not others_later:
            yield payment


def net_social_for_next_month(n: Node, e: Env) -> bool:
    """S21.G00.50.001/CCH-15: a payment dated after the declared month (pay shift) carries a net
    social amount (58 of type 03)."""
    d = raw_date(n.values.get(b"001"))
    return (
        d is not None
        and e.month_end is not None
        and d > e.month_end
        and _metropolitan_establishment(e)
        and not _has_net_social(n)
    )


NEEDS[net_social_for_next_month] = ("S21.G00.50.001",)


def specific_deduction_per_contract(n: Node, e: Env) -> bool:
    """S21.G00.50.001/CCH-16: remunerations of several contracts under one payment: each
    "déduction forfaitaire spécifique" (54 of type 10) names its contract (54.005)."""
    numbers = {r.values.get(b"010") for r in _children(n, REMUNERATION)}
    numbers.discard(None)
    return len(numbers) > 1 and any(
        o.values.get(b"001") == b"10" and o.values.get(b"005") is None
        for o in _children(n, OTHER_INCOME)
    )


# -- S21.G00.51 -----------------------------------------------------------------------------------

UNEMPLOYMENT_GROSS = b"002"
_TWO_DAYS = timedelta(days=2)  # built once: these checks run on every remuneration 002


def _unemployment_gross_not_zero(n: Node) -> bool:
    amount = _amount(n, b"013")
    return n.values.get(b"011") == UNEMPLOYMENT_GROSS and amount is not None and amount != 0


def period_starts_by_contract_start(n: Node, e: Env) -> bool:
    """S21.G00.51.001/CCH-11: a non-zero pay of type 002 starting in the declared month starts at
    most two days before its contract's start. (P24V01 also names type 001: the narrower P25+
    reading is used for every version.)"""
    if not _unemployment_gross_not_zero(n):
        return False
    start = raw_date(n.values.get(b"001"))
    if start is None or not _in_declared_month(start, e):
        return False
    contract = _contract_numbered(e, n.values.get(b"010"))
    begun = None if contract is None else raw_date(contract.values.get(b"001"))
    return begun is not None and start < begun - _TWO_DAYS


def period_ends_by_contract_end(n: Node, e: Env) -> bool:
    """S21.G00.51.002/CCH-13: a non-zero pay of type 002 ending in the declared month ends at most
    two days after its contract's end (62.001, unless the end is cancelled: 099). The P26V01
    text is cut after "inférieure"; the rest is P24V01's ("au surlendemain de la date de fin")."""
    if not _unemployment_gross_not_zero(n):
        return False
    last = raw_date(n.values.get(b"002"))
    if last is None or not _in_declared_month(last, e):
        return False
    contract = _contract_numbered(e, n.values.get(b"010"))
    for end in _children(contract, CONTRACT_END):
        ended = raw_date(end.values.get(b"001"))
        if end.values.get(b"002") != b"099" and ended is not None:
            return last > ended + _TWO_DAYS
    return False


for _check in (period_starts_by_contract_start, period_ends_by_contract_end):
    GATES[_check] = ("S21.G00.51.011", frozenset({UNEMPLOYMENT_GROSS}))
    NEEDS[_check] = ("S21.G00.51.013",)


def contract_number_known(block: bytes, fld: bytes) -> Scan:
    """In a FCTU (nature 07), the contract number of each `block` of the individual is the number
    (S21.G00.40.009) or the previous number (S21.G00.45.002) of one of its contracts."""

    def scan(n: Node, e: Env) -> Iterator[Node]:
        if e.nature != "07":
            return
        numbers: set[bytes | None] = set()
        for c in _children(n, CONTRACT):
            numbers.add(c.values.get(b"009"))
            numbers.update(p.values.get(b"002") for p in _children(c, b"S21.G00.45"))
        for node in n.descendants(block):
            number = node.values.get(fld)
            if number is not None and number not in numbers:
                yield node

    return scan


MONTHLY_PAY_TYPES = (b"001", b"002", b"003", b"010")


def pay_types_per_contract(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.51.011/CCH-11: in a DSN mensuelle or de substitution, for each payment, each
    contract (other than a "ligne de service", 93) that the payment's remunerations name has
    remunerations of types 001, 002, 003 and 010. (Reading: a contract the payment does not
    name at all is not reported here, S21.G00.40.009/CCH-13 does.)"""
    if e.nature not in ("01", "09"):
        return
    service_lines = {
        c.values.get(b"009") for c in _children(n, CONTRACT) if c.values.get(b"007") == b"93"
    }
    for payment in _children(n, PAYMENT):
        types: dict[bytes | None, set[bytes | None]] = {}
        first: dict[bytes | None, Node] = {}
        for r in _children(payment, REMUNERATION):
            number = r.values.get(b"010")
            types.setdefault(number, set()).add(r.values.get(b"011"))
            first.setdefault(number, r)
        for number, found in types.items():
            if number in service_lines:
                continue
            if not all(t in found for t in MONTHLY_PAY_TYPES):
                yield first[number]


def _maritime_links(n: Node) -> Iterator[tuple[Node, Node]]:
    """(service line 93, its maritime contract 91/92 named by 40.076) of an individual."""
    contracts = _children(n, CONTRACT)
    maritime = {
        c.values.get(b"009"): c for c in contracts if c.values.get(b"007") in (b"91", b"92")
    }
    for c in contracts:
        if c.values.get(b"007") == b"93":
            link = maritime.get(c.values.get(b"076"))
            if link is not None:
                yield c, link


def _pay_types_of(n: Node, number: bytes | None) -> list[Node]:
    return [r for r in n.descendants(REMUNERATION) if r.values.get(b"010") == number]


def service_line_pay_types(zero_amount: bool, wanted: tuple[bytes, ...]) -> Scan:
    """S21.G00.51.011/CCH-12 and CCH-13: a service line (93) whose maritime contract has a pay of
    type 002 with a non-zero (CCH-12) or zero (CCH-13) amount has remunerations of `wanted`."""

    def scan(n: Node, e: Env) -> Iterator[Node]:
        if e.nature not in ("01", "09"):
            return
        for line, maritime in _maritime_links(n):
            trigger = False
            for r in _pay_types_of(n, maritime.values.get(b"009")):
                amount = _amount(r, b"013")
                if r.values.get(b"011") == UNEMPLOYMENT_GROSS and amount is not None:
                    trigger = trigger or ((amount == 0) == zero_amount)
            if not trigger:
                continue
            found = {r.values.get(b"011") for r in _pay_types_of(n, line.values.get(b"009"))}
            if not all(t in found for t in wanted):
                yield line

    return scan


def fctu_pay_types(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.51.011/CCH-15: in a FCTU, each payment has remunerations of types 001, 002 and 010.
    (P24V01 asks it per contract and payment; the per-payment reading is used everywhere.)"""
    if e.nature != "07":
        return
    found = {r.values.get(b"011") for r in _children(n, REMUNERATION)}
    if not all(t in found for t in (b"001", b"002", b"010")):
        yield n


def fp_rate_without_employment_status(n: Node, e: Env) -> bool:
    """S21.G00.51.014/CCH-11: no [FP] remuneration rate when the contract's employment status
    (S21.G00.40.026) is 99."""
    contract = _contract_numbered(e, n.values.get(b"010"))
    return contract is not None and contract.values.get(b"026") == b"99"


NEEDS[fp_rate_without_employment_status] = ("S21.G00.51.014",)


# -- S21.G00.52 -----------------------------------------------------------------------------------

END_OF_CONTRACT_INDEMNITIES = frozenset(f"{i:03d}".encode() for i in range(1, 26))


def indemnity_once_per_contract(n: Node, e: Env) -> bool:
    """S21.G00.52.001/CCH-11: an end-of-contract indemnity type (001 to 025) occurs once per
    contract (52.006) and payment (an absent number is taken as the same contract)."""
    kind = n.values.get(b"001")
    if kind not in END_OF_CONTRACT_INDEMNITIES:
        return False
    number = n.values.get(b"006")
    return any(
        o is not n and o.values.get(b"001") == kind and o.values.get(b"006") == number
        for o in _children(e.ancestor(PAYMENT), BONUS)
    )


GATES[indemnity_once_per_contract] = ("S21.G00.52.001", END_OF_CONTRACT_INDEMNITIES)


def special_and_specific_dismissal(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.52.001/CCH-20: types 009 and 010 are not both declared for one contract."""
    kinds: dict[bytes | None, dict[bytes, Node]] = {}
    for b in n.descendants(BONUS):
        kind = b.values.get(b"001")
        if kind in (b"009", b"010"):
            kinds.setdefault(b.values.get(b"006"), {})[kind] = b
    for found in kinds.values():
        if len(found) == 2:
            yield found[b"010"]


def indemnity_needs_end_reason(kinds: tuple[str, ...], reasons: tuple[str, ...]) -> Check:
    """A 52 of one of `kinds` whose contract (52.006) has an end block (62) calls for one of
    `reasons` as the end's reason (62.002)."""
    allowed = frozenset(r.encode() for r in reasons)
    types = frozenset(k.encode() for k in kinds)

    def check(n: Node, e: Env) -> bool:
        if n.values.get(b"001") not in types:
            return False
        reason = _end_reason(_contract_numbered(e, n.values.get(b"006")))
        return reason is not None and reason not in allowed

    GATES[check] = ("S21.G00.52.001", types)
    return check


def indemnity_contract_nature(
    kinds: tuple[str, ...], natures: tuple[str, ...], inside: bool
) -> Check:
    """A 52 of one of `kinds`: its contract's nature (40.007) must (inside) or must not be one of
    `natures`."""
    listed = frozenset(x.encode() for x in natures)
    types = frozenset(k.encode() for k in kinds)

    def check(n: Node, e: Env) -> bool:
        if n.values.get(b"001") not in types:
            return False
        contract = _contract_numbered(e, n.values.get(b"006"))
        nature_ = None if contract is None else contract.values.get(b"007")
        return nature_ is not None and (nature_ in listed) != inside

    GATES[check] = ("S21.G00.52.001", types)
    return check


DISMISSALS = (
    "011", "012", "014", "015", "020", "025", "026", "082", "086", "087", "089", "091", "092",
    "093", "098", "099", "111", "112", "113", "114", "115", "117",
)  # fmt: skip
CONCILIATION = (
    "011", "012", "014", "015", "020", "025", "026", "065", "082", "086", "087", "088", "089",
    "091", "092", "093", "098", "099", "113", "114", "115", "117",
)  # fmt: skip
PEPA = eq("S21.G00.52.001", "902")
PEPA_LIMIT = date(2022, 3, 31)


def pepa_period_end(n: Node, e: Env) -> bool:
    """S21.G00.52.004/CCH-14: a PEPA (902) has a period end (52.004) on or before 31/03/2022."""
    if n.values.get(b"001") != b"902":
        return False
    end = n.values.get(b"004")
    if end is None:
        return True
    d = raw_date(end)
    return d is not None and d > PEPA_LIMIT


GATES[pepa_period_end] = ("S21.G00.52.001", frozenset({b"902"}))


# -- S21.G00.53 -----------------------------------------------------------------------------------


def _activity_contract(e: Env) -> Node | None:
    remuneration = e.ancestor(REMUNERATION)
    return _contract_numbered(e, None if remuneration is None else remuneration.values.get(b"010"))


def measure_limit_by_quotity_unit(units: tuple[str, ...], limit: str) -> Check:
    """S21.G00.53.002/CCH-11, CCH-12: with no unit (53.003), the measure is bounded by the
    contract's quotity unit (40.011)."""
    wanted = frozenset(u.encode() for u in units)
    bound = Decimal(limit)

    def check(n: Node, e: Env) -> bool:
        amount = _amount(n, b"002")
        if amount is None or amount <= bound or b"003" in n.values:
            return False
        contract = _activity_contract(e)
        return contract is not None and contract.values.get(b"011") in wanted

    NEEDS[check] = ("S21.G00.53.002",)
    return check


def activity_unit_needs_contract(unit: bytes, fld: bytes, values: tuple[bytes, ...]) -> Check:
    """An activity of `unit` calls for the contract's rubric `fld` (40.xxx) to be one of
    `values`."""

    def check(n: Node, e: Env) -> bool:
        if n.values.get(b"003") != unit:
            return False
        contract = _activity_contract(e)
        v = None if contract is None else contract.values.get(fld)
        return v is not None and v not in values

    GATES[check] = ("S21.G00.53.003", frozenset({unit}))
    return check


def esat_sunday_hours(n: Node, e: Env) -> bool:
    """S21.G00.53.003/CCH-16: unit 41 (ESAT) calls for a contract of nature 70, now (40.007) or
    before a change (41.004)."""
    contract = _activity_contract(e)
    if contract is None:
        return False
    natures = {contract.values.get(b"007")} | {
        c.values.get(b"004") for c in _children(contract, b"S21.G00.41")
    }
    return b"70" not in natures


GATES[esat_sunday_hours] = ("S21.G00.53.003", frozenset({b"41"}))


def crpnpac_activity(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.53.003/SIG-11: an individual with a contract of PCS-ESE 389b or 546d (aircrew)
    declares at least one activity in "jour CRPNPAC" (38). (Checked when the individual declares
    remunerations: a signalement without payment is not reported.)"""
    aircrew = [c for c in _children(n, CONTRACT) if c.values.get(b"004") in (b"389b", b"546d")]
    if not aircrew or next(n.descendants(REMUNERATION), None) is None:
        return
    if not any(a.values.get(b"003") == b"38" for a in n.descendants(ACTIVITY)):
        yield aircrew[0]


CHECKS.update(
    {
        "S21.G00.50.001/CCH-15": net_social_for_next_month,
        "S21.G00.50.001/CCH-16": specific_deduction_per_contract,
        "S21.G00.51.001/CCH-11": period_starts_by_contract_start,
        "S21.G00.51.002/CCH-13": period_ends_by_contract_end,
        "S21.G00.51.012/SIG-11": required(
            "S21.G00.51.012",
            when=eq("S21.G00.51.011", "012", "013", "016", "017", "018", "019", "020", "025"),
        ),
        "S21.G00.51.014/CCH-11": fp_rate_without_employment_status,
        "S21.G00.52.001/CCH-11": indemnity_once_per_contract,
        "S21.G00.52.001/CCH-21": indemnity_needs_end_reason(("001",), ("043", "110", "099")),
        "S21.G00.52.001/CCH-22": indemnity_needs_end_reason(("003", "004"), ("038", "099")),
        "S21.G00.52.001/CCH-23": indemnity_needs_end_reason(("005", "006"), ("039", "059", "099")),
        "S21.G00.52.001/CCH-24": indemnity_needs_end_reason(
            ("007", "008", "009", "010"), DISMISSALS
        ),
        "S21.G00.52.001/CCH-27": indemnity_needs_end_reason(("016",), ("081", "084", "097", "099")),
        "S21.G00.52.001/CCH-29": indemnity_needs_end_reason(("032",), ("033", "091", "092", "099")),
        "S21.G00.52.001/CCH-31": indemnity_needs_end_reason(("033",), CONCILIATION),
        # The P26V01 text is cut after "53 - Contrat d'e…": the natures every version names
        # (01, 02, 03, 07, 08, 60, 82; the message's list) are used.
        "S21.G00.52.001/CCH-32": indemnity_contract_nature(
            ("039",), ("01", "02", "03", "07", "08", "60", "82"), inside=False
        ),
        "S21.G00.52.001/CCH-33": indemnity_contract_nature(("045",), ("03",), inside=True),
        "S21.G00.52.004/CCH-14": pepa_period_end,
        "S21.G00.52.007/CCH-13": date_cmp("S21.G00.52.007", "<=", "S21.G00.52.004", when=PEPA),
        "S21.G00.53.002/CCH-11": measure_limit_by_quotity_unit(("10", "21"), "3250.00"),
        "S21.G00.53.002/CCH-12": measure_limit_by_quotity_unit(("12", "20"), "403.00"),
        "S21.G00.53.003/CCH-12": activity_unit_needs_contract(b"31", b"004", (b"352a",)),
        "S21.G00.53.003/CCH-16": esat_sunday_hours,
        "S21.G00.53.003/SIG-13": activity_unit_needs_contract(b"32", b"005", (b"49",)),
    }
)

SCANS: dict[str, tuple[bytes, Scan]] = {
    "S21.G00.51.010/CCH-12": (INDIVIDUAL, contract_number_known(REMUNERATION, b"010")),
    "S21.G00.51.011/CCH-12": (INDIVIDUAL, service_line_pay_types(False, (b"002",))),
    "S21.G00.51.011/CCH-13": (INDIVIDUAL, service_line_pay_types(True, MONTHLY_PAY_TYPES)),
    "S21.G00.52.001/CCH-20": (INDIVIDUAL, special_and_specific_dismissal),
    "S21.G00.52.006/CCH-12": (INDIVIDUAL, contract_number_known(BONUS, b"006")),
    "S21.G00.53.003/SIG-11": (INDIVIDUAL, crpnpac_activity),
    "S21.G00.54.005/CCH-12": (INDIVIDUAL, contract_number_known(OTHER_INCOME, b"005")),
    "S21.G00.50.001/CCH-14": (INDIVIDUAL, net_social_for_current_month),
    "S21.G00.51.011/CCH-11": (INDIVIDUAL, pay_types_per_contract),
    "S21.G00.51.011/CCH-15": (PAYMENT, fctu_pay_types),
}
SCAN_CHILD: dict[Scan, bytes] = {
    net_social_for_current_month: PAYMENT,
    pay_types_per_contract: PAYMENT,
    special_and_specific_dismissal: PAYMENT,
    crpnpac_activity: CONTRACT,
}
