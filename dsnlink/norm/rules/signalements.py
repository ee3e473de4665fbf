"""Controls of the events a declaration signals: arrêt de travail, temps partiel thérapeutique, fin
de contrat, préavis, suspension (S21.G00.60 to .66)."""

from __future__ import annotations

from dsnlink.norm.rules.scans import NOTICE_WITH_DATES, therapeutic_part_time_has_its_block
from dsnlink.norm.rules.templates import (
    Check,
    all_of,
    allowed_values,
    date_cmp,
    either,
    eq,
    forbidden,
    forbidden_value,
    nature,
    ne,
    not_,
    required,
    required_iff,
)

CHECKS: dict[str, Check] = {
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
    "S21.G00.60.001/CCH-14": forbidden_value(
        "S21.G00.60.001", "15", "16", "17", "18", when=not_(nature("01", "07"))
    ),
    "S21.G00.60.001/SIG-13": therapeutic_part_time_has_its_block,
    "S21.G00.62.006/CCH-16": required(
        "S21.G00.62.006", when=all_of(eq("S21.G00.40.021", "05"), ne("S21.G00.62.002", "099"))
    ),
    "S21.G00.62.013/CCH-11": required("S21.G00.62.013", when=eq("S21.G00.62.002", "026", "114")),
    "S21.G00.65.004/CCH-11": required_iff("S21.G00.65.004", eq("S21.G00.65.001", "655", "674")),
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
    "S21.G00.62.006/CCH-14": required("S21.G00.62.006", when=eq("S21.G00.40.007", "03")),
    "S21.G00.65.002/CCH-11": date_cmp("S21.G00.65.002", ">=", "S21.G00.40.001"),
    "S21.G00.65.003/CCH-11": date_cmp("S21.G00.65.003", ">=", "S21.G00.65.002"),
    "S21.G00.66.002/SIG-11": date_cmp("S21.G00.66.002", ">=", "S21.G00.66.001"),
}
