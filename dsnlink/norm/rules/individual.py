"""Controls of the individual, their changes and their seniority (S21.G00.30, .31, .86)."""

from __future__ import annotations

from collections.abc import Iterator

from dsnlink.norm.rules.predicates import (
    birth_department_allowed,
    birth_year_in_range,
    seniority_below_99_years,
)
from dsnlink.norm.rules.scans import Scan
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
from dsnlink.norm.tree import Env, Node

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

# Old-age regimes a prevention account (S21.G00.34) may be declared for (S21.G00.40.020).
PREVENTION_REGIMES = frozenset({b"157", b"200", b"300", b"905"})


def prevention_account_regime(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.34.001/CCH-11: a prevention account names a contract (S21.G00.34.002 =
    S21.G00.40.009) whose old-age regime is 157, 200, 300 or 905. A number no contract holds is
    S21.G00.34.002/CCH-11's anomaly, so only a named contract's regime is checked here."""
    children = n.children or ()
    regimes: dict[bytes, list[bytes | None]] = {}
    for c in children:
        if c.block == b"S21.G00.40":
            number = c.values.get(b"009")
            if number is not None:
                regimes.setdefault(number, []).append(c.values.get(b"020"))
    for account in children:
        if account.block != b"S21.G00.34":
            continue
        found = regimes.get(account.values.get(b"002") or b"")
        if found and all(r is not None and r not in PREVENTION_REGIMES for r in found):
            yield account


SCANS: dict[str, tuple[bytes, Scan]] = {
    "S21.G00.34.001/CCH-11": (INDIVIDUAL, prevention_account_regime),
}
SCAN_CHILD: dict[Scan, bytes] = {prevention_account_regime: b"S21.G00.34"}
