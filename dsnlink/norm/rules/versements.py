"""Controls of the payments to the collecting bodies: versement OPS, bordereau, cotisation agrégée,
composant de versement (S21.G00.20, .22, .23, .55)."""

from __future__ import annotations

from dsnlink.norm.rules.predicates import other_payer
from dsnlink.norm.rules.scans import payment_is_sum_of_components
from dsnlink.norm.rules.templates import (
    Check,
    all_of,
    allowed_values,
    date_cmp,
    eq,
    forbidden,
    not_,
    not_more_than,
    period_before_declared_month,
    required,
    value,
)

# Conditions built once (a check must never build templates while it runs).
PAYS_DGFIP = eq("S21.G00.20.001", "DGFIP")
PAID_BY_ANOTHER_ESTABLISHMENT = eq("S21.G00.20.010", "06")

CHECKS: dict[str, Check] = {
    "S21.G00.20.005/CCH-12": payment_is_sum_of_components,
    "S21.G00.20.012/CCH-13": forbidden(
        "S21.G00.20.012", when=all_of(PAYS_DGFIP, eq("S21.G00.20.010", "05"))
    ),
    "S21.G00.55.005/CCH-11": forbidden(
        "S21.G00.55.005",
        when=not_(period_before_declared_month("S21.G00.20.006", "S21.G00.20.007")),
    ),
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
}
