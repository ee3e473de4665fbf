"""Controls of the S89 blocks: non-salaried individuals (S89.G00.91 to .93), honoraires, retraite
supplémentaire, actions gratuites and stock options."""

from __future__ import annotations

from dsnlink.norm.rules.predicates import birth_department_allowed, birth_year_in_range
from dsnlink.norm.rules.templates import (
    Check,
    all_or_none,
    date_cmp,
    eq,
    month_not_after_declared,
    not_after_next_month_end,
    present,
    rate_times_base,
    required,
    required_all,
    required_iff,
    to_amount,
    year_not_after_declared,
    zero,
)

CHECKS: dict[str, Check] = {
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
    "S89.G00.92.001/CCH-11": required_all(
        ("S89.G00.91.017", "S89.G00.91.018"), when=eq("S89.G00.92.001", "01", "02", "03", "05")
    ),
    "S89.G00.92.005/CCH-11": date_cmp("S89.G00.92.005", ">=", "S89.G00.92.004"),
    "S89.G00.92.006/CCH-12": required_iff("S89.G00.92.006", eq("S89.G00.92.002", "50")),
    "S89.G00.92.008/CCH-11": lambda n, e: (
        n.values.get(b"008") == b"99"
        and any((a := to_amount(n.get(f))) is not None and a != 0 for f in ("007", "010"))
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
}
