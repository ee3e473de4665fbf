"""Controls of the contract, its changes and its affiliations (S21.G00.40, .41, .70 to .73)."""

from __future__ import annotations

from dsnlink.norm.rules.predicates import (
    adhesion_declared,
    birth_year_in_range,
    job_title_ok,
    unique_affiliation_triplet,
)
from dsnlink.norm.rules.templates import (
    INDIVIDUAL,
    NEEDS,
    Check,
    after_birth,
    all_of,
    allowed_values,
    date_cmp,
    eq,
    first_of_month_or,
    forbidden,
    forbidden_value,
    nature,
    ne,
    not_after_month_end,
    not_only_zeros,
    not_zero,
    only_rubric,
    present,
    required,
    required_iff,
    unique_among_siblings,
    value,
)

CHECKS: dict[str, Check] = {
    "S21.G00.40.006/CSL-11": lambda n, e: (
        (t := value(n, e, "S21.G00.40.006")) is not None and not job_title_ok(t)
    ),
    "S21.G00.40.005/SIG-20": lambda n, e: (
        (value(n, e, "S21.G00.40.004") == "546d")
        != (value(n, e, "S21.G00.40.005") in ("546dN", "546dM"))
    ),
    "S21.G00.40.029/SIG-12": required("S21.G00.40.029", when=eq("S21.G00.11.017", "02", "03")),
    "S21.G00.40.043/SIG-11": required_iff("S21.G00.40.043", ne("S21.G00.40.040", "999ZZ")),
    "S21.G00.40.031/CCH-11": forbidden(
        "S21.G00.40.031", when=eq("S21.G00.40.029", "01", "02", "04", "05")
    ),
    "S21.G00.72.001/CCH-11": lambda n, e: (
        (mine := n.get("001")) is not None
        and (parent := value(n, e, "S21.G00.71.002")) is not None
        and parent != "IRCANTEC"
        and mine == parent
    ),
    "S21.G00.73.005/CCH-11": birth_year_in_range("S21.G00.73.005"),
    "S21.G00.73.011/CCH-11": date_cmp("S21.G00.73.011", ">=", "S21.G00.73.004"),
    "S21.G00.40.001/CCH-13": date_cmp(
        "S21.G00.40.001", "<=", "S21.G00.62.001", when=ne("S21.G00.62.002", "099")
    ),
    "S21.G00.40.001/CCH-15": after_birth("S21.G00.40.001"),
    "S21.G00.40.009/CCH-12": unique_among_siblings("S21.G00.40.009", INDIVIDUAL),
    "S21.G00.40.009/CCH-15": not_only_zeros("S21.G00.40.009", when=eq("S21.G00.40.007", "03")),
    "S21.G00.40.010/CCH-11": date_cmp("S21.G00.40.010", ">=", "S21.G00.40.001"),
    # The rule's text is cut in the sources; its message lists the natures: 02, 03, 10, 29, 70, 92.
    "S21.G00.40.010/CCH-12": required(
        "S21.G00.40.010", when=eq("S21.G00.40.007", "02", "03", "10", "29", "70", "92")
    ),
    "S21.G00.40.012/CCH-11": not_zero(
        "S21.G00.40.012",
        when=lambda n, e: (
            (u := value(n, e, "S21.G00.40.011")) is not None and u.isdigit() and int(u) <= 21
        ),
    ),
    "S21.G00.40.013/CCH-11": not_zero(
        "S21.G00.40.013",
        when=lambda n, e: (
            (u := value(n, e, "S21.G00.40.011")) is not None and u.isdigit() and int(u) <= 21
        ),
    ),
    "S21.G00.40.022/CCH-11": forbidden_value("S21.G00.40.022", "99"),
    "S21.G00.40.008/CCH-11": forbidden_value(
        "S21.G00.40.008", "81", when=ne("S21.G00.40.007", "02", "92")
    ),
    "S21.G00.40.008/CCH-12": forbidden_value(
        "S21.G00.40.008", "70", when=ne("S21.G00.40.007", "02", "92")
    ),
    "S21.G00.40.008/CCH-13": forbidden_value(
        "S21.G00.40.008", "80", when=ne("S21.G00.40.007", "01", "82", "91")
    ),
    "S21.G00.40.008/CCH-16": forbidden_value(
        "S21.G00.40.008", "71", when=ne("S21.G00.40.007", "02", "03", "92")
    ),
    "S21.G00.40.027/CCH-12": lambda n, e: (
        (c := value(n, e, "S21.G00.40.033")) is not None
        and not c.startswith("C")
        and value(n, e, "S21.G00.40.027") is None
    ),
    "S21.G00.40.029/CCH-11": allowed_values(
        "S21.G00.40.008", ("81",), when=eq("S21.G00.40.029", "05")
    ),
    "S21.G00.40.030/CCH-11": required_iff("S21.G00.40.030", eq("S21.G00.40.029", "03", "04")),
    "S21.G00.40.046/CCH-11": required(
        "S21.G00.40.046", when=eq("S21.G00.40.007", "03", "53", "54")
    ),
    "S21.G00.40.050/CCH-11": forbidden("S21.G00.40.050", when=ne("S21.G00.40.007", "02", "10")),
    "S21.G00.40.054/CCH-11": required_iff("S21.G00.40.054", eq("S21.G00.40.053", "02")),
    "S21.G00.40.066/CCH-11": required_iff("S21.G00.40.066", eq("S21.G00.40.007", "20", "21")),
    "S21.G00.40.075/CCH-11": forbidden("S21.G00.40.075", when=ne("S21.G00.40.020", "136")),
    # Only in a signalement DPAE (nature 10), as the rule says.
    "S21.G00.40.082/CCH-11": required(
        "S21.G00.40.082", when=all_of(eq("S21.G00.40.007", "01", "09"), nature("10"))
    ),
    "S21.G00.40.008/CCH-14": forbidden_value(
        "S21.G00.40.008", "64", "65", when=ne("S21.G00.40.007", "01", "02", "03", "08", "91", "92")
    ),
    "S21.G00.40.008/CCH-18": forbidden_value(
        "S21.G00.40.008", "83", when=ne("S21.G00.40.007", "01")
    ),
    "S21.G00.40.011/CCH-11": forbidden_value(
        "S21.G00.40.011", "31", when=ne("S21.G00.40.004", "352a")
    ),
    "S21.G00.40.011/SIG-14": forbidden_value(
        "S21.G00.40.011", "32", when=ne("S21.G00.40.005", "49")
    ),
    "S21.G00.40.018/CCH-14": forbidden_value(
        "S21.G00.40.018", "300", when=ne("S10.G00.00.007", "02")
    ),
    "S21.G00.40.021/CCH-13": forbidden_value(
        "S21.G00.40.021", "14", when=ne("S21.G00.40.007", "92")
    ),
    "S21.G00.40.040/CCH-15": lambda n, e: (
        (v := value(n, e, "S21.G00.40.040")) is not None
        and v.startswith("RA")
        and value(n, e, "S21.G00.40.039") != "300"
    ),
    "S21.G00.40.042/CCH-11": required_iff("S21.G00.40.042", eq("S21.G00.40.018", "300")),
    "S21.G00.40.046/CCH-12": required("S21.G00.40.046", when=eq("S21.G00.40.007", "08")),
    "S21.G00.40.063/CCH-11": required_iff("S21.G00.40.063", present("S21.G00.40.062")),
    "S21.G00.40.027/CCH-11": forbidden("S21.G00.40.027", when=ne("S21.G00.40.029", "02")),
    "S21.G00.40.032/CCH-11": forbidden("S21.G00.40.032", when=ne("S21.G00.40.029", "02")),
    "S21.G00.40.033/CCH-11": required_iff("S21.G00.40.033", eq("S21.G00.40.029", "02")),
    "S21.G00.40.076/CCH-11": required_iff("S21.G00.40.076", eq("S21.G00.40.007", "93")),
    "S21.G00.40.069/CCH-11": forbidden_value("S21.G00.40.069", "ZZZ"),
    "S21.G00.40.071/CCH-11": forbidden_value("S21.G00.40.071", "000"),
    "S21.G00.40.079/CCH-11": forbidden_value("S21.G00.40.079", "99999"),
    "S21.G00.40.080/CCH-11": forbidden("S21.G00.40.080", when=eq("S21.G00.40.026", "99")),
    "S21.G00.40.080/CCH-12": forbidden_value("S21.G00.40.080", "999"),
    "S21.G00.40.081/CCH-11": forbidden_value("S21.G00.40.081", "999999999"),
    "S21.G00.41.001/CCH-12": only_rubric("001"),
    "S21.G00.41.001/CCH-14": only_rubric("001", "028"),
    "S21.G00.41.001/CCH-15": not_after_month_end("S21.G00.41.001"),
    "S21.G00.41.028/CCH-13": first_of_month_or("S21.G00.41.028", "S21.G00.40.001"),
    "S21.G00.41.028/CCH-14": date_cmp("S21.G00.41.028", ">=", "S21.G00.40.001"),
    "S21.G00.41.028/CCH-15": date_cmp("S21.G00.41.028", "<=", "S21.G00.41.001"),
    "S21.G00.70.013/CCH-11": adhesion_declared,
    "S21.G00.70.013/CCH-12": unique_affiliation_triplet,
    "S21.G00.70.015/CCH-11": date_cmp("S21.G00.70.015", ">=", "S21.G00.70.014"),
    "S21.G00.71.002/SIG-11": forbidden_value(
        "S21.G00.71.002", "CRPCEN", when=ne("S21.G00.40.016", "01")
    ),
    "S21.G00.71.002/SIG-14": allowed_values(
        "S21.G00.71.002", ("90000",), when=eq("S21.G00.40.020", "140")
    ),
}

NEEDS[CHECKS["S21.G00.40.006/CSL-11"]] = ("S21.G00.40.006",)
NEEDS[CHECKS["S21.G00.40.027/CCH-12"]] = ("S21.G00.40.033",)
NEEDS[CHECKS["S21.G00.40.040/CCH-15"]] = ("S21.G00.40.040",)
