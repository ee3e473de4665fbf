"""Controls of the payment components and of the withholding-tax regularisations: composant de
versement (S21.G00.55) and régularisation de prélèvement à la source (S21.G00.56)."""

from __future__ import annotations

from datetime import date

from dsnlink.norm.rules.lookups import children as _children
from dsnlink.norm.rules.templates import (
    GATES,
    NEEDS,
    Check,
    Cond,
    eq,
    raw_date,
    to_amount,
    value,
)
from dsnlink.norm.tree import Env, Node

# -- S21.G00.55 -----------------------------------------------------------------------------------


def assignment_code_is_an_adhesion(n: Node, e: Env) -> bool:
    """S21.G00.55.003/CCH-11: (organism 20.001, delegate 20.008, assignment code 55.003) is the
    (organism 15.002, delegate 15.003, contract reference 15.001) of an adhesion of the
    establishment (an absent delegate matches an absent delegate)."""
    payment = e.ancestor(b"S21.G00.20")
    if payment is None:
        return False
    wanted = (payment.values.get(b"001"), payment.values.get(b"008"), n.values.get(b"003"))
    return not any(
        (a.values.get(b"002"), a.values.get(b"003"), a.values.get(b"001")) == wanted
        for a in _children(e.ancestor(b"S21.G00.11"), b"S21.G00.15")
    )


NEEDS[assignment_code_is_an_adhesion] = ("S21.G00.55.003",)

_PERIOD_LENGTH = {b"M": 1, b"T": 3, b"S": 6, b"A": 12}


def assignment_period_not_too_late(n: Node, e: Env) -> bool:
    """S21.G00.55.004/CCH-11: the assignment period (YYYY + M/T/S nn or A00) is not after the
    period following the one completed on the last day of the declared month (E00, an exercise,
    is not compared)."""
    v = n.values.get(b"004")
    if v is None or len(v) != 7 or e.month is None or not v[:4].isdigit() or not v[5:].isdigit():
        return False
    length = _PERIOD_LENGTH.get(v[4:5])
    if length is None:
        return False
    index = 1 if length == 12 else int(v[5:])
    # Periods counted from year 0: the completed one ends with the declared month.
    completed = (e.month.year * 12 + e.month.month) // length
    period = (int(v[:4]) * 12) // length + index
    return period > completed + 1


NEEDS[assignment_period_not_too_late] = ("S21.G00.55.004",)


# -- S21.G00.56 -----------------------------------------------------------------------------------


def _declared_month(e: Env) -> date | None:
    """The main declared month (S20.G00.05.005, what `Env.month` is set from), read from the
    open declaration block when there is one."""
    declaration = e.ancestor(b"S20.G00.05")
    own = None if declaration is None else raw_date(declaration.values.get(b"005"))
    return own or e.month


def error_year_check(january: bool) -> Check:
    """S21.G00.56.002/CCH-16 (not January: the error's year is not before the declared year) and
    CCH-17 (January: not before the previous year, as the message states)."""

    def check(n: Node, e: Env) -> bool:
        v = n.values.get(b"001")
        if n.values.get(b"002") not in (b"01", b"02"):
            return False
        month = _declared_month(e)
        if v is None or len(v) != 6 or not v.isdigit() or month is None:
            return False
        if (month.month == 1) != january:
            return False
        return int(v[2:]) < month.year - (1 if january else 0)

    GATES[check] = ("S21.G00.56.002", frozenset({b"01", b"02"}))
    return check


def not_positive(*rubrics: str, when: Cond) -> Check:
    """Each of `rubrics` (when present) is negative or zero when `when` holds."""

    def check(n: Node, e: Env) -> bool:
        return bool(when(n, e)) and any(
            (a := to_amount(value(n, e, r))) is not None and a > 0 for r in rubrics
        )

    GATES[check] = GATES[when]
    return check


def forbidden_any(*rubrics: str, when: Cond) -> Check:
    """None of `rubrics` is present when `when` holds."""
    keys = tuple(r[11:].encode() for r in rubrics)

    def check(n: Node, e: Env) -> bool:
        return bool(when(n, e)) and any(k in n.values for k in keys)

    GATES[check] = GATES[when]
    return check


CHECKS: dict[str, Check] = {
    "S21.G00.55.003/CCH-11": assignment_code_is_an_adhesion,
    "S21.G00.55.004/CCH-11": assignment_period_not_too_late,
    "S21.G00.56.002/CCH-14": not_positive(
        "S21.G00.56.003", "S21.G00.56.010", when=eq("S21.G00.56.002", "03")
    ),
    "S21.G00.56.002/CCH-15": forbidden_any(
        "S21.G00.56.004",
        "S21.G00.56.005",
        "S21.G00.56.015",
        when=eq("S21.G00.56.002", "01", "03", "04"),
    ),
    "S21.G00.56.002/CCH-16": error_year_check(january=False),
    "S21.G00.56.002/CCH-17": error_year_check(january=True),
    "S21.G00.56.002/CCH-18": forbidden_any(
        "S21.G00.56.003",
        "S21.G00.56.006",
        "S21.G00.56.008",
        "S21.G00.56.009",
        "S21.G00.56.010",
        when=eq("S21.G00.56.002", "02"),
    ),
}
