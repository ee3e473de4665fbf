"""Controls of the contract, its changes and its affiliations (S21.G00.40, .41, .70 to .73)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from dsnlink.norm.rules.lookups import children as _children
from dsnlink.norm.rules.predicates import (
    adhesion_declared,
    birth_year_in_range,
    job_title_ok,
    unique_affiliation_triplet,
)
from dsnlink.norm.rules.scans import Scan
from dsnlink.norm.rules.templates import (
    GATES,
    INDIVIDUAL,
    NEEDS,
    NEEDS_ANY,
    Check,
    Cond,
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
    raw_date,
    required,
    required_iff,
    to_amount,
    unique_among_siblings,
    value,
    with_gate,
    with_needs,
)
from dsnlink.norm.tree import Env, Node

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


# -- contract: PCS-ESE and its complement, categorical status, pensions ---------------------------


def _pcs_iff_complement(pcs: tuple[str, ...], complements: tuple[str, ...]) -> Check:
    """ "Si et seulement si" the PCS-ESE (S21.G00.40.004) is one of `pcs`, the complement
    (S21.G00.40.005) is one of `complements`; otherwise those complements are forbidden."""
    codes = frozenset(p.encode() for p in pcs)
    wanted = frozenset(c.encode() for c in complements)

    def check(n: Node, e: Env) -> bool:
        return (n.values.get(b"004") in codes) != (n.values.get(b"005") in wanted)

    NEEDS_ANY[check] = ("S21.G00.40.004", "S21.G00.40.005")
    return check


def _pensions(contract: Node) -> set[bytes | None]:
    return {c.values.get(b"002") for c in contract.children or () if c.block == b"S21.G00.71"}


def _pension_among(codes: tuple[str, ...], when: Cond) -> Check:
    """When `when` holds, the contract carries a supplementary pension (S21.G00.71.002) among
    `codes`. Outside a DSN mensuelle, only when the contract carries S21.G00.71 blocks at all (a
    signalement's model may hold none; a missing block is reported by the structure)."""
    wanted = frozenset(c.encode() for c in codes)

    def check(n: Node, e: Env) -> bool:
        if not when(n, e):
            return False
        found = _pensions(n)
        return (bool(found) or e.nature == "01") and found.isdisjoint(wanted)

    return with_gate(with_needs(check, when), when)


IRCANTEC_OR_CRPNPAC = frozenset({b"IRCANTEC", b"CRPNPAC"})


def _categorical_status_for_ircantec(n: Node, e: Env) -> bool:
    """S21.G00.40.003/SIG-12: with a pension IRCANTEC or CRPNPAC, the categorical status is
    04, 98 or 99."""
    status = n.values.get(b"003")
    return (
        status is not None
        and status not in (b"04", b"98", b"99")
        and not _pensions(n).isdisjoint(IRCANTEC_OR_CRPNPAC)
    )


NEEDS[_categorical_status_for_ircantec] = ("S21.G00.40.003",)


def _retc_categorical_status(n: Node, e: Env) -> bool:
    """S21.G00.71.002/CCH-13: a pension RETC calls for a categorical status 01 or 02, or 04 when
    the conventional status (S21.G00.40.002) is 04."""
    status = value(n, e, "S21.G00.40.003")
    if n.values.get(b"002") != b"RETC" or status is None or status in ("01", "02"):
        return False
    return not (status == "04" and value(n, e, "S21.G00.40.002") == "04")


GATES[_retc_categorical_status] = ("S21.G00.71.002", frozenset({b"RETC"}))


# -- contract: working time -----------------------------------------------------------------------


def _quotities_at_most(units: tuple[str, ...], limit: str) -> Check:
    """With a unit (S21.G00.40.011) among `units`, the reference and contract quotities
    (S21.G00.40.012, .013) are ≤ `limit`."""
    when = eq("S21.G00.40.011", *units)
    bound = Decimal(limit)

    def check(n: Node, e: Env) -> bool:
        return bool(when(n, e)) and any(
            (amount := to_amount(n.get(f))) is not None and amount > bound for f in ("012", "013")
        )

    return with_gate(with_needs(check, when), when)


def _ended_before_month(contract: Node, e: Env) -> bool:
    """The contract has an end (S21.G00.62, not cancelled 099) before the main declared month."""
    for end in _children(contract, b"S21.G00.62"):
        d = raw_date(end.values.get(b"001"))
        if (
            end.values.get(b"002") != b"099"
            and d is not None
            and e.month is not None
            and d < e.month
        ):
            return True
    return False


def hours_or_days_have_activity(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.40.011/CCH-15: a contract whose quotity is in hours or days (10, 12), unless it
    ended before the main declared month, calls for an Activité block (S21.G00.53). Assumed: in
    a DSN mensuelle (the only one with payments), anywhere under the individual."""
    if e.nature != "01":
        return
    contracts = [
        c
        for c in _children(n, b"S21.G00.40")
        if c.values.get(b"011") in (b"10", b"12") and not _ended_before_month(c, e)
    ]
    if contracts and next(n.descendants(b"S21.G00.53"), None) is None:
        yield from contracts


def _short_time_contracts(n: Node) -> list[Node]:
    return [c for c in _children(n, b"S21.G00.40") if c.values.get(b"078") is not None]


def short_time_has_hours(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.40.078/CCH-11: a short-time working arrangement calls for a remuneration 019
    (heures d'activité partielle) with a number of hours > 0 for the individual. Assumed: in a
    DSN mensuelle (the only one with payments)."""
    if e.nature != "01":
        return
    contracts = _short_time_contracts(n)
    if not contracts:
        return
    for r in n.descendants(b"S21.G00.51"):
        hours = to_amount(r.get("012"))
        if r.values.get(b"011") == b"019" and hours is not None and hours > 0:
            return
    yield from contracts


def short_time_has_suspension(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.40.078/CCH-12: a short-time working arrangement calls for a suspension 602
    (chômage sans rupture de contrat) with its start date for the individual. Assumed: in a DSN
    mensuelle, like CCH-11."""
    if e.nature != "01":
        return
    contracts = _short_time_contracts(n)
    if not contracts:
        return
    for s in n.descendants(b"S21.G00.65"):
        if s.values.get(b"001") == b"602" and s.values.get(b"002") is not None:
            return
    yield from contracts


# -- contract: places, conventions, AT risk -------------------------------------------------------


def _own_siret(n: Node, e: Env) -> str | None:
    siren, nic = value(n, e, "S21.G00.06.001") or e.siren, value(n, e, "S21.G00.11.001")
    return None if siren is None or nic is None else siren + nic


def _mission_workplace(n: Node, e: Env) -> bool:
    """S21.G00.40.019/CCH-12: a contrat de mission (03) names its workplace, other than the
    establishment's own SIRET."""
    if n.values.get(b"007") != b"03":
        return False
    place = n.get("019")
    return place is None or place == _own_siret(n, e)


GATES[_mission_workplace] = ("S21.G00.40.007", frozenset({b"03"}))


def _adapted_company_workplace(n: Node, e: Env) -> bool:
    """S21.G00.40.074/CCH-11: an individual of an adapted company made available (03) works
    elsewhere than the establishment (S21.G00.40.019 ≠ its SIRET). Assumed, as the message says:
    broken when the workplace is the establishment's SIRET (its absence is another control's)."""
    place = n.get("019")
    return n.values.get(b"074") == b"03" and place is not None and place == _own_siret(n, e)


GATES[_adapted_company_workplace] = ("S21.G00.40.074", frozenset({b"03"}))
NEEDS[_adapted_company_workplace] = ("S21.G00.40.019",)

RECOURSE_11_DEVICES = frozenset({b"64", b"65", b"81"})


def _recourse_11(n: Node, e: Env) -> bool:
    """S21.G00.40.021/CCH-12: a recourse 11 only for a contrat de mission (03) or an
    apprenticeship (S21.G00.40.008 64, 65, 81)."""
    return (
        n.values.get(b"021") == b"11"
        and n.values.get(b"007") != b"03"
        and n.values.get(b"008") not in RECOURSE_11_DEVICES
    )


GATES[_recourse_11] = ("S21.G00.40.021", frozenset({b"11"}))

UNEDIC_CONVENTIONS_END = date(2010, 1, 1)


def _old_convention_number(n: Node, e: Env) -> bool:
    """S21.G00.40.033/CCH-12: a management convention effective before 01/01/2010 has a number
    of 4 characters "Cxxx". Assumed: x is any character; an absent number is 033/CCH-11's."""
    effective = raw_date(n.values.get(b"032"))
    number = n.get("033")
    return (
        effective is not None
        and effective < UNEDIC_CONVENTIONS_END
        and number is not None
        and not (len(number) == 4 and number.startswith("C"))
    )


NEEDS[_old_convention_number] = ("S21.G00.40.032", "S21.G00.40.033")


def _agricultural_at_risk(n: Node, e: Env) -> bool:
    """S21.G00.40.039/CCH-11: with an AT regime 300 (agricole), the AT risk code starts with
    "RA" or is 999ZZ."""
    risk = n.values.get(b"040")
    return (
        n.values.get(b"039") == b"300"
        and risk is not None
        and not (risk.startswith(b"RA") or risk == b"999ZZ")
    )


GATES[_agricultural_at_risk] = ("S21.G00.40.039", frozenset({b"300"}))
NEEDS[_agricultural_at_risk] = ("S21.G00.40.040",)


def _camieg_at_risk(n: Node, e: Env) -> bool:
    """S21.G00.40.040/CCH-11: AT regime 147 (CAMIEG) without a user establishment
    (S21.G00.40.046): the AT risk code is 401ZE."""
    risk = n.values.get(b"040")
    return (
        n.values.get(b"039") == b"147"
        and n.values.get(b"046") is None
        and risk is not None
        and risk != b"401ZE"
    )


GATES[_camieg_at_risk] = ("S21.G00.40.039", frozenset({b"147"}))
NEEDS[_camieg_at_risk] = ("S21.G00.40.040",)

TEMPORARY_WORK_RISKS = frozenset({b"745BD", b"745BE", b"752EE"})


def _user_establishment_at_risk(n: Node, e: Env) -> bool:
    """S21.G00.40.040/CCH-12: AT regime 200 or 402 with a user establishment (S21.G00.40.046):
    the AT risk code is 745BD, 745BE or 752EE."""
    risk = n.values.get(b"040")
    return (
        n.values.get(b"039") in (b"200", b"402")
        and n.values.get(b"046") is not None
        and risk is not None
        and risk not in TEMPORARY_WORK_RISKS
    )


GATES[_user_establishment_at_risk] = ("S21.G00.40.039", frozenset({b"200", b"402"}))
NEEDS[_user_establishment_at_risk] = ("S21.G00.40.040", "S21.G00.40.046")


# -- contract changes (S21.G00.41), §4.4.14.2 -----------------------------------------------------

# -- affiliations (S21.G00.70), pensions (.71), beneficiaries (.73) -------------------------------


def shared_affiliation_ids(n: Node, e: Env) -> Iterator[Node]:
    """S21.G00.70.012/CCH-11: in a DSN mensuelle, an affiliation id is unique for the
    individual, unless every affiliation sharing it hangs on a contrat de mission (03) and they
    share the adhesion (.013), option and population (.004, .005), and their contracts share
    S21.G00.40.002, .003, .008 and .017."""
    if e.nature != "01":
        return
    by_id: dict[bytes, list[tuple[Node, Node]]] = {}
    for contract in _children(n, b"S21.G00.40"):
        for a in _children(contract, b"S21.G00.70"):
            key = a.values.get(b"012")
            if key is not None:
                by_id.setdefault(key, []).append((contract, a))
    for group in by_id.values():
        if len(group) < 2:
            continue
        shared = (
            all(c.values.get(b"007") == b"03" for c, _ in group)
            and len({tuple(a.values.get(f) for f in (b"013", b"004", b"005")) for _, a in group})
            == 1
            and len(
                {tuple(c.values.get(f) for f in (b"002", b"003", b"008", b"017")) for c, _ in group}
            )
            == 1
        )
        if not shared:
            yield from (a for _, a in group[1:])


def _beneficiary_nir_department(n: Node, e: Env) -> bool:
    """S21.G00.73.007/CCH-11: the birth department in the beneficiary's NIR (characters 6-7)
    existed in its birth year (S21.G00.73.005): 2A/2B from 1976, 20 before 1976, 96 before
    1968. A NIR of unknown person (twelve 9s) is not checked."""
    nir, birth = n.get("007"), n.get("005")
    if nir is None or birth is None or len(nir) != 13 or nir[1:] == "9" * 12:
        return False
    if len(birth) != 8 or not birth[4:].isdigit():
        return False
    dept, year = nir[5:7], int(birth[4:])
    return (
        (dept in ("2A", "2B") and year < 1976)
        or (dept == "20" and year >= 1976)
        or (dept == "96" and year >= 1968)
    )


NEEDS[_beneficiary_nir_department] = ("S21.G00.73.005", "S21.G00.73.007")

NOT_CNRACL_NATURES = (
    "01", "02", "03", "07", "08", "09", "10", "29", "32", "60",
    "70", "80", "81", "82", "89", "90", "91", "92", "93",
)  # fmt: skip
NOT_RAILWAY = ne("S21.G00.40.020", "134")

CHECKS.update(
    {
        "S21.G00.40.003/CCH-11": allowed_values(
            "S21.G00.40.002", ("03", "04", "08"), when=eq("S21.G00.40.003", "01")
        ),
        "S21.G00.40.003/SIG-15": allowed_values(
            "S21.G00.40.002", ("05",), when=eq("S21.G00.40.003", "02")
        ),
        # The catalogue's P25/P26 text is cut before the codes; P24's lists RETC, RUAA, CNBF (its
        # P26 message names CNBF and "ARRCO et AGIRC"): the three are accepted.
        "S21.G00.40.003/CCH-16": _pension_among(
            ("RETC", "RUAA", "CNBF"), all_of(eq("S21.G00.40.003", "01", "02"), NOT_RAILWAY)
        ),
        # The codes, cut in P25/P26's text, are P24's and the P26 message's: RETA, RUAA.
        "S21.G00.40.003/CCH-17": _pension_among(
            ("RETA", "RUAA"),
            all_of(eq("S21.G00.40.003", "04"), ne("S21.G00.40.002", "04"), NOT_RAILWAY),
        ),
        "S21.G00.40.003/SIG-12": _categorical_status_for_ircantec,
        "S21.G00.40.005/CCH-11": _pcs_iff_complement(
            ("389b",), ("T389N", "T389M", "C389N", "C389M")
        ),
        "S21.G00.40.005/CCH-12": _pcs_iff_complement(("352a",), ("NP352", "P352")),
        "S21.G00.40.005/CCH-13": _pcs_iff_complement(
            ("463a", "463b", "463c", "463d", "463e"), ("06", "07", "08", "09")
        ),
        "S21.G00.40.005/CCH-14": _pcs_iff_complement(("643a",), ("C643", "L643")),
        "S21.G00.40.005/CCH-19": allowed_values(
            "S21.G00.40.004", ("424a",), when=eq("S21.G00.40.005", "S001")
        ),
        "S21.G00.40.008/CCH-17": forbidden_value(
            "S21.G00.40.008", "66", "92", "93", "99", when=nature("10")
        ),
        "S21.G00.40.011/CCH-12": _quotities_at_most(("12", "20"), "31.00"),
        "S21.G00.40.011/CCH-13": _quotities_at_most(("10", "21"), "250.00"),
        "S21.G00.40.014/CCH-11": forbidden_value(
            "S21.G00.40.014", "40", "41", "42", when=all_of(eq("S21.G00.40.026", "99"), NOT_RAILWAY)
        ),
        "S21.G00.40.019/CCH-12": _mission_workplace,
        "S21.G00.40.020/CCH-12": forbidden_value(
            "S21.G00.40.007", *NOT_CNRACL_NATURES, when=eq("S21.G00.40.020", "120")
        ),
        "S21.G00.40.020/CCH-14": forbidden_value(
            "S21.G00.40.024", "01", "03", "99", when=eq("S21.G00.40.020", "996")
        ),
        "S21.G00.40.021/CCH-12": _recourse_11,
        "S21.G00.40.021/SIG-11": required(
            "S21.G00.40.021",
            when=all_of(eq("S21.G00.40.007", "02", "03", "92"), eq("S21.G00.40.008", "99")),
        ),
        "S21.G00.40.033/CCH-12": _old_convention_number,
        "S21.G00.40.039/CCH-11": _agricultural_at_risk,
        "S21.G00.40.040/CCH-11": _camieg_at_risk,
        "S21.G00.40.040/CCH-12": _user_establishment_at_risk,
        "S21.G00.40.053/CCH-11": forbidden(
            "S21.G00.40.053", when=all_of(eq("S21.G00.40.026", "99"), NOT_RAILWAY)
        ),
        "S21.G00.40.074/CCH-11": _adapted_company_workplace,
        # §4.4.12: the datation of a DSN mensuelle (date ≤ last day of the main declared month).
        "S21.G00.70.014/SIG-11": not_after_month_end("S21.G00.70.014", when=nature("01")),
        "S21.G00.71.002/CCH-13": _retc_categorical_status,
        "S21.G00.73.007/CCH-11": _beneficiary_nir_department,
    }
)

SCANS: dict[str, tuple[bytes, Scan]] = {
    "S21.G00.40.011/CCH-15": (INDIVIDUAL, hours_or_days_have_activity),
    "S21.G00.40.078/CCH-11": (INDIVIDUAL, short_time_has_hours),
    "S21.G00.40.078/CCH-12": (INDIVIDUAL, short_time_has_suspension),
    "S21.G00.70.012/CCH-11": (INDIVIDUAL, shared_affiliation_ids),
}

# P24's text of 40.040/CCH-12 allows only 745BD and 745BE (752EE came with P25).
NOT_IN: dict[str, frozenset[str]] = {"S21.G00.40.040/CCH-12": frozenset({"P24V01"})}
