"""The cahier technique's consistency controls (CCH, SIG, CSL) as data plus small predicates.

A control is keyed by its official id (`S21.G00.40.001/CCH-15`) and written with the templates
below (`required`, `date_cmp`, `not_after_month_end`…), read from the rule's text in the
catalogue. It is checked when the block of its rubric closes, on the declaration tree
(`dsnlink.norm.tree`): the block's own rubrics, its open ancestors (individual, declaration) and
its closed children. A control listed here runs for every norm version whose catalogue holds its
id, so a new norm year reuses every rule whose id it keeps; ids it drops are simply not run.

Some controls are derived from the catalogue itself rather than listed: the "datation" rules
whose message is the norm's standard one (date ≤ last day of the main declared month, date ≤
date the file was built), and the address rules (postal code vs country, locality required),
recognised by their text and the labels of the block's rubrics.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from dsnlink.norm.catalogue import Catalogue
from dsnlink.norm.tree import Env, Node, parse_date

Check = Callable[[Node, Env], bool]
Cond = Callable[[Node, Env], bool]

INDIVIDUAL = b"S21.G00.30"


# -- resolving a rubric from the node a rule runs on ----------------------------------------------


_KEYS: dict[str, tuple[bytes, bytes]] = {}


def _key(rubric: str) -> tuple[bytes, bytes]:
    key = _KEYS.get(rubric)
    if key is None:
        key = _KEYS[rubric] = (rubric[:10].encode(), rubric[11:].encode())
    return key


def raw(node: Node, env: Env, key: tuple[bytes, bytes]) -> bytes | None:
    """`value` for a pre-split key, undecoded: the hot path of the date rules."""
    block, fld = key
    if node.block == block:
        return node.values.get(fld)
    holder = env.ancestor(block) or next(node.descendants(block), None)
    return None if holder is None else holder.values.get(fld)


@lru_cache(maxsize=8192)
def _date(value: bytes | None) -> date | None:
    return None if value is None else parse_date(value.decode("latin-1"))


def value(node: Node, env: Env, rubric: str) -> str | None:
    """The rubric's value seen from `node`: in itself, an open ancestor, or its first closed
    descendant of the rubric's block."""
    block, fld = _KEYS.get(rubric) or _key(rubric)
    if node.block == block:
        raw = node.values.get(fld)
    else:
        holder = env.ancestor(block) or next(node.descendants(block), None)
        raw = None if holder is None else holder.values.get(fld)
    return None if raw is None else raw.decode("latin-1")


# Rubrics a check or condition cannot fire without (see `Rule.needs`), and rubrics of which
# at least one must be present for it to fire (`Rule.needs_any`).
NEEDS: dict[Callable[[Node, Env], bool], tuple[str, ...]] = {}
NEEDS_ANY: dict[Callable[[Node, Env], bool], tuple[str, ...]] = {}
# A rubric and the values it must hold for a check or condition to fire (`Rule.gate`): the
# block close tests it with one dict lookup instead of calling the check.
GATES: dict[Callable[[Node, Env], bool], tuple[str, frozenset[bytes]]] = {}


def _gated(
    fn: Callable[[Node, Env], bool], when: Callable[[Node, Env], bool]
) -> Callable[[Node, Env], bool]:
    """`fn` fires only when `when` holds: it inherits `when`'s gate."""
    gate = GATES.get(when)
    if gate is not None:
        GATES[fn] = gate
    return fn


def _needs(
    fn: Callable[[Node, Env], bool], *parts: str | Callable[[Node, Env], bool]
) -> Callable[[Node, Env], bool]:
    rubrics: list[str] = []
    for part in parts:
        rubrics.extend((part,) if isinstance(part, str) else NEEDS.get(part, ()))
    NEEDS[fn] = tuple(rubrics)
    return fn


def _amount(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


# -- conditions -----------------------------------------------------------------------------------


def eq(rubric: str, *values: str) -> Cond:
    """The rubric is present with one of `values`."""
    wanted = frozenset(v.encode() for v in values)
    key = _key(rubric)
    cond = _needs(
        lambda n, e: raw(n, e, key) in wanted,
        rubric,
    )
    GATES[cond] = (rubric, wanted)
    return cond


def ne(rubric: str, *values: str) -> Cond:
    """The rubric is present with a value other than `values`."""
    unwanted = frozenset(v.encode() for v in values)
    key = _key(rubric)

    def cond(n: Node, e: Env) -> bool:
        v = n.values.get(key[1]) if n.block == key[0] else raw(n, e, key)
        return v is not None and v not in unwanted

    return _needs(cond, rubric)


def present(rubric: str) -> Cond:
    return _needs(lambda n, e: value(n, e, rubric) is not None, rubric)


def nature(*natures: str) -> Cond:
    wanted = frozenset(natures)
    return lambda n, e: e.nature in wanted


def all_of(*conds: Cond) -> Cond:
    both = _needs(lambda n, e: all(c(n, e) for c in conds), *conds)
    for c in conds:
        if c in GATES:
            return _gated(both, c)
    return both


def not_(cond: Cond) -> Cond:
    return lambda n, e: not cond(n, e)


def always(n: Node, e: Env) -> bool:
    return True


# -- checks: each returns True when the rule is broken --------------------------------------------


def required(target: str, when: Cond = always) -> Check:
    """`target` must be present when `when` holds."""
    key = _key(target)
    return _gated(
        _needs(
            lambda n, e: bool(when(n, e)) and raw(n, e, key) is None,
            when,
        ),
        when,
    )


def required_iff(target: str, when: Cond) -> Check:
    """`target` is mandatory when `when` holds and forbidden otherwise."""
    key = _key(target)
    check: Check = lambda n, e: bool(when(n, e)) == (raw(n, e, key) is None)  # noqa: E731
    # Cannot fire when neither the target nor what the condition needs is there.
    NEEDS_ANY[check] = (target, *NEEDS.get(when, ()))
    return check


def forbidden(target: str, when: Cond = always) -> Check:
    return _gated(
        _needs(lambda n, e: bool(when(n, e)) and value(n, e, target) is not None, target), when
    )


def forbidden_value(target: str, *values: str, when: Cond = always) -> Check:
    """`target` must not take one of `values` when `when` holds."""
    bad = frozenset(v.encode() for v in values)
    key = _key(target)
    check = _needs(
        lambda n, e: raw(n, e, key) in bad and bool(when(n, e)),
        target,
    )
    GATES[check] = (target, bad)
    return check


def allowed_values(target: str, values: tuple[str, ...], when: Cond) -> Check:
    """When `when` holds, `target` (if present) must be one of `values`."""
    ok = frozenset(values)

    def check(n: Node, e: Env) -> bool:
        v = value(n, e, target)
        return v is not None and v not in ok and bool(when(n, e))

    return _gated(_needs(check, target, when), when)


_OPS: dict[str, Callable[[date, date], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def date_cmp(a: str, op: str, b: str, when: Cond = always) -> Check:
    """Date `a` must be `op` date `b` (both present and valid, else the rule does not apply)."""
    test = _OPS[op]
    ka, kb = _key(a), _key(b)

    def check(n: Node, e: Env) -> bool:
        da = _date(raw(n, e, ka))
        if da is None:
            return False
        db = _date(raw(n, e, kb))
        return db is not None and not test(da, db) and (when is always or bool(when(n, e)))

    return _gated(_needs(check, a, b, when), when)


def after_birth(a: str, birth: str = "S21.G00.30.006") -> Check:
    """Date `a` must be after the individual's birth date (whose day or month may be unknown:
    00/99, then only the year is compared)."""

    def check(n: Node, e: Env) -> bool:
        da, b = parse_date(value(n, e, a)), value(n, e, birth)
        if da is None or b is None or len(b) != 8 or not b.isdigit():
            return False
        born = parse_date(b)
        if born is None:
            return da.year < int(b[4:])
        return da <= born

    return _needs(check, a)


def not_after_month_end(a: str, when: Cond = always) -> Check:
    """Date `a` ≤ last day of the main declared month (the norm's "datation", §4.4.12)."""

    ka = _key(a)

    def check(n: Node, e: Env) -> bool:
        d, end = _date(raw(n, e, ka)), e.month_end
        return (
            d is not None and end is not None and d > end and (when is always or bool(when(n, e)))
        )

    return _gated(_needs(check, a, when), when)


def not_after_next_month_end(a: str) -> Check:
    """Date `a` ≤ last day of the month following the main declared month."""

    ka = _key(a)

    def check(n: Node, e: Env) -> bool:
        d, end = (
            _date(raw(n, e, ka)),
            e.next_month_end,
        )
        return d is not None and end is not None and d > end

    return _needs(check, a)


def not_after_built(a: str, when: Cond = always) -> Check:
    """Date `a` ≤ the date the file was built (S20.G00.05.007; §4.4.13, event declarations)."""

    def check(n: Node, e: Env) -> bool:
        d = parse_date(value(n, e, a))
        return d is not None and e.built is not None and d > e.built and bool(when(n, e))

    return _gated(_needs(check, a, when), when)


def same_year(a: str, b: str) -> Check:
    ka, kb = _key(a), _key(b)

    def check(n: Node, e: Env) -> bool:
        da, db = (
            _date(raw(n, e, ka)),
            _date(raw(n, e, kb)),
        )
        return da is not None and db is not None and da.year != db.year

    return _needs(check, a, b)


def same_month(a: str, b: str, when: Cond = always) -> Check:
    ka, kb = _key(a), _key(b)

    def check(n: Node, e: Env) -> bool:
        da, db = (
            _date(raw(n, e, ka)),
            _date(raw(n, e, kb)),
        )
        return (
            da is not None
            and db is not None
            and (da.year, da.month) != (db.year, db.month)
            and bool(when(n, e))
        )

    return _gated(_needs(check, a, b, when), when)


def year_not_after_declared(a: str) -> Check:
    """A year (YYYY) ≤ the year of the main declared month."""

    def check(n: Node, e: Env) -> bool:
        v = value(n, e, a)
        return v is not None and v.isdigit() and e.month is not None and int(v) > e.month.year

    return _needs(check, a)


def month_not_after_declared(a: str) -> Check:
    """A month (MMYYYY, or a date DDMMYYYY) ≤ the main declared month."""

    def check(n: Node, e: Env) -> bool:
        v = value(n, e, a)
        d = parse_date("01" + v if v is not None and len(v) == 6 else v)
        return (
            d is not None
            and e.month is not None
            and (d.year, d.month) > (e.month.year, e.month.month)
        )

    return _needs(check, a)


def period_before_declared_month(start: str, end: str) -> Cond:
    """The period start..end lies before the main declared month (a regularisation)."""

    def cond(n: Node, e: Env) -> bool:
        d = parse_date(value(n, e, end)) or parse_date(value(n, e, start))
        return d is not None and e.month is not None and d < e.month

    return cond


def zero(target: str, when: Cond) -> Check:
    """`target` must be 0 (0.00) when `when` holds."""

    def check(n: Node, e: Env) -> bool:
        amount = _amount(value(n, e, target))
        return amount is not None and amount != 0 and bool(when(n, e))

    return _gated(_needs(check, target, when), when)


def not_zero(target: str, when: Cond = always) -> Check:
    def check(n: Node, e: Env) -> bool:
        amount = _amount(value(n, e, target))
        return amount is not None and amount == 0 and bool(when(n, e))

    return _gated(_needs(check, target, when), when)


def rate_times_base(amount: str, base: str, rate: str, tolerance: str = "1") -> Check:
    """`amount` = `base` × `rate` % within ± `tolerance` euros."""
    tol = Decimal(tolerance)

    def check(n: Node, e: Env) -> bool:
        a, b, r = (_amount(value(n, e, x)) for x in (amount, base, rate))
        if a is None or b is None or r is None:
            return False
        return abs(a - b * r / 100) > tol

    return _needs(check, amount, base, rate)


def not_only_zeros(target: str, when: Cond) -> Check:
    def check(n: Node, e: Env) -> bool:
        v = value(n, e, target)
        return v is not None and set(v) == {"0"} and bool(when(n, e))

    return _gated(_needs(check, target, when), when)


def only_rubric(block_field: str, *allowed: str) -> Check:
    """The block holds no rubric but `allowed` (e.g. a change block with only its date)."""
    keep = frozenset(f.encode() for f in (block_field, *allowed))
    return lambda n, e: bool(n.values) and set(n.values) <= keep


def unique_among_siblings(rubric: str, scope: bytes) -> Check:
    """No earlier occurrence of the rubric's block under the same `scope` ancestor has the same
    value."""
    block, fld = rubric[:10].encode(), rubric[11:]

    def check(n: Node, e: Env) -> bool:
        v = n.get(fld)
        holder = e.ancestor(scope)
        if v is None or holder is None:
            return False
        return any(
            other.block == block and other is not n and other.get(fld) == v
            for other in holder.children or ()
        )

    return _needs(check, rubric)


def required_when_several(rubric: str, scope: bytes) -> Check:
    """The rubric is mandatory when its block occurs more than once under `scope` (checked at the
    close of each occurrence after the first, and on the first from the second's)."""
    block, fld = rubric[:10].encode(), rubric[11:]

    def check(n: Node, e: Env) -> bool:
        holder = e.ancestor(scope)
        if holder is None or (holder.counts is not None and holder.counts.get(block, 0) < 2):
            return False
        earlier = [o for o in holder.children or () if o.block == block and o is not n]
        return bool(earlier) and (n.get(fld) is None or any(o.get(fld) is None for o in earlier))

    return check


def unique_pair_among_siblings(a: str, b: str, scope: bytes) -> Check:
    """No earlier occurrence of the block under `scope` has the same (a, b) pair."""
    block, fa, fb = a[:10].encode(), a[11:].encode(), b[11:].encode()

    def check(n: Node, e: Env) -> bool:
        pair = (n.values.get(fa), n.values.get(fb))
        holder = e.ancestor(scope)
        if holder is None or None in pair:
            return False
        return any(
            o.block == block and o is not n and (o.values.get(fa), o.values.get(fb)) == pair
            for o in holder.children or ()
        )

    return _needs(check, a, b)


def either(*checks: Check) -> Check:
    """Broken when one of `checks` is (a rule the text states as two comparisons)."""
    return lambda n, e: any(check(n, e) for check in checks)


def _establishment_siret(n: Node, e: Env) -> str | None:
    siren, nic = value(n, e, "S21.G00.06.001"), value(n, e, "S21.G00.11.001")
    return None if siren is None or nic is None else siren + nic


def other_payer(n: Node, e: Env) -> bool:
    """S21.G00.20.012 (SIRET payeur) is given and is not the establishment's own SIRET."""
    payer = value(n, e, "S21.G00.20.012")
    own = _establishment_siret(n, e)
    return payer is not None and own is not None and payer != own


NEEDS[other_payer] = ("S21.G00.20.012",)


def birth_department_allowed(dept: str, birth: str) -> Check:
    """2A/2B only from 1976, 20 only before 1976, 96 only before 1968 (year of the birth date)."""

    def check(n: Node, e: Env) -> bool:
        d, b = value(n, e, dept), value(n, e, birth)
        if d is None or b is None or len(b) != 8 or not b[4:].isdigit():
            return False
        year = int(b[4:])
        return (
            (d in ("2A", "2B") and year < 1976)
            or (d == "20" and year >= 1976)
            or (d == "96" and year >= 1968)
        )

    return _needs(check, dept)


# Seniority bounds by unit (S21.G00.86.002): 01 days, 02 months, 03 years.
_SENIORITY_LIMITS = {"01": 99 * 366, "02": 99 * 12, "03": 99}


def seniority_below_99_years(n: Node, e: Env) -> bool:
    unit, amount = value(n, e, "S21.G00.86.002"), _amount(value(n, e, "S21.G00.86.003"))
    limit = _SENIORITY_LIMITS.get(unit or "")
    return limit is not None and amount is not None and amount >= limit


NEEDS[seniority_below_99_years] = ("S21.G00.86.002", "S21.G00.86.003")


def required_all(targets: tuple[str, ...], when: Cond) -> Check:
    """Every rubric of `targets` must be present when `when` holds."""
    keys = tuple(_key(t) for t in targets)
    return _gated(
        _needs(lambda n, e: bool(when(n, e)) and any(raw(n, e, k) is None for k in keys), when),
        when,
    )


def birth_year_in_range(a: str) -> Check:
    """The year of a birth date ≤ the declared year and > the declared year - 120."""
    key = _key(a)

    def check(n: Node, e: Env) -> bool:
        v = raw(n, e, key)
        if v is None or len(v) != 8 or not v[4:].isdigit() or e.month is None:
            return False
        year = int(v[4:])
        return not e.month.year - 120 < year <= e.month.year

    return _needs(check, a)


def not_more_than(target: str, limit: str, when: Cond) -> Check:
    bound = Decimal(limit)

    def check(n: Node, e: Env) -> bool:
        amount = _amount(value(n, e, target))
        return amount is not None and amount > bound and bool(when(n, e))

    return _gated(_needs(check, target, when), when)


def first_of_month_or(a: str, other: str) -> Check:
    """Date `a` is the first day of a month, or equals date `other`."""
    ka, ko = _key(a), _key(other)

    def check(n: Node, e: Env) -> bool:
        d = _date(raw(n, e, ka))
        return d is not None and d.day != 1 and d != _date(raw(n, e, ko))

    return _needs(check, a)


def adhesion_declared(n: Node, e: Env) -> bool:
    """S21.G00.70.013/CCH-11: the affiliation names an adhesion (S21.G00.15.005) of the
    establishment."""
    wanted = n.values.get(b"013")
    establishment = e.ancestor(b"S21.G00.11")
    if wanted is None or establishment is None:
        return False
    return not any(
        c.block == b"S21.G00.15" and c.values.get(b"005") == wanted
        for c in establishment.children or ()
    )


NEEDS[adhesion_declared] = ("S21.G00.70.013",)


def unique_affiliation_triplet(n: Node, e: Env) -> bool:
    """S21.G00.70.013/CCH-12: one (option, population, adhesion) per contract."""
    fields = (b"004", b"005", b"013")
    mine = tuple(n.values.get(f) for f in fields)
    contract = e.ancestor(b"S21.G00.40")
    if contract is None:
        return False
    return any(
        c.block == b"S21.G00.70" and c is not n and tuple(c.values.get(f) for f in fields) == mine
        for c in contract.children or ()
    )


NEEDS[unique_affiliation_triplet] = ("S21.G00.70.013",)


def job_title_ok(text: str) -> bool:
    """S21.G00.40.006/CSL-11: no character three times in a row (digits excepted, 'i' allowed
    three times), and no leading character other than a letter or a digit."""
    if text and not text[0].isalnum():
        return False
    run, previous = 0, ""
    for ch in text:
        run = run + 1 if ch == previous else 1
        previous = ch
        if ch.isdigit():
            continue
        if run > (3 if ch in "iI" else 2):
            return False
    return True


def ntt_starts_with_1_or_2(rubric: str) -> Check:
    key = _key(rubric)
    return _needs(
        lambda n, e: (v := raw(n, e, key)) is not None and v[:1] not in (b"1", b"2"), rubric
    )


def ntt_without_space(rubric: str) -> Check:
    key = _key(rubric)
    return _needs(lambda n, e: b" " in (raw(n, e, key) or b""), rubric)


def only_component_23(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.79.001/SIG-18: a component 23 (none in the payroll) is its base's only one."""
    components = [c for c in n.children or () if c.block == b"S21.G00.79"]
    if len(components) > 1:
        yield from (c for c in components if c.values.get(b"001") == b"23")


def too_many_trailing_nines(rubric: str) -> Check:
    """More than five 9s at the end of a NIR."""
    key = _key(rubric)

    def check(n: Node, e: Env) -> bool:
        v = raw(n, e, key)
        return v is not None and len(v) - len(v.rstrip(b"9")) > 5

    return _needs(check, rubric)


def ntt_holds_siren(rubric: str) -> Check:
    """A temporary number's characters 2 to 10 are the declaration's SIREN (S21.G00.06.001)."""
    key = _key(rubric)

    def check(n: Node, e: Env) -> bool:
        v = raw(n, e, key)
        return v is not None and e.siren is not None and v[1:10].decode("latin-1") != e.siren

    return _needs(check, rubric)


def all_or_none(*rubrics: str) -> Check:
    """The rubrics are all present or all absent."""
    keys = tuple(_key(r) for r in rubrics)

    def check(n: Node, e: Env) -> bool:
        present_count = sum(raw(n, e, k) is not None for k in keys)
        return 0 < present_count < len(keys)

    NEEDS_ANY[check] = rubrics
    return check


def siren_key_ok(value: str) -> bool:
    return value.isdigit() and len(value) == 9 and _luhn(value)


def siret_key_ok(value: str) -> bool:
    return (
        value.isdigit()
        and len(value) == 14
        and (_luhn(value) or (value[:9] == "356000000" and sum(map(int, value)) % 5 == 0))
    )


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# -- scans: controls checked at an ancestor's close, over its subtree -----------------------------

Scan = Callable[[Node, Env], Iterator[Node]]


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
            amount = _amount((c.values.get(b"013") or b"").decode("latin-1") or None)
            if amount is not None and amount != 0:
                yield c
                return


def _children(n: Node, block: bytes) -> list[Node]:
    return [c for c in n.children or () if c.block == block]


def base_31_has_component(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.79.001/CCH-11: a base 31 (prévoyance) has at least one component (S21.G00.79)."""
    if n.values.get(b"001") == b"31" and not _children(n, b"S21.G00.79"):
        yield n


def component_23_means_no_contribution(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.79.001/CCH-13: with a component 23 (none in the payroll), the base's
    contributions (S21.G00.81.004) are 0."""
    if any(c.values.get(b"001") == b"23" for c in _children(n, b"S21.G00.79")):
        for c in _children(n, b"S21.G00.81"):
            amount = _amount((c.values.get(b"004") or b"").decode("latin-1") or None)
            if amount is not None and amount != 0:
                yield c


def ircantec_base_has_contribution(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.81.001/CCH-11: a base 28 (IRCANTEC) carries a contribution 060 or 061."""
    if n.values.get(b"001") == b"28" and not any(
        c.values.get(b"001") in (b"060", b"061") for c in _children(n, b"S21.G00.81")
    ):
        yield n


def base_31_has_one_059(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.81.001/CCH-15: a base 31 carries one and only one contribution 059."""
    if n.values.get(b"001") == b"31":
        found = [c for c in _children(n, b"S21.G00.81") if c.values.get(b"001") == b"059"]
        if len(found) != 1:
            yield found[1] if len(found) > 1 else n


def _affiliations(individual: Node) -> set[bytes]:
    return {
        a.values.get(b"012") or b""
        for contract in _children(individual, b"S21.G00.40")
        for a in _children(contract, b"S21.G00.70")
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
        for payment in _children(n, b"S21.G00.50")
        for b in _children(payment, b"S21.G00.78")
        if b.values.get(b"001") == b"31"
    }
    for contract in _children(n, b"S21.G00.40"):
        for a in _children(contract, b"S21.G00.70"):
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
        {a.values.get(b"005") for a in _children(establishment, b"S21.G00.15")}
        if establishment is not None
        else set()
    )
    return n.values.get(b"005") not in adhesions


def payment_is_sum_of_components(n: Node, e: Env) -> bool:
    """S21.G00.20.005/CCH-12: a payment with components (S21.G00.55, which only prévoyance
    payments carry) equals their sum, or 0 when the sum is negative."""
    components = _children(n, b"S21.G00.55")
    amount = _amount(n.get("005"))
    if not components or amount is None:
        return False
    total = Decimal(0)
    for c in components:
        part = _amount(c.get("001"))
        if part is None:
            return False
        total += part
    return amount != max(total, Decimal(0))


def before_month_start(a: str) -> Check:
    """Date `a` < the first day of the main declared month (a period declared wrongly earlier)."""
    key = _key(a)

    def check(n: Node, e: Env) -> bool:
        d = _date(raw(n, e, key))
        return d is not None and e.month is not None and d >= e.month

    return _needs(check, a)


def _contract_end(contract: Node) -> date | None:
    """End date of a contract from its S21.G00.62 block, unless that end is cancelled (099)."""
    for end in _children(contract, b"S21.G00.62"):
        if end.values.get(b"002") != b"099":
            return _date(end.values.get(b"001"))
    return None


def sick_leave_before_contract_end(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.60.002/CCH-17: the last day worked before a leave is not after the contract's end."""
    end = _contract_end(n)
    if end is None:
        return
    for leave in _children(n, b"S21.G00.60"):
        last = _date(leave.values.get(b"002"))
        if leave.values.get(b"001") != b"99" and last is not None and last > end:
            yield leave


def suspension_before_contract_end(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.65.002/CCH-13: a suspension starts by the contract's end (unless cancelled, 998)."""
    end = _contract_end(n)
    if end is None:
        return
    for suspension in _children(n, b"S21.G00.65"):
        start = _date(suspension.values.get(b"002"))
        if suspension.values.get(b"001") != b"998" and start is not None and start > end:
            yield suspension


THERAPEUTIC_PART_TIME = frozenset({b"15", b"16", b"17", b"18"})


def therapeutic_part_time_has_its_block(n: Node, e: Env) -> bool:
    """S21.G00.60.001/SIG-13: a therapeutic part-time leave (15-18) carries an S21.G00.66."""
    return n.values.get(b"001") in THERAPEUTIC_PART_TIME and not _children(n, b"S21.G00.66")


NEEDS[therapeutic_part_time_has_its_block] = ("S21.G00.60.001",)


NOTICE_WITH_DATES = ("01", "02", "03", "10", "50", "51", "60", "61")
NOTICE_NOT_WORKED = frozenset({b"02", b"03", b"10", b"50", b"51", b"61"})


def last_day_before_unworked_notice(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.62.006/CCH-12: with a notice not worked, the last day worked and paid as usual is
    before the notice starts."""
    last = _date(n.values.get(b"006"))
    if last is None:
        return
    for notice in _children(n, b"S21.G00.63"):
        start = _date(notice.values.get(b"002"))
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


# -- the table ----------------------------------------------------------------------------------

# Conditions built once (a check must never build templates while it runs).
PAYS_DGFIP = eq("S21.G00.20.001", "DGFIP")
PAID_BY_ANOTHER_ESTABLISHMENT = eq("S21.G00.20.010", "06")
NO_PAS_RATE = eq("S21.G00.50.007", "99")
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
APPRENTICESHIPS = frozenset({b"64", b"65", b"81"})
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
    # Envoi, déclaration
    "S10.G00.00.007/CCH-11": forbidden_value("S10.G00.00.007", "02", when=nature("10")),
    "S20.G00.05.008/CCH-11": forbidden_value(
        "S20.G00.05.008", "02", when=eq("S10.G00.00.007", "01")
    ),
    "S20.G00.05.008/CCH-12": forbidden_value(
        "S20.G00.05.008", "03", when=eq("S10.G00.00.007", "02")
    ),
    "S21.G00.11.024/CCH-11": forbidden("S21.G00.11.024", when=ne("S20.G00.05.002", "02", "05")),
    "S21.G00.12.001/CCH-11": forbidden_value("S21.G00.12.001", "01", when=not_(nature("08"))),
    "S21.G00.13.003/CCH-11": lambda n, e: (
        (value(n, e, "S21.G00.13.002") is None) != (value(n, e, "S21.G00.13.003") is None)
    ),
    "S21.G00.13.004/CCH-11": year_not_after_declared("S21.G00.13.004"),
    "S20.G00.05.010/SIG-11": lambda n, e: (
        value(n, e, "S20.G00.05.010") == "02"
        and (p := value(n, e, "S21.G00.06.005")) is not None
        and p[:3] not in ("986", "987", "988")
    ),
    "S21.G00.40.006/CSL-11": lambda n, e: (
        (t := value(n, e, "S21.G00.40.006")) is not None and not job_title_ok(t)
    ),
    "S21.G00.40.005/SIG-20": lambda n, e: (
        (value(n, e, "S21.G00.40.004") == "546d")
        != (value(n, e, "S21.G00.40.005") in ("546dN", "546dM"))
    ),
    "S21.G00.40.029/SIG-12": required("S21.G00.40.029", when=eq("S21.G00.11.017", "02", "03")),
    "S21.G00.40.043/SIG-11": required_iff("S21.G00.40.043", ne("S21.G00.40.040", "999ZZ")),
    "S21.G00.79.001/SIG-19": zero("S21.G00.79.004", when=eq("S21.G00.79.001", "23")),
    "S21.G00.85.001/CCH-11": lambda n, e: (
        n.values.get(b"010") == b"01"
        and (v := n.get("001")) is not None
        and not siren_key_ok(v[:9])
    ),
    "S21.G00.85.001/CCH-12": lambda n, e: (
        n.values.get(b"010") == b"01" and (v := n.get("001")) is not None and not siret_key_ok(v)
    ),
    "S21.G00.85.002/CCH-11": required("S21.G00.85.002", when=eq("S21.G00.85.010", "01")),
    "S21.G00.85.011/CCH-11": required("S21.G00.85.011", when=not_(present("S21.G00.85.006"))),
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
    "S21.G00.20.005/CCH-12": payment_is_sum_of_components,
    "S21.G00.20.012/CCH-13": forbidden(
        "S21.G00.20.012", when=all_of(PAYS_DGFIP, eq("S21.G00.20.010", "05"))
    ),
    "S21.G00.55.005/CCH-11": forbidden(
        "S21.G00.55.005",
        when=not_(period_before_declared_month("S21.G00.20.006", "S21.G00.20.007")),
    ),
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
        and (d := _date(n.values.get(b"003"))) is not None
        and e.next_month_end is not None
        and d > e.next_month_end
    ),
    "S21.G00.82.003/CCH-12": lambda n, e: (
        n.values.get(b"002") in CONTRIBUTIONS_THIS_MONTH
        and (d := _date(n.values.get(b"003"))) is not None
        and e.month_end is not None
        and d > e.month_end
    ),
    "S21.G00.82.005/CCH-12": allowed_values(
        "S21.G00.82.005",
        tuple(f"{i:02d}" for i in range(1, 38)),
        when=eq("S21.G00.82.002", "024", "054"),
    ),
    "S21.G00.82.005/CCH-14": reference_is_an_adhesion,
    "S21.G00.40.031/CCH-11": forbidden(
        "S21.G00.40.031", when=eq("S21.G00.40.029", "01", "02", "04", "05")
    ),
    # The rule's list of natures is cut in the sources: the natures it shows are checked.
    "S21.G00.62.021/CCH-11": forbidden(
        "S21.G00.62.021", when=eq("S21.G00.40.007", "01", "07", "08", "09", "10")
    ),
    "S21.G00.63.002/CCH-11": required_iff(
        "S21.G00.63.002", eq("S21.G00.63.001", *NOTICE_WITH_DATES)
    ),
    "S21.G00.63.003/CCH-14": required_iff(
        "S21.G00.63.003", eq("S21.G00.63.001", *NOTICE_WITH_DATES)
    ),
    "S20.G00.05.012/CCH-11": required("S20.G00.05.012", when=eq("S20.G00.05.011", "02", "07")),
    "S21.G00.44.001/CCH-11": required(
        "S21.G00.44.002", when=eq("S21.G00.44.001", "005", "009", "015", "016")
    ),
    "S21.G00.60.001/CCH-14": forbidden_value(
        "S21.G00.60.001", "15", "16", "17", "18", when=not_(nature("01", "07"))
    ),
    "S21.G00.60.001/SIG-13": therapeutic_part_time_has_its_block,
    "S21.G00.62.006/CCH-16": required(
        "S21.G00.62.006", when=all_of(eq("S21.G00.40.021", "05"), ne("S21.G00.62.002", "099"))
    ),
    "S21.G00.62.013/CCH-11": required("S21.G00.62.013", when=eq("S21.G00.62.002", "026", "114")),
    "S21.G00.65.004/CCH-11": required_iff("S21.G00.65.004", eq("S21.G00.65.001", "655", "674")),
    "S21.G00.72.001/CCH-11": lambda n, e: (
        (mine := n.get("001")) is not None
        and (parent := value(n, e, "S21.G00.71.002")) is not None
        and parent != "IRCANTEC"
        and mine == parent
    ),
    "S21.G00.73.005/CCH-11": birth_year_in_range("S21.G00.73.005"),
    "S21.G00.73.011/CCH-11": date_cmp("S21.G00.73.011", ">=", "S21.G00.73.004"),
    "S21.G00.83.002/CCH-11": date_cmp("S21.G00.83.002", ">=", "S21.G00.83.001"),
    "S21.G00.83.002/CCH-12": before_month_start("S21.G00.83.002"),
    "S21.G00.84.002/CCH-11": date_cmp("S21.G00.84.002", ">=", "S21.G00.83.001"),
    "S21.G00.84.003/CCH-11": date_cmp("S21.G00.84.003", ">=", "S21.G00.84.002"),
    "S21.G00.84.003/CCH-12": before_month_start("S21.G00.84.003"),
    "S21.G00.84.003/CCH-13": date_cmp("S21.G00.84.003", "<=", "S21.G00.83.002"),
    "S21.G00.86.001/CCH-13": unique_pair_among_siblings(
        "S21.G00.86.001", "S21.G00.86.005", INDIVIDUAL
    ),
    "S21.G00.86.003/CCH-12": not_zero(
        "S21.G00.86.003", when=eq("S21.G00.86.001", "02", "03", "04", "06", "07")
    ),
    # Individu non salarié: bases spécifiques and PAS, as for the salaried (S21.G00.50/56).
    "S89.G00.92.001/CCH-11": required_all(
        ("S89.G00.91.017", "S89.G00.91.018"), when=eq("S89.G00.92.001", "01", "02", "03", "05")
    ),
    "S89.G00.92.005/CCH-11": date_cmp("S89.G00.92.005", ">=", "S89.G00.92.004"),
    "S89.G00.92.006/CCH-12": required_iff("S89.G00.92.006", eq("S89.G00.92.002", "50")),
    "S89.G00.92.008/CCH-11": lambda n, e: (
        n.values.get(b"008") == b"99"
        and any((a := _amount(n.get(f))) is not None and a != 0 for f in ("007", "010"))
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
    "S21.G00.13.004/CCH-12": lambda n, e: (
        b"004" in n.values and b"001" not in n.values and b"002" not in n.values
    ),
    "S21.G00.11.019/SIG-11": required(
        "S21.G00.11.019", when=all_of(eq("S10.G00.00.002", "TESE", "CEA"), nature("01"))
    ),
    "S21.G00.12.001/CCH-12": forbidden_value(
        "S21.G00.12.001", "01", when=not_(eq("S20.G00.05.011", "01"))
    ),
    "S21.G00.15.001/CCH-11": unique_pair_among_siblings(
        "S21.G00.15.001", "S21.G00.15.002", b"S21.G00.11"
    ),
    "S21.G00.15.005/CCH-11": unique_among_siblings("S21.G00.15.005", b"S21.G00.11"),
    # Versement OPS, bordereau, cotisation agrégée
    "S21.G00.20.003/CCH-12": forbidden("S21.G00.20.003", when=other_payer),
    "S21.G00.20.004/CCH-12": forbidden("S21.G00.20.004", when=other_payer),
    "S21.G00.20.005/CCH-13": not_more_than("S21.G00.20.005", "999999999.00", when=PAYS_DGFIP),
    "S21.G00.20.010/SIG-14": allowed_values("S21.G00.20.010", ("06",), when=other_payer),
    "S21.G00.20.012/CCH-12": lambda n, e: (
        bool(PAID_BY_ANOTHER_ESTABLISHMENT(n, e)) and not other_payer(n, e)
    ),
    "S21.G00.20.012/CCH-14": lambda n, e: (
        bool(PAYS_DGFIP(n, e))
        and (p := value(n, e, "S21.G00.20.012")) is not None
        and (s := value(n, e, "S21.G00.06.001")) is not None
        and p[:9] != s
    ),
    "S21.G00.23.006/CCH-11": required(
        "S21.G00.23.006", when=eq("S21.G00.23.001", "900", "901", "911", "917", "921", "927")
    ),
    "S21.G00.20.002/CCH-11": required("S21.G00.20.002", when=eq("S21.G00.20.001", "DGFIP")),
    "S21.G00.20.007/CCH-11": date_cmp("S21.G00.20.007", ">=", "S21.G00.20.006"),
    "S21.G00.20.010/CCH-12": required("S21.G00.20.004", when=eq("S21.G00.20.010", "05")),
    "S21.G00.20.010/CCH-14": allowed_values(
        "S21.G00.20.010", ("05", "06"), when=eq("S21.G00.20.001", "DGFIP")
    ),
    "S21.G00.20.010/SIG-13": required("S21.G00.20.003", when=eq("S21.G00.20.010", "05")),
    "S21.G00.20.013/CCH-11": forbidden(
        "S21.G00.20.013",
        when=not_(period_before_declared_month("S21.G00.20.006", "S21.G00.20.007")),
    ),
    "S21.G00.20.014/CCH-11": required("S21.G00.20.014", when=eq("S21.G00.20.002", "DGFIP_SATD")),
    "S21.G00.22.004/CCH-11": date_cmp("S21.G00.22.004", ">=", "S21.G00.22.003"),
    "S21.G00.22.006/CCH-11": forbidden(
        "S21.G00.22.006",
        when=not_(period_before_declared_month("S21.G00.22.003", "S21.G00.22.004")),
    ),
    "S21.G00.23.007/CCH-11": forbidden(
        "S21.G00.23.007",
        when=not_(period_before_declared_month("S21.G00.22.003", "S21.G00.22.004")),
    ),
    # Individu
    "S21.G00.30.007/CCH-11": required("S21.G00.30.007", when=ne("S21.G00.30.014", "99")),
    "S21.G00.30.029/CCH-11": required(
        "S21.G00.30.029", when=all_of(eq("S21.G00.30.014", "99"), not_(present("S21.G00.30.007")))
    ),
    "S21.G00.30.014/CCH-11": birth_department_allowed("S21.G00.30.014", "S21.G00.30.006"),
    "S21.G00.30.025/CCH-11": lambda n, e: (
        n.values.get(b"025") is None
        and any(
            c.block == b"S21.G00.40" and c.values.get(b"008") in APPRENTICESHIPS
            for c in n.children or ()
        )
    ),
    "S21.G00.31.001/CCH-12": only_rubric("001"),
    "S21.G00.31.011/CCH-12": birth_year_in_range("S21.G00.31.011"),
    # Contrat
    "S21.G00.40.001/CCH-13": date_cmp(
        "S21.G00.40.001", "<=", "S21.G00.62.001", when=ne("S21.G00.62.002", "099")
    ),
    "S21.G00.40.001/CCH-15": after_birth("S21.G00.40.001"),
    "S21.G00.40.009/CCH-12": unique_among_siblings("S21.G00.40.009", INDIVIDUAL),
    "S21.G00.40.009/CCH-15": not_only_zeros("S21.G00.40.009", when=eq("S21.G00.40.007", "03")),
    "S21.G00.40.010/CCH-11": date_cmp("S21.G00.40.010", ">=", "S21.G00.40.001"),
    # The rule's text is cut in the sources; its message lists the natures: 02, 03, 10, 29, 70, 92.
    "S21.G00.40.010/CCH-12": required(
        "S21.G00.40.010", when=eq("S21.G00.40.007", "02", "03", "10", "29", "70", "92")
    ),
    "S21.G00.40.012/CCH-11": not_zero(
        "S21.G00.40.012",
        when=lambda n, e: (
            (u := value(n, e, "S21.G00.40.011")) is not None and u.isdigit() and int(u) <= 21
        ),
    ),
    "S21.G00.40.013/CCH-11": not_zero(
        "S21.G00.40.013",
        when=lambda n, e: (
            (u := value(n, e, "S21.G00.40.011")) is not None and u.isdigit() and int(u) <= 21
        ),
    ),
    "S21.G00.40.022/CCH-11": forbidden_value("S21.G00.40.022", "99"),
    "S21.G00.40.008/CCH-11": forbidden_value(
        "S21.G00.40.008", "81", when=ne("S21.G00.40.007", "02", "92")
    ),
    "S21.G00.40.008/CCH-12": forbidden_value(
        "S21.G00.40.008", "70", when=ne("S21.G00.40.007", "02", "92")
    ),
    "S21.G00.40.008/CCH-13": forbidden_value(
        "S21.G00.40.008", "80", when=ne("S21.G00.40.007", "01", "82", "91")
    ),
    "S21.G00.40.008/CCH-16": forbidden_value(
        "S21.G00.40.008", "71", when=ne("S21.G00.40.007", "02", "03", "92")
    ),
    "S21.G00.40.027/CCH-12": lambda n, e: (
        (c := value(n, e, "S21.G00.40.033")) is not None
        and not c.startswith("C")
        and value(n, e, "S21.G00.40.027") is None
    ),
    "S21.G00.40.029/CCH-11": allowed_values(
        "S21.G00.40.008", ("81",), when=eq("S21.G00.40.029", "05")
    ),
    "S21.G00.40.030/CCH-11": required_iff("S21.G00.40.030", eq("S21.G00.40.029", "03", "04")),
    "S21.G00.40.046/CCH-11": required(
        "S21.G00.40.046", when=eq("S21.G00.40.007", "03", "53", "54")
    ),
    "S21.G00.40.050/CCH-11": forbidden("S21.G00.40.050", when=ne("S21.G00.40.007", "02", "10")),
    "S21.G00.40.054/CCH-11": required_iff("S21.G00.40.054", eq("S21.G00.40.053", "02")),
    "S21.G00.40.066/CCH-11": required_iff("S21.G00.40.066", eq("S21.G00.40.007", "20", "21")),
    "S21.G00.40.075/CCH-11": forbidden("S21.G00.40.075", when=ne("S21.G00.40.020", "136")),
    # Only in a signalement DPAE (nature 10), as the rule says.
    "S21.G00.40.082/CCH-11": required(
        "S21.G00.40.082", when=all_of(eq("S21.G00.40.007", "01", "09"), nature("10"))
    ),
    "S21.G00.40.008/CCH-14": forbidden_value(
        "S21.G00.40.008", "64", "65", when=ne("S21.G00.40.007", "01", "02", "03", "08", "91", "92")
    ),
    "S21.G00.40.008/CCH-18": forbidden_value(
        "S21.G00.40.008", "83", when=ne("S21.G00.40.007", "01")
    ),
    "S21.G00.40.011/CCH-11": forbidden_value(
        "S21.G00.40.011", "31", when=ne("S21.G00.40.004", "352a")
    ),
    "S21.G00.40.011/SIG-14": forbidden_value(
        "S21.G00.40.011", "32", when=ne("S21.G00.40.005", "49")
    ),
    "S21.G00.40.018/CCH-14": forbidden_value(
        "S21.G00.40.018", "300", when=ne("S10.G00.00.007", "02")
    ),
    "S21.G00.40.021/CCH-13": forbidden_value(
        "S21.G00.40.021", "14", when=ne("S21.G00.40.007", "92")
    ),
    "S21.G00.40.040/CCH-15": lambda n, e: (
        (v := value(n, e, "S21.G00.40.040")) is not None
        and v.startswith("RA")
        and value(n, e, "S21.G00.40.039") != "300"
    ),
    "S21.G00.40.042/CCH-11": required_iff("S21.G00.40.042", eq("S21.G00.40.018", "300")),
    "S21.G00.40.046/CCH-12": required("S21.G00.40.046", when=eq("S21.G00.40.007", "08")),
    "S21.G00.40.063/CCH-11": required_iff("S21.G00.40.063", present("S21.G00.40.062")),
    "S21.G00.86.003/CCH-11": seniority_below_99_years,
    "S21.G00.40.027/CCH-11": forbidden("S21.G00.40.027", when=ne("S21.G00.40.029", "02")),
    "S21.G00.40.032/CCH-11": forbidden("S21.G00.40.032", when=ne("S21.G00.40.029", "02")),
    "S21.G00.40.033/CCH-11": required_iff("S21.G00.40.033", eq("S21.G00.40.029", "02")),
    "S21.G00.40.076/CCH-11": required_iff("S21.G00.40.076", eq("S21.G00.40.007", "93")),
    "S21.G00.40.069/CCH-11": forbidden_value("S21.G00.40.069", "ZZZ"),
    "S21.G00.40.071/CCH-11": forbidden_value("S21.G00.40.071", "000"),
    "S21.G00.40.079/CCH-11": forbidden_value("S21.G00.40.079", "99999"),
    "S21.G00.40.080/CCH-11": forbidden("S21.G00.40.080", when=eq("S21.G00.40.026", "99")),
    "S21.G00.40.080/CCH-12": forbidden_value("S21.G00.40.080", "999"),
    "S21.G00.40.081/CCH-11": forbidden_value("S21.G00.40.081", "999999999"),
    "S21.G00.41.001/CCH-12": only_rubric("001"),
    "S21.G00.41.001/CCH-14": only_rubric("001", "028"),
    "S21.G00.41.001/CCH-15": not_after_month_end("S21.G00.41.001"),
    "S21.G00.41.028/CCH-13": first_of_month_or("S21.G00.41.028", "S21.G00.40.001"),
    "S21.G00.41.028/CCH-14": date_cmp("S21.G00.41.028", ">=", "S21.G00.40.001"),
    "S21.G00.41.028/CCH-15": date_cmp("S21.G00.41.028", "<=", "S21.G00.41.001"),
    "S21.G00.44.003/CCH-11": year_not_after_declared("S21.G00.44.003"),
    "S21.G00.44.004/CCH-11": required_iff("S21.G00.44.004", eq("S21.G00.44.001", "002")),
    # Versement individu, rémunération, primes, autres éléments
    "S21.G00.50.001/CCH-13": not_after_next_month_end("S21.G00.50.001"),
    "S21.G00.50.003/CCH-11": unique_among_siblings("S21.G00.50.003", INDIVIDUAL),
    "S21.G00.50.003/CCH-12": required_when_several("S21.G00.50.003", INDIVIDUAL),
    "S21.G00.50.007/CCH-11": lambda n, e: (
        bool(NO_PAS_RATE(n, e))
        and any(
            (a := _amount(value(n, e, r))) is not None and a != 0
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
    # Arrêt de travail, fin de contrat, suspension
    "S21.G00.60.001/CCH-12": forbidden_value("S21.G00.60.001", "99", when=not_(nature("01", "07"))),
    "S21.G00.60.002/CCH-12": date_cmp("S21.G00.60.002", "<=", "S21.G00.60.003"),
    "S21.G00.60.005/CCH-11": required_iff("S21.G00.60.005", eq("S21.G00.60.004", "01")),
    "S21.G00.60.006/CCH-11": required_iff("S21.G00.60.006", eq("S21.G00.60.004", "01")),
    "S21.G00.60.006/CCH-12": date_cmp("S21.G00.60.006", ">=", "S21.G00.60.005"),
    "S21.G00.60.007/CCH-11": required("S21.G00.60.007", when=eq("S21.G00.60.004", "01")),
    "S21.G00.60.008/CCH-11": required("S21.G00.60.008", when=eq("S21.G00.60.004", "01")),
    "S21.G00.60.010/CCH-11": either(
        date_cmp("S21.G00.60.010", ">=", "S21.G00.40.001"),
        date_cmp("S21.G00.60.010", ">=", "S21.G00.60.002"),
    ),
    "S21.G00.60.012/SIG-14": date_cmp("S21.G00.60.012", ">=", "S21.G00.40.001"),
    "S21.G00.60.002/CCH-18": date_cmp(
        "S21.G00.60.002", ">=", "S21.G00.40.001", when=not_(nature("01", "07"))
    ),
    "S21.G00.60.011/CCH-12": forbidden_value("S21.G00.60.011", "02", when=not_(nature("01", "07"))),
    "S21.G00.60.012/CCH-11": required(
        "S21.G00.60.012", when=eq("S21.G00.60.001", "04", "05", "06")
    ),
    "S21.G00.62.001/CCH-11": date_cmp("S21.G00.62.001", ">", "S21.G00.62.004"),
    "S21.G00.62.002/CCH-13": forbidden_value("S21.G00.62.002", "099", when=not_(nature("01"))),
    "S21.G00.62.003/CCH-11": either(
        date_cmp("S21.G00.62.003", ">=", "S21.G00.40.001"),
        date_cmp("S21.G00.62.003", "<=", "S21.G00.62.001"),
    ),
    "S21.G00.62.003/CCH-12": required(
        "S21.G00.62.003",
        when=eq(
            "S21.G00.62.002",
            "011",
            "012",
            "014",
            "015",
            "020",
            "025",
            "034",
            "035",
            "036",
            "037",
            "058",
            "059",
            "082",
            "083",
            "087",
            "088",
            "089",
            "095",
            "096",
            "097",
            "111",
            "112",
            "113",
            "115",
            "117",
        ),
    ),
    "S21.G00.62.004/CCH-11": required(
        "S21.G00.62.004", when=eq("S21.G00.62.002", "043", "110", "111")
    ),
    "S21.G00.62.005/CCH-11": date_cmp("S21.G00.62.005", "<=", "S21.G00.62.001"),
    "S21.G00.62.005/CCH-12": required(
        "S21.G00.62.005",
        when=eq(
            "S21.G00.62.002",
            "011",
            "012",
            "014",
            "015",
            "020",
            "026",
            "086",
            "087",
            "088",
            "089",
            "091",
            "092",
            "093",
            "111",
            "112",
            "113",
            "114",
            "115",
            "117",
        ),
    ),
    "S21.G00.62.002/CCH-14": forbidden_value(
        "S21.G00.62.002", "116", when=ne("S21.G00.40.020", "136")
    ),
    "S21.G00.62.006/CCH-15": either(
        date_cmp("S21.G00.62.006", ">=", "S21.G00.40.001"),
        date_cmp("S21.G00.62.006", "<=", "S21.G00.62.001", when=ne("S21.G00.62.002", "099")),
    ),
    "S21.G00.62.011/CCH-11": required_iff("S21.G00.62.011", eq("S21.G00.62.002", "026")),
    "S21.G00.62.018/CCH-11": required_iff("S21.G00.62.018", eq("S21.G00.62.002", "114")),
    "S21.G00.62.019/CCH-12": forbidden("S21.G00.62.019", when=ne("S21.G00.40.020", "136")),
    "S21.G00.63.001/CCH-11": allowed_values(
        "S21.G00.63.001", ("60", "90"), when=eq("S21.G00.62.002", "034", "035")
    ),
    "S21.G00.63.001/CCH-12": allowed_values(
        "S21.G00.63.001", ("90",), when=eq("S21.G00.62.002", "043", "110")
    ),
    "S21.G00.63.001/CCH-13": allowed_values(
        "S21.G00.63.001", ("10",), when=eq("S21.G00.62.002", "026")
    ),
    "S21.G00.63.002/CCH-13": date_cmp(
        "S21.G00.63.002", ">=", "S21.G00.62.003", when=ne("S21.G00.63.001", "90")
    ),
    "S21.G00.63.002/CCH-14": date_cmp(
        "S21.G00.63.002", ">", "S21.G00.62.005", when=ne("S21.G00.63.001", "90")
    ),
    "S21.G00.63.002/CCH-16": date_cmp("S21.G00.63.002", ">=", "S21.G00.40.001"),
    "S21.G00.63.003/CCH-13": date_cmp("S21.G00.63.003", ">=", "S21.G00.63.002"),
    "S21.G00.70.013/CCH-11": adhesion_declared,
    "S21.G00.70.013/CCH-12": unique_affiliation_triplet,
    "S21.G00.70.015/CCH-11": date_cmp("S21.G00.70.015", ">=", "S21.G00.70.014"),
    "S21.G00.71.002/SIG-11": forbidden_value(
        "S21.G00.71.002", "CRPCEN", when=ne("S21.G00.40.016", "01")
    ),
    "S21.G00.71.002/SIG-14": allowed_values(
        "S21.G00.71.002", ("90000",), when=eq("S21.G00.40.020", "140")
    ),
    "S21.G00.62.006/CCH-14": required("S21.G00.62.006", when=eq("S21.G00.40.007", "03")),
    "S21.G00.65.002/CCH-11": date_cmp("S21.G00.65.002", ">=", "S21.G00.40.001"),
    "S21.G00.65.003/CCH-11": date_cmp("S21.G00.65.003", ">=", "S21.G00.65.002"),
    "S21.G00.66.002/SIG-11": date_cmp("S21.G00.66.002", ">=", "S21.G00.66.001"),
    # Base assujettie, cotisations
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

GATES[CHECKS["S21.G00.50.007/CCH-11"]] = ("S21.G00.50.007", frozenset({b"99"}))
NEEDS[CHECKS["S21.G00.40.006/CSL-11"]] = ("S21.G00.40.006",)
NEEDS[CHECKS["S21.G00.40.027/CCH-12"]] = ("S21.G00.40.033",)
NEEDS[CHECKS["S21.G00.40.040/CCH-15"]] = ("S21.G00.40.040",)

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

# Controls implemented in the validator's own code (keys, NIR, declaration, envoi).
_MONTH_END_MESSAGE = "dernier jour civil du mois principal déclaré"
# "Si le « Numéro d'inscription au répertoire - X » n'est pas renseigné, le « Numéro technique
# temporaire - Y » doit obligatoirement être renseigné."
_NIR_OR_NTT = re.compile(
    r"Si le [«\"]\s*Numéro d'inscription au répertoire - (S\d\d\.G\d\d\.\d\d\.\d\d\d)\s*[»\"] "
    r"n'est pas renseigné, le [«\"]\s*Numéro technique temporaire - "
    r"(S\d\d\.G\d\d\.\d\d\.\d\d\d)\s*[»\"] doit obligatoirement être renseigné"
)
# Controls the validator checks as it reads the line (dsnlink/norm/service.py), not derived here.
CHECKED_BY_HOOKS = frozenset({"S21.G00.30.020/CSL-11", "S21.G00.30.020/CSL-12"})
# "… avec la valeur 'ZZ9'. Cette valeur ne peut être utilisée qu'en bloc Changements …"
_PLACEHOLDER = re.compile(r"avec la valeur\s*[«'\"‘]\s*([^'»\"’\s]+)\s*[»'\"’]")
_BUILT_MESSAGE = "date de constitution du fichier"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    block: bytes  # block at whose close the rule runs
    check: Check | None = None
    scan: Scan | None = None
    # Fields of `block` the rule cannot fire without: when one is absent it is skipped unrun;
    # when none of `needs_any` is present (and it is not empty), likewise.
    needs: frozenset[bytes] = frozenset()
    needs_any: frozenset[bytes] = frozenset()
    # A field of `block` and the values it must hold for the rule to fire, if any.
    gate: tuple[bytes, frozenset[bytes]] | None = None
    # A child block the rule needs (a scan over a block's children), if any.
    child: bytes | None = None


def derived_checks(catalogue: Catalogue) -> dict[str, Check]:
    """Controls recognised from the catalogue's texts: standard datation and address rules."""
    found: dict[str, Check] = {}
    for cid, msg in catalogue.messages.items():
        rubric = cid.split("/", 1)[0]
        family = cid.split("/", 1)[1][:3]
        if (
            family not in ("CCH", "SIG", "CSL")
            or rubric not in catalogue.rubrics
            or cid in CHECKED_BY_HOOKS
        ):
            continue
        rule = " ".join(msg.rule.split())
        standard = (
            "paragraphe 4.4.12" in rule
            or "Cette date doit être inférieure ou égale au dernier jour civil du mois principal"
            in rule
        )
        if standard and _MONTH_END_MESSAGE in msg.message and "s'applique uniquement" not in rule:
            # §4.4.12 is the datation of a DSN mensuelle; the plain sentence holds everywhere.
            monthly = nature("01") if "paragraphe 4.4.12" in rule else always
            found[cid] = not_after_month_end(rubric, when=monthly)
        elif (
            "paragraphe 4.4.13" in rule
            and _BUILT_MESSAGE in msg.message
            and "s'applique uniquement" not in rule
        ):
            # §4.4.13 is the datation of an event declaration (signalement).
            found[cid] = not_after_built(rubric, when=not_(nature("01")))
        elif rule.startswith("Il est interdit de renseigner la rubrique") and (
            "Cette valeur ne peut être utilisée qu'en bloc" in rule
        ):
            placeholder = _PLACEHOLDER.search(rule)
            if placeholder is not None:
                found[cid] = forbidden_value(rubric, placeholder.group(1))
        elif (
            "est interdite si la rubrique" in rule
            and "S21.G00.40.026" in rule
            and "99" in rule
            and " et si " not in rule
            and rubric.startswith("S21.G00.40.")
        ):
            found[cid] = forbidden(rubric, when=eq("S21.G00.40.026", "99"))
        elif "Numéro technique temporaire" in rule and "commencer par" in rule and family == "CSL":
            found[cid] = ntt_starts_with_1_or_2(rubric)
        elif "espace" in rule and "numéro technique temporaire" in rule and family == "CSL":
            found[cid] = ntt_without_space(rubric)
        elif (
            family == "CCH"
            and "1999999999999" in rule
            and "2999999999999" in rule
            and (rubric != "S21.G00.30.001" and rubric in rule)
        ):
            found[cid] = forbidden_value(rubric, "1999999999999", "2999999999999")
        elif (
            family == "CCH"
            and "cinq caractères « 9 »" in rule
            and rubric != "S21.G00.30.001"
            and rubric in rule
        ):
            found[cid] = too_many_trailing_nines(rubric)
        elif (
            family == "CCH"
            and "de la 2ème à la 10ème position" in rule
            and "SIREN" in rule
            and (rubric != "S21.G00.30.020")
        ):
            found[cid] = ntt_holds_siren(rubric)
        elif (
            (ids := _NIR_OR_NTT.search(rule)) is not None
            and family == "CCH"
            and (rubric != "S21.G00.30.020")
        ):
            found[cid] = required(ids.group(2), when=not_(present(ids.group(1))))
        elif rule.startswith("La localité est obligatoire si le code postal"):
            postal = _sibling(catalogue, rubric, "code postal")
            if postal is not None:
                found[cid] = required(rubric, when=present(postal))
        elif rule.startswith(
            "Si le code postal est présent alors le code pays et le code de "
            "distribution à l'étranger sont absents et réciproquement"
        ):
            country = _sibling(catalogue, rubric, "code pays")
            abroad = _sibling(catalogue, rubric, "code de distribution à l'étranger")
            if country is not None and abroad is not None:
                found[cid] = _postal_xor_abroad(rubric, country, abroad)
    return found


def _sibling(catalogue: Catalogue, rubric: str, label: str) -> str | None:
    block = rubric[:10]
    for rid, r in catalogue.rubrics.items():
        if rid.startswith(block) and r.label.lower().startswith(label):
            return rid
    return None


def _postal_xor_abroad(postal: str, country: str, abroad: str) -> Check:
    def check(n: Node, e: Env) -> bool:
        has_postal = value(n, e, postal) is not None
        has_abroad = value(n, e, country) is not None or value(n, e, abroad) is not None
        return has_postal and has_abroad

    return _needs(check, postal)


_COMPILED: dict[int, tuple[Catalogue, list[Rule]]] = {}


def rules_for(catalogue: Catalogue) -> list[Rule]:
    """Every rule this validator runs for a catalogue: listed or derived, and whose id the
    catalogue holds (a control the norm dropped is not run). Built once per catalogue."""
    known = _COMPILED.get(id(catalogue))
    if known is not None and known[0] is catalogue:
        return known[1]
    rules = _build_rules(catalogue)
    _COMPILED[id(catalogue)] = (catalogue, rules)
    return rules


def _build_rules(catalogue: Catalogue) -> list[Rule]:
    rules: list[Rule] = []
    checks = {**derived_checks(catalogue), **CHECKS}
    for cid, check in sorted(checks.items()):
        if cid in catalogue.messages:
            own = cid[:10]
            needs = frozenset(r[11:].encode() for r in NEEDS.get(check, ()) if r[:10] == own)
            anyof = NEEDS_ANY.get(check, ())
            needs_any = (
                frozenset(r[11:].encode() for r in anyof)
                if anyof and all(r[:10] == own for r in anyof)
                else frozenset()
            )
            gate_of = GATES.get(check)
            gate = (
                (gate_of[0][11:].encode(), gate_of[1])
                if gate_of is not None and gate_of[0][:10] == own
                else None
            )
            rules.append(
                Rule(cid, own.encode(), check=check, needs=needs, needs_any=needs_any, gate=gate)
            )
    for cid, (at, scan) in sorted(SCANS.items()):
        if cid in catalogue.messages:
            gate_of = SCAN_GATES.get(scan)
            gate = (
                (gate_of[0][11:].encode(), gate_of[1])
                if gate_of is not None and gate_of[0][:10].encode() == at
                else None
            )
            rules.append(Rule(cid, at, scan=scan, gate=gate, child=SCAN_CHILD.get(scan)))
    return rules


def rule_ids(catalogue: Catalogue) -> frozenset[str]:
    return frozenset(r.id for r in rules_for(catalogue))
