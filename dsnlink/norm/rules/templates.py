"""The vocabulary controls are written in: resolving a rubric from the node a rule runs on,
the registries the block close reads to skip a rule unrun, conditions and check templates."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from dsnlink.norm.tree import Env, Node, parse_date

Check = Callable[[Node, Env], bool]
Cond = Callable[[Node, Env], bool]

INDIVIDUAL = b"S21.G00.30"


# -- resolving a rubric from the node a rule runs on ----------------------------------------------


_KEYS: dict[str, tuple[bytes, bytes]] = {}


def split_key(rubric: str) -> tuple[bytes, bytes]:
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
def raw_date(value: bytes | None) -> date | None:
    return None if value is None else parse_date(value.decode("latin-1"))


def value(node: Node, env: Env, rubric: str) -> str | None:
    """The rubric's value seen from `node`: in itself, an open ancestor, or its first closed
    descendant of the rubric's block."""
    block, fld = _KEYS.get(rubric) or split_key(rubric)
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


def with_gate(
    fn: Callable[[Node, Env], bool], when: Callable[[Node, Env], bool]
) -> Callable[[Node, Env], bool]:
    """`fn` fires only when `when` holds: it inherits `when`'s gate."""
    gate = GATES.get(when)
    if gate is not None:
        GATES[fn] = gate
    return fn


def with_needs(
    fn: Callable[[Node, Env], bool], *parts: str | Callable[[Node, Env], bool]
) -> Callable[[Node, Env], bool]:
    rubrics: list[str] = []
    for part in parts:
        rubrics.extend((part,) if isinstance(part, str) else NEEDS.get(part, ()))
    NEEDS[fn] = tuple(rubrics)
    return fn


def to_amount(text: str | None) -> Decimal | None:
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
    key = split_key(rubric)
    block, fld = key

    def test(n: Node, e: Env) -> bool:
        # The rubric is mostly the node's own: read it without the call to `raw`.
        return (n.values.get(fld) if n.block == block else raw(n, e, key)) in wanted

    cond = with_needs(test, rubric)
    GATES[cond] = (rubric, wanted)
    return cond


def ne(rubric: str, *values: str) -> Cond:
    """The rubric is present with a value other than `values`."""
    unwanted = frozenset(v.encode() for v in values)
    key = split_key(rubric)

    def cond(n: Node, e: Env) -> bool:
        v = n.values.get(key[1]) if n.block == key[0] else raw(n, e, key)
        return v is not None and v not in unwanted

    return with_needs(cond, rubric)


def present(rubric: str) -> Cond:
    return with_needs(lambda n, e: value(n, e, rubric) is not None, rubric)


def nature(*natures: str) -> Cond:
    wanted = frozenset(natures)
    return lambda n, e: e.nature in wanted


def all_of(*conds: Cond) -> Cond:
    both = with_needs(lambda n, e: all(c(n, e) for c in conds), *conds)
    for c in conds:
        if c in GATES:
            return with_gate(both, c)
    return both


def not_(cond: Cond) -> Cond:
    return lambda n, e: not cond(n, e)


def always(n: Node, e: Env) -> bool:
    return True


# -- checks: each returns True when the rule is broken --------------------------------------------


def required(target: str, when: Cond = always) -> Check:
    """`target` must be present when `when` holds."""
    key = split_key(target)
    return with_gate(
        with_needs(
            lambda n, e: bool(when(n, e)) and raw(n, e, key) is None,
            when,
        ),
        when,
    )


def required_iff(target: str, when: Cond) -> Check:
    """`target` is mandatory when `when` holds and forbidden otherwise."""
    key = split_key(target)
    check: Check = lambda n, e: bool(when(n, e)) == (raw(n, e, key) is None)  # noqa: E731
    # Cannot fire when neither the target nor what the condition needs is there.
    NEEDS_ANY[check] = (target, *NEEDS.get(when, ()))
    return check


def forbidden(target: str, when: Cond = always) -> Check:
    return with_gate(
        with_needs(lambda n, e: bool(when(n, e)) and value(n, e, target) is not None, target), when
    )


def forbidden_value(target: str, *values: str, when: Cond = always) -> Check:
    """`target` must not take one of `values` when `when` holds."""
    bad = frozenset(v.encode() for v in values)
    key = split_key(target)
    check = with_needs(
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

    return with_gate(with_needs(check, target, when), when)


_OPS: dict[str, Callable[[date, date], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def date_cmp(a: str, op: str, b: str, when: Cond = always) -> Check:
    """Date `a` must be `op` date `b` (both present and valid, else the rule does not apply)."""
    test = _OPS[op]
    ka, kb = split_key(a), split_key(b)

    def check(n: Node, e: Env) -> bool:
        # `a` is mostly the node's own rubric: read it without the call to `raw`.
        da = raw_date(n.values.get(ka[1]) if n.block == ka[0] else raw(n, e, ka))
        if da is None:
            return False
        db = raw_date(raw(n, e, kb))
        return db is not None and not test(da, db) and (when is always or bool(when(n, e)))

    return with_gate(with_needs(check, a, b, when), when)


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

    return with_needs(check, a)


def not_after_month_end(a: str, when: Cond = always) -> Check:
    """Date `a` ≤ last day of the main declared month (the norm's "datation", §4.4.12)."""

    ka = split_key(a)

    def check(n: Node, e: Env) -> bool:
        d, end = raw_date(raw(n, e, ka)), e.month_end
        return (
            d is not None and end is not None and d > end and (when is always or bool(when(n, e)))
        )

    return with_gate(with_needs(check, a, when), when)


def not_after_next_month_end(a: str) -> Check:
    """Date `a` ≤ last day of the month following the main declared month."""

    ka = split_key(a)

    def check(n: Node, e: Env) -> bool:
        d, end = (
            raw_date(raw(n, e, ka)),
            e.next_month_end,
        )
        return d is not None and end is not None and d > end

    return with_needs(check, a)


def not_after_built(a: str, when: Cond = always) -> Check:
    """Date `a` ≤ the date the file was built (S20.G00.05.007; §4.4.13, event declarations)."""

    def check(n: Node, e: Env) -> bool:
        d = parse_date(value(n, e, a))
        return d is not None and e.built is not None and d > e.built and bool(when(n, e))

    return with_gate(with_needs(check, a, when), when)


def same_year(a: str, b: str) -> Check:
    ka, kb = split_key(a), split_key(b)

    def check(n: Node, e: Env) -> bool:
        da, db = (
            raw_date(raw(n, e, ka)),
            raw_date(raw(n, e, kb)),
        )
        return da is not None and db is not None and da.year != db.year

    return with_needs(check, a, b)


def same_month(a: str, b: str, when: Cond = always) -> Check:
    ka, kb = split_key(a), split_key(b)

    def check(n: Node, e: Env) -> bool:
        da, db = (
            raw_date(raw(n, e, ka)),
            raw_date(raw(n, e, kb)),
        )
        return (
            da is not None
            and db is not None
            and (da.year, da.month) != (db.year, db.month)
            and bool(when(n, e))
        )

    return with_gate(with_needs(check, a, b, when), when)


def year_not_after_declared(a: str) -> Check:
    """A year (YYYY) ≤ the year of the main declared month."""

    def check(n: Node, e: Env) -> bool:
        v = value(n, e, a)
        return v is not None and v.isdigit() and e.month is not None and int(v) > e.month.year

    return with_needs(check, a)


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

    return with_needs(check, a)


def period_before_declared_month(start: str, end: str) -> Cond:
    """The period start..end lies before the main declared month (a regularisation)."""

    def cond(n: Node, e: Env) -> bool:
        d = parse_date(value(n, e, end)) or parse_date(value(n, e, start))
        return d is not None and e.month is not None and d < e.month

    return cond


def zero(target: str, when: Cond) -> Check:
    """`target` must be 0 (0.00) when `when` holds."""

    def check(n: Node, e: Env) -> bool:
        amount = to_amount(value(n, e, target))
        return amount is not None and amount != 0 and bool(when(n, e))

    return with_gate(with_needs(check, target, when), when)


def not_zero(target: str, when: Cond = always) -> Check:
    def check(n: Node, e: Env) -> bool:
        amount = to_amount(value(n, e, target))
        return amount is not None and amount == 0 and bool(when(n, e))

    return with_gate(with_needs(check, target, when), when)


def rate_times_base(amount: str, base: str, rate: str, tolerance: str = "1") -> Check:
    """`amount` = `base` × `rate` % within ± `tolerance` euros."""
    tol = Decimal(tolerance)

    def check(n: Node, e: Env) -> bool:
        # One at a time (no generator), and no product computed when an amount is missing.
        a = to_amount(value(n, e, amount))
        if a is None:
            return False
        b, r = to_amount(value(n, e, base)), to_amount(value(n, e, rate))
        if b is None or r is None:
            return False
        return abs(a - b * r / 100) > tol

    return with_needs(check, amount, base, rate)


def not_only_zeros(target: str, when: Cond) -> Check:
    def check(n: Node, e: Env) -> bool:
        v = value(n, e, target)
        return v is not None and set(v) == {"0"} and bool(when(n, e))

    return with_gate(with_needs(check, target, when), when)


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

    return with_needs(check, rubric)


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

    return with_needs(check, a, b)


def either(*checks: Check) -> Check:
    """Broken when one of `checks` is (a rule the text states as two comparisons)."""
    return lambda n, e: any(check(n, e) for check in checks)


def required_all(targets: tuple[str, ...], when: Cond) -> Check:
    """Every rubric of `targets` must be present when `when` holds."""
    keys = tuple(split_key(t) for t in targets)
    return with_gate(
        with_needs(lambda n, e: bool(when(n, e)) and any(raw(n, e, k) is None for k in keys), when),
        when,
    )


def not_more_than(target: str, limit: str, when: Cond) -> Check:
    bound = Decimal(limit)

    def check(n: Node, e: Env) -> bool:
        amount = to_amount(value(n, e, target))
        return amount is not None and amount > bound and bool(when(n, e))

    return with_gate(with_needs(check, target, when), when)


def first_of_month_or(a: str, other: str) -> Check:
    """Date `a` is the first day of a month, or equals date `other`."""
    ka, ko = split_key(a), split_key(other)

    def check(n: Node, e: Env) -> bool:
        d = raw_date(raw(n, e, ka))
        return d is not None and d.day != 1 and d != raw_date(raw(n, e, ko))

    return with_needs(check, a)


def all_or_none(*rubrics: str) -> Check:
    """The rubrics are all present or all absent."""
    keys = tuple(split_key(r) for r in rubrics)

    def check(n: Node, e: Env) -> bool:
        present_count = sum(raw(n, e, k) is not None for k in keys)
        return 0 < present_count < len(keys)

    NEEDS_ANY[check] = rubrics
    return check
