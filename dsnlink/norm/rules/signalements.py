"""Controls of the events a declaration signals: arrêt de travail, temps partiel thérapeutique, fin
de contrat, préavis, suspension (S21.G00.60 to .66)."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import pairwise

from dsnlink.norm.rules.scans import NOTICE_WITH_DATES, Scan, therapeutic_part_time_has_its_block
from dsnlink.norm.rules.templates import (
    INDIVIDUAL,
    NEEDS,
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
    present,
    raw_date,
    required,
    required_iff,
    value,
)
from dsnlink.norm.tree import Env, Node

# -- S21.G00.62.002/CCH-11: the contract natures (S21.G00.40.007) each end reason allows, some
# only with a given S21.G00.40.008 (dispositif) -----------------------------------------------

_Allowed = dict[str, frozenset[str] | None]  # nature -> the dispositifs it needs (None: any)


def _natures(*natures: str, **conditional: tuple[str, ...]) -> _Allowed:
    out: _Allowed = dict.fromkeys(natures)
    for kind, dispositifs in conditional.items():
        out[kind.lstrip("n")] = frozenset(dispositifs)
    return out


_DISMISSAL = _natures("01", "07", "08", "09", "82", "91")
_WITH_50 = _natures("01", "07", "08", "09", "50", "82", "91")
_EARLY_BREACH = _natures(
    "02", "03", "10", "53", "54", "60", "92",
    n01=("61", "64", "65"), n08=("64", "65"), n91=("61", "64", "65"),
)  # fmt: skip
_TRIAL = _natures("01", "02", "03", "07", "08", "09", "10", "50", "82", "91", "92")
_FIXED_TERM_FAULT = _natures("02", "03", "10", "92")
_SHORT = _natures("01", "07", "08", "09", "91")
_CSP = _natures("01", "09", "91")
ALLOWED_NATURES: dict[bytes, _Allowed] = {
    b"011": _DISMISSAL,
    b"012": _DISMISSAL,
    b"014": _natures("01", "07", "08", "09", "50", "91"),
    b"015": _natures("01", "07", "08", "09", "82"),
    b"020": _natures("01", "07", "08", "09", "10", "50", "82", "91"),
    b"025": _SHORT,
    b"026": _CSP,
    b"031": _natures("02", "10", "60", "92"),
    b"033": _natures("02", "03", "10", "92", "53", "54"),
    b"034": _TRIAL,
    b"035": _TRIAL,
    b"036": _EARLY_BREACH,
    b"037": _natures(
        "02",
        "03",
        "10",
        "60",
        "92",
        n01=("61", "64", "65"),
        n08=("64", "65"),
        n91=("61", "64", "65"),
    ),
    b"038": _WITH_50,
    b"039": _WITH_50,
    b"043": _WITH_50,
    b"058": _DISMISSAL,
    b"059": _natures("01", "03", "07", "08", "09", "50", "82", "91"),
    b"065": _natures("01", "02", "08", "09", "10", "82", "91", "92"),
    b"081": _natures(
        n01=("64", "65"),
        n03=("64", "65"),
        n08=("64", "65"),
        n91=("64", "65"),
        n02=("64", "65", "81"),
        n92=("64", "65", "81"),
    ),
    b"083": _natures("01", "02", "03", "09", "10", "91", "92", "53", "54"),
    b"084": _EARLY_BREACH,
    b"086": _DISMISSAL,
    b"087": _WITH_50,
    b"088": _WITH_50,
    b"089": _DISMISSAL,
    b"091": _WITH_50,
    b"092": _WITH_50,
    b"095": _FIXED_TERM_FAULT,
    b"096": _FIXED_TERM_FAULT,
    b"097": _FIXED_TERM_FAULT,
    b"098": _natures("01", "02", "09", "10", "91", "92"),
    b"110": _WITH_50,
    b"111": _DISMISSAL,
    b"112": _DISMISSAL,
    b"113": _SHORT,
    b"114": _SHORT,
    b"115": _CSP,
    b"117": _CSP,
    b"118": _natures("32"),
    b"998": _natures("01", "02", "03", "07", "08", "09", "10", "91", "92"),
    b"999": _natures(
        "20", "21", "29", "32", "50", "51", "52", "53", "54", "70", "80", "81", "89", "90"
    ),
}


def end_reason_allowed_for_nature(n: Node, e: Env) -> bool:
    """S21.G00.62.002/CCH-11: the end reason is allowed for the contract's nature (and
    dispositif). Reasons the table does not list (099, 100, 116…) are not restricted by it."""
    allowed = ALLOWED_NATURES.get(n.values.get(b"002") or b"")
    kind = value(n, e, "S21.G00.40.007")
    if allowed is None or kind is None:
        return False
    if kind not in allowed:
        return True
    dispositifs = allowed[kind]
    return dispositifs is not None and value(n, e, "S21.G00.40.008") not in dispositifs


NEEDS[end_reason_allowed_for_nature] = ("S21.G00.62.002",)


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def pap_notice_type(n: Node, e: Env) -> bool:
    """S21.G00.63.001/CCH-14: with an end for PAP (S21.G00.62.002 = 114), a notice of at most
    3 months (S21.G00.63.002 to .003) is of type 61; type 61 is forbidden otherwise. A notice
    ending on the day 3 months after its start is taken as neither (boundary left unchecked)."""
    kind, reason = n.values.get(b"001"), value(n, e, "S21.G00.62.002")
    if kind is None or reason is None:
        return False
    if reason != "114":
        return kind == b"61"
    start, end = raw_date(n.values.get(b"002")), raw_date(n.values.get(b"003"))
    if start is None or end is None:
        return False
    limit = _add_months(start, 3)
    return (end < limit and kind != b"61") or (end > limit and kind == b"61")


NEEDS[pap_notice_type] = ("S21.G00.63.001",)


def notices_contiguous(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.63.002/CCH-15: the notices of a contract end (S21.G00.63 with dates) follow one
    another day after day, without overlap."""
    periods = []
    for c in n.children or ():
        if c.block == b"S21.G00.63":
            start, end = raw_date(c.values.get(b"002")), raw_date(c.values.get(b"003"))
            if start is not None and end is not None:
                periods.append((start, end, c))
    if len(periods) < 2:
        return
    periods.sort(key=lambda p: (p[0], p[1]))
    for (_, previous_end, _), (start, _, notice) in pairwise(periods):
        if start != previous_end + timedelta(days=1):
            yield notice


_SHORT_TIME_WORK = frozenset({b"507", b"602"})
_SHORT_TIME_PAY = frozenset({b"019", b"025"})


def short_time_work_has_hours(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.65.001/SIG-11: in a DSN mensuelle, a suspension for short-time work (507, 602)
    comes with a remuneration of type 019 or 025 (S21.G00.51.011) for the individual."""
    if e.nature != "01":
        return
    suspension = next(
        (s for s in n.descendants(b"S21.G00.65") if s.values.get(b"001") in _SHORT_TIME_WORK),
        None,
    )
    if suspension is None:
        return
    if not any(r.values.get(b"011") in _SHORT_TIME_PAY for r in n.descendants(b"S21.G00.51")):
        yield suspension


SCANS: dict[str, tuple[bytes, Scan]] = {
    "S21.G00.63.002/CCH-15": (b"S21.G00.62", notices_contiguous),
    "S21.G00.65.001/SIG-11": (INDIVIDUAL, short_time_work_has_hours),
}
SCAN_CHILD: dict[Scan, bytes] = {
    notices_contiguous: b"S21.G00.63",
    short_time_work_has_hours: b"S21.G00.40",
}

# The usage-contract end (S21.G00.62.017): a CDD (02, 10) with reason d'usage (05).
USAGE_CONTRACT = all_of(eq("S21.G00.40.007", "02", "10"), eq("S21.G00.40.021", "05"))

CHECKS: dict[str, Check] = {
    "S21.G00.62.002/CCH-11": end_reason_allowed_for_nature,
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
    # The rule reads "différente de 99, 15-18 … ou 60.011 ≠ 02" but its last sentences say it
    # applies to none of these: all three exclusions are taken.
    "S21.G00.60.002/CCH-13": date_cmp(
        "S21.G00.60.002",
        ">=",
        "S21.G00.40.001",
        when=all_of(
            nature("01", "07"),
            not_(eq("S21.G00.60.001", "99", "15", "16", "17", "18")),
            not_(eq("S21.G00.60.011", "02")),
            ne("S21.G00.40.007", "50"),
        ),
    ),
    "S21.G00.62.002/CCH-12": forbidden_value(
        "S21.G00.62.002", "100", "116", "998", "999", when=nature("07")
    ),
    "S21.G00.62.017/CCH-11": required(
        "S21.G00.62.017",
        when=all_of(USAGE_CONTRACT, present("S21.G00.62.001"), ne("S21.G00.62.002", "099")),
    ),
    "S21.G00.62.017/CCH-12": forbidden_value(
        "S21.G00.62.017",
        "01",
        when=not_(
            all_of(USAGE_CONTRACT, eq("S21.G00.62.002", "031", "099"), present("S21.G00.62.006"))
        ),
    ),
    "S21.G00.63.001/CCH-14": pap_notice_type,
}
