"""Predicates of the norm's own domain that controls are written with: payer, birth
department and year, seniority, job title, NTT, SIREN/SIRET keys."""

from __future__ import annotations

from dsnlink.norm.rules.templates import (
    NEEDS,
    Check,
    raw,
    split_key,
    to_amount,
    value,
    with_needs,
)
from dsnlink.norm.tree import Env, Node


def _establishment_siret(n: Node, e: Env) -> str | None:
    siren, nic = value(n, e, "S21.G00.06.001"), value(n, e, "S21.G00.11.001")
    return None if siren is None or nic is None else siren + nic


def other_payer(n: Node, e: Env) -> bool:
    """S21.G00.20.012 (SIRET payeur) is given and is not the establishment's own SIRET."""
    payer = value(n, e, "S21.G00.20.012")
    own = _establishment_siret(n, e)
    return payer is not None and own is not None and payer != own


NEEDS[other_payer] = ("S21.G00.20.012",)


def birth_department_allowed(dept: str, birth: str) -> Check:
    """2A/2B only from 1976, 20 only before 1976, 96 only before 1968 (year of the birth date)."""

    def check(n: Node, e: Env) -> bool:
        d, b = value(n, e, dept), value(n, e, birth)
        if d is None or b is None or len(b) != 8 or not b[4:].isdigit():
            return False
        year = int(b[4:])
        return (
            (d in ("2A", "2B") and year < 1976)
            or (d == "20" and year >= 1976)
            or (d == "96" and year >= 1968)
        )

    return with_needs(check, dept)


# Seniority bounds by unit (S21.G00.86.002): 01 days, 02 months, 03 years.
_SENIORITY_LIMITS = {"01": 99 * 366, "02": 99 * 12, "03": 99}


def seniority_below_99_years(n: Node, e: Env) -> bool:
    unit, amount = value(n, e, "S21.G00.86.002"), to_amount(value(n, e, "S21.G00.86.003"))
    limit = _SENIORITY_LIMITS.get(unit or "")
    return limit is not None and amount is not None and amount >= limit


NEEDS[seniority_below_99_years] = ("S21.G00.86.002", "S21.G00.86.003")


def birth_year_in_range(a: str) -> Check:
    """The year of a birth date ≤ the declared year and > the declared year - 120."""
    key = split_key(a)

    def check(n: Node, e: Env) -> bool:
        v = raw(n, e, key)
        if v is None or len(v) != 8 or not v[4:].isdigit() or e.month is None:
            return False
        year = int(v[4:])
        return not e.month.year - 120 < year <= e.month.year

    return with_needs(check, a)


def adhesion_declared(n: Node, e: Env) -> bool:
    """S21.G00.70.013/CCH-11: the affiliation names an adhesion (S21.G00.15.005) of the
    establishment."""
    wanted = n.values.get(b"013")
    establishment = e.ancestor(b"S21.G00.11")
    if wanted is None or establishment is None:
        return False
    return not any(
        c.block == b"S21.G00.15" and c.values.get(b"005") == wanted
        for c in establishment.children or ()
    )


NEEDS[adhesion_declared] = ("S21.G00.70.013",)


def unique_affiliation_triplet(n: Node, e: Env) -> bool:
    """S21.G00.70.013/CCH-12: one (option, population, adhesion) per contract."""
    fields = (b"004", b"005", b"013")
    mine = tuple(n.values.get(f) for f in fields)
    contract = e.ancestor(b"S21.G00.40")
    if contract is None:
        return False
    return any(
        c.block == b"S21.G00.70" and c is not n and tuple(c.values.get(f) for f in fields) == mine
        for c in contract.children or ()
    )


NEEDS[unique_affiliation_triplet] = ("S21.G00.70.013",)


def job_title_ok(text: str) -> bool:
    """S21.G00.40.006/CSL-11: no character three times in a row (digits excepted, 'i' allowed
    three times), and no leading character other than a letter or a digit."""
    if text and not text[0].isalnum():
        return False
    run, previous = 0, ""
    for ch in text:
        run = run + 1 if ch == previous else 1
        previous = ch
        if ch.isdigit():
            continue
        if run > (3 if ch in "iI" else 2):
            return False
    return True


def ntt_starts_with_1_or_2(rubric: str) -> Check:
    key = split_key(rubric)
    return with_needs(
        lambda n, e: (v := raw(n, e, key)) is not None and v[:1] not in (b"1", b"2"), rubric
    )


def ntt_without_space(rubric: str) -> Check:
    key = split_key(rubric)
    return with_needs(lambda n, e: b" " in (raw(n, e, key) or b""), rubric)


def too_many_trailing_nines(rubric: str) -> Check:
    """More than five 9s at the end of a NIR."""
    key = split_key(rubric)

    def check(n: Node, e: Env) -> bool:
        v = raw(n, e, key)
        return v is not None and len(v) - len(v.rstrip(b"9")) > 5

    return with_needs(check, rubric)


def ntt_holds_siren(rubric: str) -> Check:
    """A temporary number's characters 2 to 10 are the declaration's SIREN (S21.G00.06.001)."""
    key = split_key(rubric)

    def check(n: Node, e: Env) -> bool:
        v = raw(n, e, key)
        return v is not None and e.siren is not None and v[1:10].decode("latin-1") != e.siren

    return with_needs(check, rubric)


def siren_key_ok(value: str) -> bool:
    return value.isdigit() and len(value) == 9 and _luhn(value)


def siret_key_ok(value: str) -> bool:
    return (
        value.isdigit()
        and len(value) == 14
        and (_luhn(value) or (value[:9] == "356000000" and sum(map(int, value)) % 5 == 0))
    )


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0
