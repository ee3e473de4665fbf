"""Controls of the bases assujetties and cotisations: base, composant de base, cotisation
individuelle and établissement, affiliation à tort (S21.G00.78 to .84)."""

from __future__ import annotations

from dsnlink.norm.rules.scans import (
    base_31_names_an_affiliation,
    before_month_start,
    reference_is_an_adhesion,
)
from dsnlink.norm.rules.templates import (
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
    zero,
)

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
