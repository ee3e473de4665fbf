"""The model of one sample declaration: its parameters (month, norm version, nature, situations),
the declarant, the employees drawn from a seeded context, and the establishment's totals."""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from stdnum import luhn

from dsnlink import months
from dsnlink.errors import InputError
from dsnlink.norm.catalogue import latest_installed_month
from dsnlink.norm.sample_data import (
    APOSTROPHE_NAMES,
    BANKS,
    BIRTH_PLACES,
    CATEGORIES,
    CATEGORY_WEIGHTS,
    COMPANIES,
    FEMALE_FIRST,
    HOMES,
    LAST_NAMES,
    MALE_FIRST,
    STREETS,
    Category,
    Company,
    Rate,
    apply,
    iban_fr,
    last_working_day,
    luhn_complete,
    month_end,
    rates_for,
)

NORM_BY_YEAR: dict[int, str] = {2024: "P24V01", 2025: "P25V01", 2026: "P26V01"}
# 01 DSN mensuelle; 07 signalement fin du contrat de travail unique (FCTU).
SUPPORTED_NATURES: tuple[str, ...] = ("01", "07")
MAX_EMPLOYEES = 500_000
# Plafond mensuel de la sécurité sociale (monthly social-security ceiling), in cents.
_PMSS = {2024: 386_400, 2025: 392_500, 2026: 400_500}
FULL_TIME_HOURS = 15_167  # 151.67 hours, in hundredths
# Situations the consistency rules are about, each drawn for some individuals when asked for:
# sick-leave: an arrêt de travail (S21.G00.60) during the month (DSN mensuelle only);
# prevoyance: an adhesion (S21.G00.15), each contract affiliated (S21.G00.70), a base 31 with a
#   cotisation 059 (not in a FCTU, where base 31 is forbidden);
# second-contract: a second, part-time fixed-term contract paid in the same payment;
# apprentice: young employees on an apprenticeship contract (S21.G00.40.008 = 64, a fixed term,
#   the diploma prepared in S21.G00.30.025) (DSN mensuelle only).
SITUATIONS: tuple[str, ...] = ("sick-leave", "prevoyance", "second-contract", "apprentice")


class SampleParameterError(InputError):
    """A sample was asked for with parameters no realistic DSN can have."""

    code = "invalid-sample-parameter"


def parse_month(month: date | str) -> date:
    """First day of the declared month, from a date or "YYYY-MM"; refuses months with no norm."""
    try:
        first = months.parse_month(month)
    except InputError as exc:
        raise SampleParameterError(exc.message, parameter="month") from None
    if first.year not in NORM_BY_YEAR:
        years = ", ".join(str(year) for year in NORM_BY_YEAR)
        raise SampleParameterError(
            f"no DSN norm in force for {first:%Y-%m} (supported years: {years})",
            parameter="month",
        )
    return first


def demo_month(today: date, data_dir: str | Path | None = None) -> str:
    """`YYYY-MM`: the latest month a demo can file: its norm installed (shipped or imported in
    `data_dir`) and known to this generator; the current month when both hold."""
    installed = latest_installed_month(today, data_dir)
    latest_known = f"{max(NORM_BY_YEAR):04d}-12"
    return min(installed, latest_known)


def norm_version_for(month: date | str) -> str:
    """The norm version in force for a declared month (P24V01 for 2024, ...)."""
    return NORM_BY_YEAR[parse_month(month).year]


def parse_situations(text: str | None) -> frozenset[str]:
    """`sick-leave,prevoyance` or `all` as a set of situations; refuses unknown names."""
    if not text:
        return frozenset()
    names = {n.strip() for n in text.split(",") if n.strip()}
    if names == {"all"}:
        return frozenset(SITUATIONS)
    unknown = sorted(names - set(SITUATIONS))
    if unknown:
        raise SampleParameterError(
            f"unknown situation(s) {', '.join(unknown)} (known: {', '.join(SITUATIONS)}, all)",
            parameter="situations",
        )
    return frozenset(names)


def check_parameters(employees: int, nature: str, siren: str | None, nic: str | None) -> None:
    if isinstance(employees, bool) or not isinstance(employees, int):
        raise SampleParameterError("employees must be an integer", parameter="employees")
    if not 0 <= employees <= MAX_EMPLOYEES:
        raise SampleParameterError(
            f"employees must be between 0 and {MAX_EMPLOYEES:,}, got {employees:,}",
            parameter="employees",
        )
    if nature not in SUPPORTED_NATURES:
        raise SampleParameterError(
            f"unsupported nature {nature!r} (supported: {', '.join(SUPPORTED_NATURES)})",
            parameter="nature",
        )
    if nature != "01" and employees == 0:
        raise SampleParameterError(
            f"a nature {nature} declaration needs at least one employee (only a DSN mensuelle "
            "can be 'néant')",
            parameter="employees",
        )
    if siren is not None and not (len(siren) == 9 and luhn.is_valid(siren) and siren.strip("0")):
        raise SampleParameterError(
            f"siren must be 9 digits with a valid key, got {siren!r}", parameter="siren"
        )
    if nic is not None:
        if siren is None:
            raise SampleParameterError("nic needs siren", parameter="nic")
        if not (len(nic) == 5 and nic.isdigit() and nic.strip("0") and luhn.is_valid(siren + nic)):
            raise SampleParameterError(
                f"nic must be 5 digits forming a valid SIRET with {siren}, got {nic!r}",
                parameter="nic",
            )


# --- the model of one declaration -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Declarant:
    company: Company
    siren: str
    nic_head_office: str
    nic: str
    headcount: int
    order_number: str
    contact_civility: str
    contact_name: str
    bank: str
    bic: str
    iban: str
    urssaf_siret: str


@dataclass(frozen=True, slots=True)
class _Base:
    code: str  # S21.G00.78.001
    amount: int
    contributions: tuple[tuple[Rate, int], ...]  # (rate, amount in cents)


@dataclass(frozen=True, slots=True)
class _Ending:
    """End of a contract during the declared month (blocks S21.G00.62 and S21.G00.63)."""

    end: date
    reason: str  # S21.G00.62.002
    notice_start: date | None  # notice worked and paid, up to the end; None: no notice clause


@dataclass(frozen=True, slots=True)
class Employee:
    nir: str
    sex: str
    last_name: str
    first_names: str
    birth: date
    birth_department: str
    birth_place: str
    street: str
    postcode: str
    city: str
    matricule: str
    contract_number: str
    start: date
    planned_end: date | None
    ending: _Ending | None
    category: Category
    pcs: str
    title: str
    quotity: int  # hundredths of hours per month
    period_start: date
    period_end: date
    payment_date: date
    hours_worked: int
    gross: int
    bases: tuple[_Base, ...]
    employee_share: int
    net_social: int
    net_taxable: int
    pas_rate: int  # hundredths of a percent
    pas_id: str
    pas: int
    net_paid: int


class Context:
    """What every employee of one sample shares: month, norm, declarant, rates."""

    def __init__(
        self,
        *,
        first: date,
        seed: int,
        employees: int,
        nature: str,
        siren: str | None,
        nic: str | None,
        situations: frozenset[str] = frozenset(),
    ) -> None:
        self.first = first
        self.nature = nature
        self.situations = situations
        # Base 31 (prévoyance) is forbidden in a FCTU (S21.G00.78.001/CCH-14).
        # An adhesion covering staff must be named by an affiliation (S21.G00.15.001/CCH-13):
        # none without an employee.
        self.prevoyance = "prevoyance" in situations and nature == "01" and employees > 0
        self.last = month_end(first)
        self.seed = seed
        self.version = NORM_BY_YEAR[first.year]
        self.pmss = _PMSS[first.year]
        self.payment_date = last_working_day(first)
        self.declarant = self._declarant(employees, siren, nic)
        self.rates = rates_for(first.year, self.declarant.company.at_rate)
        self.siret = self.declarant.siren + self.declarant.nic

    def _declarant(self, employees: int, siren: str | None, nic: str | None) -> _Declarant:
        rng = random.Random(f"declarant:{self.seed}")
        company = rng.choice(COMPANIES)
        if siren is None:
            siren = luhn_complete(f"{rng.randint(1, 9)}{rng.randrange(10**7):07d}")
            while siren == "356000000":  # La Poste follows its own key rule
                siren = luhn_complete(f"{rng.randint(1, 9)}{rng.randrange(10**7):07d}")
        if nic is None:
            # Usually the head office itself declares; sometimes a secondary establishment.
            nic_head = luhn_complete(f"{siren}{rng.randint(1, 9):04d}")[-5:]
            nic = (
                nic_head
                if rng.random() < 0.7
                else (luhn_complete(f"{siren}{rng.randint(10, 99):04d}")[-5:])
            )
        else:
            nic_head = nic
        bank, bic = rng.choice(BANKS)
        iban = iban_fr(bank, f"{rng.randrange(1, 100_000):05d}", f"{rng.randrange(10**11):011d}")
        civility = rng.choice(("01", "02"))
        first_name = rng.choice(MALE_FIRST if civility == "01" else FEMALE_FIRST)
        return _Declarant(
            company=company,
            siren=siren,
            nic_head_office=nic_head,
            nic=nic,
            headcount=employees,
            order_number=str(rng.randint(1, 999_999)),
            contact_civility=civility,
            contact_name=f"{first_name} {rng.choice(LAST_NAMES)}",
            bank=bank,
            bic=bic,
            iban=iban,
            urssaf_siret=luhn_complete(f"78861779300{rng.randint(10, 99)}"),
        )

    def employee(self, index: int) -> Employee:
        """The index-th employee: a pure function of (seed, month, index)."""
        rng = random.Random(self.seed * 1_000_003 + index)
        first, last = self.first, self.last
        sex = "01" if rng.random() < 0.52 else "02"
        age = rng.randint(18, 66)
        birth_year = first.year - age
        birth_month = rng.randint(1, 12)
        birth = date(
            birth_year, birth_month, rng.randint(1, calendar.monthrange(birth_year, birth_month)[1])
        )
        department, place = rng.choice(BIRTH_PLACES)
        if department in ("2A", "2B") and birth_year < 1976:
            department = "20"
        # (commune, order) from a permutation of the index: unique NIRs, never six trailing 9s.
        slot = (index * 104_729 + self.seed * 7_919) % 998_000
        commune, order = 1 + slot // 999, 1 + slot % 999
        nir = f"{sex[1]}{birth_year % 100:02d}{birth_month:02d}{department}{commune:03d}{order:03d}"

        last_name = rng.choice(APOSTROPHE_NAMES) if rng.random() < 0.04 else rng.choice(LAST_NAMES)
        firsts = MALE_FIRST if sex == "01" else FEMALE_FIRST
        first_names = rng.choice(firsts)
        if rng.random() < 0.3:
            first_names += " " + rng.choice(firsts)
        postcode, city = rng.choice(HOMES)
        street = f"{rng.randint(1, 180)} {rng.choice(STREETS)}"

        category = rng.choices([c for c, _ in CATEGORIES], weights=CATEGORY_WEIGHTS)[0]
        earliest = date(birth_year + 18, birth_month, 1)
        roll = rng.random()
        planned_end: date | None = None
        if roll < 0.04:  # hired during the declared month
            start = first + timedelta(days=rng.randint(1, last.day - 1))
        elif roll < 0.16:  # fixed-term contract still running
            start = first - timedelta(days=rng.randint(1, 180))
            planned_end = last + timedelta(days=rng.randint(1, 300))
        else:
            span = (first - earliest).days
            start = first - timedelta(days=rng.randint(1, max(1, span)))
        ending: _Ending | None = None
        if self.nature == "07":  # every contract of a FCTU ends during the month
            end = first + timedelta(days=rng.randint(0, last.day - 1))
            start = min(start, end - timedelta(days=rng.randint(90, 900)))
            if planned_end is not None or rng.random() < 0.4:
                planned_end = end
                ending = _Ending(end, "031", None)  # fixed term reached
            else:
                ending = _Ending(end, "059", end - timedelta(days=30))  # resignation
        if start <= birth:  # only possible for the youngest: hire on the month's first day
            start = first
        quotity = FULL_TIME_HOURS if rng.random() < 0.88 else 12_133
        low, high = category.gross_range
        monthly = rng.randint(low * 100, high * 100) * quotity // FULL_TIME_HOURS
        period_start = max(first, start)
        period_end = ending.end if ending else last
        days_in_month = last.day
        days_worked = (period_end - period_start).days + 1
        gross = monthly * days_worked // days_in_month
        hours_worked = quotity * days_worked // days_in_month
        ceiling = self.pmss * days_worked // days_in_month

        amounts = {
            "02": min(gross, ceiling),
            "03": gross,
            "04": gross * 9_825 // 10_000,
            "07": min(gross, 4 * ceiling),
        }
        bases = []
        employee_share = 0
        csg_non_deductible = 0
        for code, rates in self.rates.items():
            base = amounts[code]
            lines = tuple((rate, apply(base, rate.total)) for rate in rates)
            bases.append(_Base(code, base, lines))
            for rate in rates:
                if rate.employee:
                    employee_share += apply(base, rate.employee)
            if code == "04":
                csg_non_deductible = apply(base, 2_400) + apply(base, 500)
        net_social = gross - employee_share
        net_taxable = net_social + csg_non_deductible
        pas_rate = rng.choice((0, 0, 150, 290, 450, 750, 980, 1_230, 1_550, 2_000))
        pas = (net_taxable * pas_rate + 5_000) // 10_000
        return Employee(
            nir=nir,
            sex=sex,
            last_name=last_name,
            first_names=first_names,
            birth=birth,
            birth_department=department,
            birth_place=place,
            street=street,
            postcode=postcode,
            city=city,
            matricule=f"M{index + 1:06d}",
            contract_number=f"CT{index + 1:06d}",
            start=start,
            planned_end=planned_end,
            ending=ending,
            period_end=period_end,
            payment_date=ending.end if ending else self.payment_date,
            category=category,
            pcs=rng.choice(category.pcs),
            title=rng.choice(category.titles),
            quotity=quotity,
            period_start=period_start,
            hours_worked=hours_worked,
            gross=gross,
            bases=tuple(bases),
            employee_share=employee_share,
            net_social=net_social,
            net_taxable=net_taxable,
            pas_rate=pas_rate,
            pas_id=str(rng.randrange(10**9, 10**12)),
            pas=pas,
            net_paid=net_social - pas,
        )


@dataclass(slots=True)
class Totals:
    """Sums over all employees that the establishment-level blocks declare."""

    bases: dict[str, int]
    pas: int = 0


def sum_totals(context: Context, employees: int) -> Totals:
    totals = Totals(bases=dict.fromkeys(context.rates, 0))
    for index in range(employees):
        employee = context.employee(index)
        for base in employee.bases:
            totals.bases[base.code] += base.amount
        totals.pas += employee.pas
    return totals


# URSSAF aggregated contributions (S21.G00.23): CTP code, qualifier, contributing rates.
URSSAF_LINES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("100", "921", "02", ("076",)),  # régime général, plafonné
    ("100", "920", "03", ("075", "076", "074", "045")),  # régime général, déplafonné
    ("332", "921", "02", ("049",)),  # FNAL
    ("479", "920", "03", ("068",)),  # contribution solidarité autonomie
    ("027", "920", "03", ("100",)),  # dialogue social
    ("260", "920", "04", ("072", "079")),  # CSG / CRDS
    ("772", "920", "07", ("040", "048")),  # assurance chômage et AGS
)
