"""Controls of the individual's payment: versement individu, rémunération, primes, activité, autres
éléments, PAS (S21.G00.50 to .58)."""

from __future__ import annotations

from dsnlink.norm.rules.templates import (
    GATES,
    INDIVIDUAL,
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
