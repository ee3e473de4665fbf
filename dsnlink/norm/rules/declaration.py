"""Controls of the envoi, the declaration, the enterprise and its establishments (S10, S20,
S21.G00.11 to .15, .44, .85)."""

from __future__ import annotations

from dsnlink.norm.rules.predicates import siren_key_ok, siret_key_ok
from dsnlink.norm.rules.templates import (
    Check,
    all_of,
    eq,
    forbidden,
    forbidden_value,
    nature,
    ne,
    not_,
    present,
    required,
    required_iff,
    unique_among_siblings,
    unique_pair_among_siblings,
    value,
    year_not_after_declared,
)

CHECKS: dict[str, Check] = {
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
    "S20.G00.05.012/CCH-11": required("S20.G00.05.012", when=eq("S20.G00.05.011", "02", "07")),
    "S21.G00.44.001/CCH-11": required(
        "S21.G00.44.002", when=eq("S21.G00.44.001", "005", "009", "015", "016")
    ),
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
    "S21.G00.44.003/CCH-11": year_not_after_declared("S21.G00.44.003"),
    "S21.G00.44.004/CCH-11": required_iff("S21.G00.44.004", eq("S21.G00.44.001", "002")),
}
