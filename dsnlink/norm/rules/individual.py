"""Controls of the individual, their changes and their seniority (S21.G00.30, .31, .86)."""

from __future__ import annotations

from dsnlink.norm.rules.predicates import (
    birth_department_allowed,
    birth_year_in_range,
    seniority_below_99_years,
)
from dsnlink.norm.rules.templates import (
    INDIVIDUAL,
    Check,
    all_of,
    eq,
    ne,
    not_,
    not_zero,
    only_rubric,
    present,
    required,
    unique_pair_among_siblings,
)

# Conditions built once (a check must never build templates while it runs).
APPRENTICESHIPS = frozenset({b"64", b"65", b"81"})

CHECKS: dict[str, Check] = {
    "S21.G00.86.001/CCH-13": unique_pair_among_siblings(
        "S21.G00.86.001", "S21.G00.86.005", INDIVIDUAL
    ),
    "S21.G00.86.003/CCH-12": not_zero(
        "S21.G00.86.003", when=eq("S21.G00.86.001", "02", "03", "04", "06", "07")
    ),
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
    "S21.G00.86.003/CCH-11": seniority_below_99_years,
}
