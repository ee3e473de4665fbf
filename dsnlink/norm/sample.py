"""Realistic synthetic DSN mensuelle files, streamed and deterministic (tests, demos, benchmarks).

The rubrics, value formats and enumerations used here were taken from the norm catalogues
P24V01, P25V01 and P26V01 (only rubrics present in the norm of the declared month are written).
Nothing is read at run time: a sample of 100,000 employees is produced employee by employee, in two
passes over the same seeded random draws (the establishment's contribution totals, which come
before the individuals in the file, are summed in the first pass).
"""

from __future__ import annotations

import calendar
import gzip
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from stdnum import luhn

from dsnlink import months
from dsnlink.errors import InputError
from dsnlink.norm.catalogue import latest_installed_month

NORM_BY_YEAR: dict[int, str] = {2024: "P24V01", 2025: "P25V01", 2026: "P26V01"}
# 01 DSN mensuelle; 07 signalement fin du contrat de travail unique (FCTU).
SUPPORTED_NATURES: tuple[str, ...] = ("01", "07")
MAX_EMPLOYEES = 500_000
SOFTWARE_NAME = "dsnlink-sample"
SOFTWARE_PUBLISHER = "dsnlink"
SOFTWARE_VERSION = "1.0"
EMPLOYEES_PER_CHUNK = 64

# Plafond mensuel de la sécurité sociale (monthly social-security ceiling), in cents.
_PMSS = {2024: 386_400, 2025: 392_500, 2026: 400_500}
# AGS (wage-guarantee insurance) rate in thousandths of a percent: 0.20 % in 2024, 0.25 % after.
_AGS = {2024: 200, 2025: 250, 2026: 250}
_FULL_TIME_HOURS = 15_167  # 151.67 hours, in hundredths

# Situations the consistency rules are about, each drawn for some individuals when asked for:
# sick-leave: an arrêt de travail (S21.G00.60) during the month (DSN mensuelle only);
# prevoyance: an adhesion (S21.G00.15), each contract affiliated (S21.G00.70), a base 31 with a
#   cotisation 059 (not in a FCTU, where base 31 is forbidden);
# second-contract: a second, part-time fixed-term contract paid in the same payment;
# apprentice: young employees on an apprenticeship contract (S21.G00.40.008 = 64, a fixed term,
#   the diploma prepared in S21.G00.30.025) (DSN mensuelle only).
SITUATIONS: tuple[str, ...] = ("sick-leave", "prevoyance", "second-contract", "apprentice")
PREVOYANCE_ORGANISM = "P0942"

# Norm versions in which the headcount rubrics S21.G00.06.009 and S21.G00.11.008 still exist.
_HEADCOUNT_RUBRICS = frozenset({"P24V01", "P25V01"})


class SampleParameterError(InputError):
    """A sample was asked for with parameters no realistic DSN can have."""

    code = "invalid-sample-parameter"


# --- reference data ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Company:
    name: str
    ape: str
    idcc: str
    at_risk: str
    at_rate: int  # thousandths of a percent
    street: str
    postcode: str
    city: str


_COMPANIES: tuple[_Company, ...] = (
    _Company("Lumière Informatique SAS", "6201Z", "1486", "741GA", 900,
             "18 RUE DE LA RÉPUBLIQUE", "69002", "LYON"),
    _Company("Boulangeries Ménard", "1071C", "0843", "158CA", 2_100,
             "4 PLACE DU MARCHÉ", "35000", "RENNES"),
    _Company("Transports Gérard et Fils", "4941A", "0016", "602MB", 3_500,
             "ZA DES PÉRIÈRES 12 CHEMIN DES ÉCOLIERS", "44300", "NANTES"),
    _Company("Hôtellerie du Léman", "5510Z", "1979", "551AC", 1_900,
             "7 QUAI DU MONT BLANC", "74200", "THONON LES BAINS"),
    _Company("Cabinet Béranger Conseil", "7022Z", "1486", "741GA", 800,
             "52 AVENUE DES CHAMPS ÉLYSÉES", "75008", "PARIS"),
)

_BANKS: tuple[tuple[str, str], ...] = (
    ("30004", "BNPAFRPPXXX"),
    ("30003", "SOGEFRPP"),
    ("30002", "CRLYFRPP"),
    ("30066", "CMCIFRPP"),
)

_LAST_NAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Lefèvre", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Michel", "Garcia", "Fournier", "Girard", "Bonnet", "Dupont",
    "Lambert", "Fontaine", "Rousseau", "Mercier", "Guérin", "Faure", "André", "Chevalier",
    "François", "Legrand", "Gauthier", "Perrin", "Clément", "Lemaître", "Hénault", "Bérénger",
    "Pâris", "Brûlé", "Nguyen", "Da Silva", "Müller", "Lefèvre-Dupuis", "Benoît", "Crémieux",
)
_APOSTROPHE_NAMES: tuple[str, ...] = ("O'Connor", "D'Almeida", "N'Diaye", "D'Artois", "L'Hôte")
_MALE_FIRST: tuple[str, ...] = (
    "Jean", "Pierre", "Lucas", "Hugo", "Théo", "Jérôme", "François", "Loïc", "Mathéo", "Noël",
    "Gaëtan", "Benoît", "Raphaël", "Clément", "Aurélien", "Stéphane", "Sébastien", "Rémi",
)
_FEMALE_FIRST: tuple[str, ...] = (
    "Élodie", "Chloé", "Léa", "Zoé", "Inès", "Anaïs", "Hélène", "Cécile", "Noémie", "Maëlle",
    "Océane", "Agnès", "Mélanie", "Émilie", "Françoise", "Béatrice", "Sophie", "Camille",
)
# (NIR department, birth place); Corsica is "20" before 1976 and 2A/2B after.
_BIRTH_PLACES: tuple[tuple[str, str], ...] = (
    ("75", "Paris"), ("69", "Lyon"), ("13", "Marseille"), ("31", "Toulouse"), ("06", "Nice"),
    ("44", "Nantes"), ("67", "Strasbourg"), ("34", "Montpellier"), ("33", "Bordeaux"),
    ("59", "Lille"), ("35", "Rennes"), ("51", "Reims"), ("42", "Saint-Étienne"),
    ("83", "Toulon"), ("38", "Grenoble"), ("21", "Dijon"), ("49", "Angers"), ("30", "Nîmes"),
    ("25", "Besançon"), ("94", "L'Haÿ-les-Roses"), ("92", "Boulogne-Billancourt"),
    ("93", "Saint-Denis"), ("2A", "Ajaccio"), ("2B", "Bastia"), ("29", "Brest"),
    ("87", "Limoges"), ("63", "Clermont-Ferrand"), ("76", "Le Havre"), ("57", "Metz"),
    ("80", "Amiens"), ("37", "Tours"), ("01", "Bourg-en-Bresse"), ("05", "Gap"),
)
# Localities must match [A-Za-z0-9\s]+ in the norm: upper case, no accent, no hyphen.
_HOMES: tuple[tuple[str, str], ...] = (
    ("75011", "PARIS"), ("75015", "PARIS"), ("92100", "BOULOGNE BILLANCOURT"),
    ("93200", "SAINT DENIS"), ("94200", "IVRY SUR SEINE"), ("69003", "LYON"),
    ("69100", "VILLEURBANNE"), ("13008", "MARSEILLE"), ("31000", "TOULOUSE"),
    ("33000", "BORDEAUX"), ("44000", "NANTES"), ("59000", "LILLE"), ("67000", "STRASBOURG"),
    ("35000", "RENNES"), ("34000", "MONTPELLIER"), ("06000", "NICE"), ("38000", "GRENOBLE"),
    ("21000", "DIJON"), ("76600", "LE HAVRE"), ("20000", "AJACCIO"),
)
_STREETS: tuple[str, ...] = (
    "RUE DE LA RÉPUBLIQUE", "AVENUE JEAN JAURÈS", "BOULEVARD VOLTAIRE", "RUE DE L'ÉGLISE",
    "IMPASSE DES CÈDRES", "PLACE DU MARCHÉ", "ALLÉE DES PEUPLIERS", "RUE VICTOR HUGO",
    "CHEMIN DES ÉCOLIERS", "RUE DU FAUBOURG SAINT ANTOINE", "RUE PASTEUR", "QUAI DES BRUMES",
)


@dataclass(frozen=True, slots=True)
class _Category:
    """One job category: conventional status, retirement status, PCS-ESE codes, titles, pay."""

    statut: str  # S21.G00.40.002
    retraite: str  # S21.G00.40.003
    pcs: tuple[str, ...]
    titles: tuple[str, ...]
    gross_range: tuple[int, int]  # full-time monthly gross, in euros


_CATEGORIES: tuple[tuple[_Category, int], ...] = (
    (_Category("04", "01", ("388a", "375a", "372a"),
               ("Ingénieur d'études", "Responsable comptable", "Directrice commerciale",
                "Chef de projet", "Responsable des ressources humaines"), (3_800, 7_500)), 25),
    (_Category("05", "04", ("478a", "461d", "467a"),
               ("Technicien de maintenance", "Assistante de direction", "Chef d'équipe",
                "Comptable", "Développeur"), (2_400, 3_600)), 25),
    (_Category("06", "04", ("542a", "543d", "551a"),
               ("Employée administrative", "Vendeur", "Hôtesse d'accueil",
                "Secrétaire", "Réceptionniste"), (1_850, 2_600)), 35),
    (_Category("07", "04", ("641a", "652a", "676a"),
               ("Chauffeur poids lourd", "Boulanger", "Cariste", "Agent de production"),
               (1_850, 2_500)), 15),
)
_CATEGORY_WEIGHTS = [weight for _, weight in _CATEGORIES]


@dataclass(frozen=True, slots=True)
class _Rate:
    """One individual contribution (S21.G00.81) computed on one assessment base (S21.G00.78)."""

    code: str  # S21.G00.81.001
    total: int  # thousandths of a percent (employer + employee)
    employee: int  # thousandths of a percent withheld from the employee


def _rates(year: int, at_rate: int) -> dict[str, tuple[_Rate, ...]]:
    """Contributions by base code (S21.G00.78.001), in file order."""
    return {
        "02": (  # assiette brute plafonnée
            _Rate("076", 15_450, 6_900),  # assurance vieillesse plafonnée
            _Rate("049", 100, 0),  # FNAL
            _Rate("131", 7_870, 3_150),  # Agirc-Arrco, tranche 1
        ),
        "03": (  # assiette brute déplafonnée
            _Rate("075", 7_000, 0),  # assurance maladie
            _Rate("076", 2_420, 400),  # assurance vieillesse déplafonnée
            _Rate("074", 3_450, 0),  # allocations familiales
            _Rate("045", at_rate, 0),  # accident du travail
            _Rate("068", 300, 0),  # contribution solidarité autonomie
            _Rate("100", 16, 0),  # dialogue social
        ),
        "04": (  # assiette CSG
            _Rate("072", 9_200, 9_200),
            _Rate("079", 500, 500),  # CRDS
        ),
        "07": (  # assiette assurance chômage
            _Rate("040", 4_050, 0),
            _Rate("048", _AGS[year], 0),
        ),
    }


# --- small pure helpers -----------------------------------------------------------------------


def _luhn_complete(prefix: str) -> str:
    """`prefix` followed by the digit that makes the whole Luhn-valid (SIREN, SIRET keys)."""
    return prefix + luhn.calc_check_digit(prefix)


def _iban_fr(bank: str, branch: str, account: str) -> str:
    """A French IBAN whose RIB key and IBAN key are both correct."""
    rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{rib_key:02d}"
    check = 98 - int(bban + "152700") % 97  # "FR00" moved to the end, F=15, R=27
    return f"FR{check:02d}{bban}"


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _rate_text(thousandths: int, *, decimals: int = 2) -> str:
    """A rate in thousandths of a percent as the norm writes it ("7.00", "0.016")."""
    whole, frac = divmod(thousandths, 1000)
    if decimals == 2 or frac % 10 == 0:
        return f"{whole}.{frac // 10:02d}"
    return f"{whole}.{frac:03d}"


def _apply(base: int, thousandths: int) -> int:
    """Round half up of base × rate, both non-negative, in cents."""
    return (base * thousandths + 50_000) // 100_000


def _ddmmyyyy(day: date) -> str:
    return f"{day.day:02d}{day.month:02d}{day.year:04d}"


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _last_working_day(first: date) -> date:
    day = _month_end(first)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


# --- parameters -------------------------------------------------------------------------------


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


def _check_parameters(employees: int, nature: str, siren: str | None, nic: str | None) -> None:
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
    if siren is not None and not (
        len(siren) == 9 and luhn.is_valid(siren) and siren.strip("0")
    ):
        raise SampleParameterError(
            f"siren must be 9 digits with a valid key, got {siren!r}", parameter="siren"
        )
    if nic is not None:
        if siren is None:
            raise SampleParameterError("nic needs siren", parameter="nic")
        if not (len(nic) == 5 and nic.isdigit() and nic.strip("0")
                and luhn.is_valid(siren + nic)):
            raise SampleParameterError(
                f"nic must be 5 digits forming a valid SIRET with {siren}, got {nic!r}",
                parameter="nic",
            )


# --- the model of one declaration -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Declarant:
    company: _Company
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
    contributions: tuple[tuple[_Rate, int], ...]  # (rate, amount in cents)


@dataclass(frozen=True, slots=True)
class _Ending:
    """End of a contract during the declared month (blocks S21.G00.62 and S21.G00.63)."""

    end: date
    reason: str  # S21.G00.62.002
    notice_start: date | None  # notice worked and paid, up to the end; None: no notice clause


@dataclass(frozen=True, slots=True)
class _Employee:
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
    category: _Category
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


class _Context:
    """What every employee of one sample shares: month, norm, declarant, rates."""

    def __init__(self, *, first: date, seed: int, employees: int, nature: str,
                 siren: str | None, nic: str | None,
                 situations: frozenset[str] = frozenset()) -> None:
        self.first = first
        self.nature = nature
        self.situations = situations
        # Base 31 (prévoyance) is forbidden in a FCTU (S21.G00.78.001/CCH-14).
        self.prevoyance = "prevoyance" in situations and nature == "01"
        self.last = _month_end(first)
        self.seed = seed
        self.version = NORM_BY_YEAR[first.year]
        self.pmss = _PMSS[first.year]
        self.payment_date = _last_working_day(first)
        self.declarant = self._declarant(employees, siren, nic)
        self.rates = _rates(first.year, self.declarant.company.at_rate)
        self.siret = self.declarant.siren + self.declarant.nic

    def _declarant(self, employees: int, siren: str | None, nic: str | None) -> _Declarant:
        rng = random.Random(f"declarant:{self.seed}")
        company = rng.choice(_COMPANIES)
        if siren is None:
            siren = _luhn_complete(f"{rng.randint(1, 9)}{rng.randrange(10**7):07d}")
            while siren == "356000000":  # La Poste follows its own key rule
                siren = _luhn_complete(f"{rng.randint(1, 9)}{rng.randrange(10**7):07d}")
        if nic is None:
            # Usually the head office itself declares; sometimes a secondary establishment.
            nic_head = _luhn_complete(f"{siren}{rng.randint(1, 9):04d}")[-5:]
            nic = nic_head if rng.random() < 0.7 else (
                _luhn_complete(f"{siren}{rng.randint(10, 99):04d}")[-5:]
            )
        else:
            nic_head = nic
        bank, bic = rng.choice(_BANKS)
        iban = _iban_fr(bank, f"{rng.randrange(1, 100_000):05d}", f"{rng.randrange(10**11):011d}")
        civility = rng.choice(("01", "02"))
        first_name = rng.choice(_MALE_FIRST if civility == "01" else _FEMALE_FIRST)
        return _Declarant(
            company=company,
            siren=siren,
            nic_head_office=nic_head,
            nic=nic,
            headcount=employees,
            order_number=str(rng.randint(1, 999_999)),
            contact_civility=civility,
            contact_name=f"{first_name} {rng.choice(_LAST_NAMES)}",
            bank=bank,
            bic=bic,
            iban=iban,
            urssaf_siret=_luhn_complete(f"78861779300{rng.randint(10, 99)}"),
        )

    def employee(self, index: int) -> _Employee:
        """The index-th employee: a pure function of (seed, month, index)."""
        rng = random.Random(self.seed * 1_000_003 + index)
        first, last = self.first, self.last
        sex = "01" if rng.random() < 0.52 else "02"
        age = rng.randint(18, 66)
        birth_year = first.year - age
        birth_month = rng.randint(1, 12)
        birth = date(birth_year, birth_month,
                     rng.randint(1, calendar.monthrange(birth_year, birth_month)[1]))
        department, place = rng.choice(_BIRTH_PLACES)
        if department in ("2A", "2B") and birth_year < 1976:
            department = "20"
        # (commune, order) from a permutation of the index: unique NIRs, never six trailing 9s.
        slot = (index * 104_729 + self.seed * 7_919) % 998_000
        commune, order = 1 + slot // 999, 1 + slot % 999
        nir = f"{sex[1]}{birth_year % 100:02d}{birth_month:02d}{department}{commune:03d}{order:03d}"

        if rng.random() < 0.04:
            last_name = rng.choice(_APOSTROPHE_NAMES)
        else:
            last_name = rng.choice(_LAST_NAMES)
        firsts = _MALE_FIRST if sex == "01" else _FEMALE_FIRST
        first_names = rng.choice(firsts)
        if rng.random() < 0.3:
            first_names += " " + rng.choice(firsts)
        postcode, city = rng.choice(_HOMES)
        street = f"{rng.randint(1, 180)} {rng.choice(_STREETS)}"

        category = rng.choices([c for c, _ in _CATEGORIES], weights=_CATEGORY_WEIGHTS)[0]
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
        quotity = _FULL_TIME_HOURS if rng.random() < 0.88 else 12_133
        low, high = category.gross_range
        monthly = rng.randint(low * 100, high * 100) * quotity // _FULL_TIME_HOURS
        period_start = max(first, start)
        period_end = ending.end if ending else last
        days_in_month = last.day
        days_worked = (period_end - period_start).days + 1
        gross = monthly * days_worked // days_in_month
        hours_worked = quotity * days_worked // days_in_month
        ceiling = self.pmss * days_worked // days_in_month

        amounts = {"02": min(gross, ceiling), "03": gross,
                   "04": gross * 9_825 // 10_000, "07": min(gross, 4 * ceiling)}
        bases = []
        employee_share = 0
        csg_non_deductible = 0
        for code, rates in self.rates.items():
            base = amounts[code]
            lines = tuple((rate, _apply(base, rate.total)) for rate in rates)
            bases.append(_Base(code, base, lines))
            for rate in rates:
                if rate.employee:
                    employee_share += _apply(base, rate.employee)
            if code == "04":
                csg_non_deductible = _apply(base, 2_400) + _apply(base, 500)
        net_social = gross - employee_share
        net_taxable = net_social + csg_non_deductible
        pas_rate = rng.choice((0, 0, 150, 290, 450, 750, 980, 1_230, 1_550, 2_000))
        pas = (net_taxable * pas_rate + 5_000) // 10_000
        return _Employee(
            nir=nir, sex=sex, last_name=last_name, first_names=first_names, birth=birth,
            birth_department=department, birth_place=place, street=street,
            postcode=postcode, city=city, matricule=f"M{index + 1:06d}",
            contract_number=f"CT{index + 1:06d}", start=start, planned_end=planned_end,
            ending=ending, period_end=period_end,
            payment_date=ending.end if ending else self.payment_date,
            category=category, pcs=rng.choice(category.pcs), title=rng.choice(category.titles),
            quotity=quotity, period_start=period_start, hours_worked=hours_worked, gross=gross,
            bases=tuple(bases), employee_share=employee_share, net_social=net_social,
            net_taxable=net_taxable, pas_rate=pas_rate, pas_id=str(rng.randrange(10**9, 10**12)),
            pas=pas, net_paid=net_social - pas,
        )


@dataclass(slots=True)
class _Totals:
    """Sums over all employees that the establishment-level blocks declare."""

    bases: dict[str, int]
    pas: int = 0


def _sum_totals(context: _Context, employees: int) -> _Totals:
    totals = _Totals(bases=dict.fromkeys(context.rates, 0))
    for index in range(employees):
        employee = context.employee(index)
        for base in employee.bases:
            totals.bases[base.code] += base.amount
        totals.pas += employee.pas
    return totals


# URSSAF aggregated contributions (S21.G00.23): CTP code, qualifier, contributing rates.
_URSSAF_LINES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("100", "921", "02", ("076",)),  # régime général, plafonné
    ("100", "920", "03", ("075", "076", "074", "045")),  # régime général, déplafonné
    ("332", "921", "02", ("049",)),  # FNAL
    ("479", "920", "03", ("068",)),  # contribution solidarité autonomie
    ("027", "920", "03", ("100",)),  # dialogue social
    ("260", "920", "04", ("072", "079")),  # CSG / CRDS
    ("772", "920", "07", ("040", "048")),  # assurance chômage et AGS
)


# --- rendering --------------------------------------------------------------------------------


class _Writer:
    """Collects lines and counts them (S90.G00.90.001 counts every rubric line of the envoi)."""

    __slots__ = ("count", "lines")

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0

    def add(self, rubric: str, value: str) -> None:
        self.lines.append(f"{rubric},'{value}'\n")

    def take(self) -> bytes:
        self.count += len(self.lines)
        chunk = "".join(self.lines).encode("iso-8859-1")
        self.lines.clear()
        return chunk


def _header(out: _Writer, context: _Context, *, nature: str, declaration_type: str,
            test: bool) -> None:
    d = context.declarant
    c = d.company
    out.add("S10.G00.00.001", SOFTWARE_NAME)
    out.add("S10.G00.00.002", SOFTWARE_PUBLISHER)
    out.add("S10.G00.00.003", SOFTWARE_VERSION)
    out.add("S10.G00.00.005", "01" if test else "02")
    out.add("S10.G00.00.006", context.version)
    out.add("S10.G00.00.007", "01")
    out.add("S10.G00.00.008", "02" if declaration_type == "02" else "01")
    out.add("S10.G00.01.001", d.siren)
    out.add("S10.G00.01.002", d.nic_head_office)
    out.add("S10.G00.01.003", c.name)
    out.add("S10.G00.01.004", c.street)
    out.add("S10.G00.01.005", c.postcode)
    out.add("S10.G00.01.006", c.city)
    out.add("S10.G00.02.001", d.contact_civility)
    out.add("S10.G00.02.002", d.contact_name)
    plain = unicodedata.normalize("NFKD", c.name.split()[0].lower())
    domain = "".join(ch for ch in plain if ch.isascii() and ch.isalpha())
    out.add("S10.G00.02.004", f"paie@{domain or 'entreprise'}.fr")
    out.add("S10.G00.02.005", "0145678910")
    built = context.last + timedelta(days=3)
    out.add("S20.G00.05.001", nature)
    out.add("S20.G00.05.002", declaration_type)
    out.add("S20.G00.05.003", "11")
    out.add("S20.G00.05.004", d.order_number)
    out.add("S20.G00.05.005", f"01{context.first.month:02d}{context.first.year:04d}")
    out.add("S20.G00.05.007", _ddmmyyyy(built))
    out.add("S20.G00.05.008", "01")
    out.add("S20.G00.05.010", "01")
    out.add("S21.G00.06.001", d.siren)
    out.add("S21.G00.06.002", d.nic_head_office)
    out.add("S21.G00.06.003", c.ape)
    out.add("S21.G00.06.004", c.street)
    out.add("S21.G00.06.005", c.postcode)
    out.add("S21.G00.06.006", c.city)
    if context.version in _HEADCOUNT_RUBRICS:
        out.add("S21.G00.06.009", str(d.headcount))
    out.add("S21.G00.11.001", d.nic)
    out.add("S21.G00.11.002", c.ape)
    out.add("S21.G00.11.003", c.street)
    out.add("S21.G00.11.004", c.postcode)
    out.add("S21.G00.11.005", c.city)
    if context.version in _HEADCOUNT_RUBRICS:
        out.add("S21.G00.11.008", str(d.headcount))
    out.add("S21.G00.11.017", "01")
    out.add("S21.G00.11.022", c.idcc)
    if context.prevoyance:
        out.add("S21.G00.15.001", f"PREV{context.first.year}")
        out.add("S21.G00.15.002", PREVOYANCE_ORGANISM)
        out.add("S21.G00.15.004", "01")
        out.add("S21.G00.15.005", "1")


def _establishment_payments(out: _Writer, context: _Context, totals: _Totals) -> None:
    d = context.declarant
    first, last = _ddmmyyyy(context.first), _ddmmyyyy(context.last)
    lines = []
    for ctp, qualifier, base_code, codes in _URSSAF_LINES:
        base = totals.bases[base_code]
        rate = sum(r.total for r in context.rates[base_code] if r.code in codes)
        lines.append((ctp, qualifier, base, rate, _apply(base, rate)))
    urssaf_total = sum(amount for *_, amount in lines)
    due = _ddmmyyyy(context.last + timedelta(days=15))
    out.add("S21.G00.20.001", d.urssaf_siret)
    out.add("S21.G00.20.003", d.bic)
    out.add("S21.G00.20.004", d.iban)
    out.add("S21.G00.20.005", _money(urssaf_total))
    out.add("S21.G00.20.006", first)
    out.add("S21.G00.20.007", last)
    out.add("S21.G00.20.010", "05")
    out.add("S21.G00.20.011", due)
    out.add("S21.G00.20.001", "DGFIP")
    out.add("S21.G00.20.002", "DGFIP_PAS")
    out.add("S21.G00.20.003", d.bic)
    out.add("S21.G00.20.004", d.iban)
    out.add("S21.G00.20.005", _money(totals.pas))
    out.add("S21.G00.20.006", first)
    out.add("S21.G00.20.007", last)
    out.add("S21.G00.20.010", "05")
    out.add("S21.G00.22.001", d.urssaf_siret)
    out.add("S21.G00.22.003", first)
    out.add("S21.G00.22.004", last)
    out.add("S21.G00.22.005", _money(urssaf_total))
    for ctp, qualifier, base, rate, amount in lines:
        out.add("S21.G00.23.001", ctp)
        out.add("S21.G00.23.002", qualifier)
        if rate % 10 == 0:  # the aggregated rate is written with two decimals at most
            out.add("S21.G00.23.003", _rate_text(rate))
        out.add("S21.G00.23.004", _money(base))
        out.add("S21.G00.23.005", _money(amount))


def _individual(out: _Writer, context: _Context, e: _Employee) -> None:
    period_first, period_last = _ddmmyyyy(e.period_start), _ddmmyyyy(e.period_end)
    extra = random.Random(f"situations:{context.seed}:{e.matricule}")
    apprentice = (
        "apprentice" in context.situations
        and context.nature == "01"
        and context.first.year - e.birth.year < 26
        and extra.random() < 0.5
    )
    planned_end = e.planned_end
    if apprentice and planned_end is None:
        planned_end = context.last + timedelta(days=extra.randint(30, 700))
    out.add("S21.G00.30.001", e.nir)
    out.add("S21.G00.30.002", e.last_name)
    out.add("S21.G00.30.004", e.first_names)
    out.add("S21.G00.30.005", e.sex)
    out.add("S21.G00.30.006", _ddmmyyyy(e.birth))
    out.add("S21.G00.30.007", e.birth_place)
    out.add("S21.G00.30.008", e.street)
    out.add("S21.G00.30.009", e.postcode)
    out.add("S21.G00.30.010", e.city)
    out.add("S21.G00.30.014", e.birth_department)
    out.add("S21.G00.30.019", e.matricule)
    if apprentice:
        out.add("S21.G00.30.025", extra.choice(("03", "04", "05", "06")))

    category = e.category
    company = context.declarant.company
    out.add("S21.G00.40.001", _ddmmyyyy(e.start))
    out.add("S21.G00.40.002", category.statut)
    out.add("S21.G00.40.003", category.retraite)
    out.add("S21.G00.40.004", e.pcs)
    out.add("S21.G00.40.006", e.title)
    out.add("S21.G00.40.007", "02" if planned_end else "01")
    out.add("S21.G00.40.008", "64" if apprentice else "99")
    out.add("S21.G00.40.009", e.contract_number)
    if planned_end:
        out.add("S21.G00.40.010", _ddmmyyyy(planned_end))
    out.add("S21.G00.40.011", "10")
    out.add("S21.G00.40.012", _money(_FULL_TIME_HOURS))
    out.add("S21.G00.40.013", _money(e.quotity))
    out.add("S21.G00.40.014", "10" if e.quotity == _FULL_TIME_HOURS else "20")
    out.add("S21.G00.40.016", "99")
    out.add("S21.G00.40.017", company.idcc)
    out.add("S21.G00.40.018", "200")
    out.add("S21.G00.40.019", context.siret)
    out.add("S21.G00.40.020", "200")
    if planned_end and not apprentice:
        out.add("S21.G00.40.021", "02")
    out.add("S21.G00.40.024", "99")
    out.add("S21.G00.40.026", "99")
    out.add("S21.G00.40.036", "01")
    out.add("S21.G00.40.037", "01")
    out.add("S21.G00.40.039", "200")
    out.add("S21.G00.40.040", company.at_risk)
    out.add("S21.G00.40.043", _rate_text(company.at_rate))
    if "sick-leave" in context.situations and context.nature == "01" and extra.random() < 0.1:
        first_day = max(e.period_start, context.first)
        span = (e.period_end - first_day).days
        if span > 1:
            last_worked = first_day + timedelta(days=extra.randint(0, span - 1))
            out.add("S21.G00.60.001", "01")  # maladie
            out.add("S21.G00.60.002", _ddmmyyyy(last_worked))
            out.add("S21.G00.60.003", _ddmmyyyy(last_worked + timedelta(days=extra.randint(3, 30))))
    if e.ending:
        out.add("S21.G00.62.001", _ddmmyyyy(e.ending.end))
        out.add("S21.G00.62.002", e.ending.reason)
        if e.ending.notice_start:
            # Date of notification: a resignation is notified when its notice starts.
            out.add("S21.G00.62.003", _ddmmyyyy(max(e.ending.notice_start, e.start)))
        out.add("S21.G00.62.006", _ddmmyyyy(e.ending.end))
        out.add("S21.G00.62.020", f"01{context.first.month:02d}{context.first.year:04d}")
        if e.ending.notice_start:
            out.add("S21.G00.63.001", "01")
            out.add("S21.G00.63.002", _ddmmyyyy(max(e.ending.notice_start, e.start)))
            out.add("S21.G00.63.003", _ddmmyyyy(e.ending.end))
        else:
            out.add("S21.G00.63.001", "90")
    if context.prevoyance:
        out.add("S21.G00.70.004", "OPT1")
        out.add("S21.G00.70.005", "POP1")
        out.add("S21.G00.70.012", "1")
        out.add("S21.G00.70.013", "1")
    out.add("S21.G00.71.002", "RUAA")
    second = (
        "second-contract" in context.situations
        and context.nature == "01"
        and e.ending is None
        and extra.random() < 0.1
    )
    second_number = f"{e.contract_number}B"
    if second:
        second_start = max(e.start, context.first - timedelta(days=extra.randint(0, 200)))
        out.add("S21.G00.40.001", _ddmmyyyy(second_start))
        out.add("S21.G00.40.002", category.statut)
        out.add("S21.G00.40.003", category.retraite)
        out.add("S21.G00.40.004", e.pcs)
        out.add("S21.G00.40.006", e.title)
        out.add("S21.G00.40.007", "02")  # CDD
        out.add("S21.G00.40.008", "99")
        out.add("S21.G00.40.009", second_number)
        out.add("S21.G00.40.010", _ddmmyyyy(context.last + timedelta(days=extra.randint(1, 200))))
        out.add("S21.G00.40.011", "10")
        out.add("S21.G00.40.012", _money(_FULL_TIME_HOURS))
        out.add("S21.G00.40.013", _money(3_033))  # 30.33 hours a month
        out.add("S21.G00.40.014", "20")
        out.add("S21.G00.40.016", "99")
        out.add("S21.G00.40.017", company.idcc)
        out.add("S21.G00.40.018", "200")
        out.add("S21.G00.40.019", context.siret)
        out.add("S21.G00.40.020", "200")
        out.add("S21.G00.40.021", "02")  # accroissement temporaire d'activité
        out.add("S21.G00.40.024", "99")
        out.add("S21.G00.40.026", "99")
        out.add("S21.G00.40.036", "01")
        out.add("S21.G00.40.037", "01")
        out.add("S21.G00.40.039", "200")
        out.add("S21.G00.40.040", company.at_risk)
        out.add("S21.G00.40.043", _rate_text(company.at_rate))
        if context.prevoyance:
            out.add("S21.G00.70.004", "OPT1")
            out.add("S21.G00.70.005", "POP1")
            out.add("S21.G00.70.012", "2")
            out.add("S21.G00.70.013", "1")
        out.add("S21.G00.71.002", "RUAA")

    out.add("S21.G00.50.001", _ddmmyyyy(e.payment_date))
    out.add("S21.G00.50.002", _money(e.net_taxable))
    out.add("S21.G00.50.004", _money(e.net_paid))
    out.add("S21.G00.50.006", f"{e.pas_rate // 100}.{e.pas_rate % 100:02d}")
    out.add("S21.G00.50.007", "01")
    out.add("S21.G00.50.008", e.pas_id)
    out.add("S21.G00.50.009", _money(e.pas))
    out.add("S21.G00.50.013", _money(e.net_taxable))
    if e.ending:
        out.add("S21.G00.50.020", "01")
    for pay_type in ("001", "002", "010"):
        out.add("S21.G00.51.001", period_first)
        out.add("S21.G00.51.002", period_last)
        out.add("S21.G00.51.010", e.contract_number)
        out.add("S21.G00.51.011", pay_type)
        out.add("S21.G00.51.013", _money(e.gross))
        if pay_type == "002":
            out.add("S21.G00.53.001", "01")
            out.add("S21.G00.53.002", _money(e.hours_worked))
            out.add("S21.G00.53.003", "10")
    if second:
        out.add("S21.G00.51.001", _ddmmyyyy(context.first))
        out.add("S21.G00.51.002", _ddmmyyyy(context.last))
        out.add("S21.G00.51.010", second_number)
        out.add("S21.G00.51.011", "001")
        out.add("S21.G00.51.013", _money(e.gross // 5))
    out.add("S21.G00.58.001", period_first)
    out.add("S21.G00.58.002", period_last)
    out.add("S21.G00.58.003", "03")
    out.add("S21.G00.58.004", _money(e.net_social))
    for base in e.bases:
        out.add("S21.G00.78.001", base.code)
        out.add("S21.G00.78.002", period_first)
        out.add("S21.G00.78.003", period_last)
        out.add("S21.G00.78.004", _money(base.amount))
        for rate, amount in base.contributions:
            out.add("S21.G00.81.001", rate.code)
            out.add("S21.G00.81.003", _money(base.amount))
            out.add("S21.G00.81.004", _money(amount))
            out.add("S21.G00.81.007", _rate_text(rate.total, decimals=3))
    if context.prevoyance:
        # Prévoyance elements: a base 31 at zero per affiliation (S21.G00.78.005 names it), its
        # component (the gross pay it applies to) and the contribution on it (059).
        affiliations = [("1", e.gross)] + ([("2", e.gross // 5)] if second else [])
        for affiliation, gross in affiliations:
            out.add("S21.G00.78.001", "31")
            out.add("S21.G00.78.002", period_first)
            out.add("S21.G00.78.003", period_last)
            out.add("S21.G00.78.004", "0.00")
            out.add("S21.G00.78.005", affiliation)
            out.add("S21.G00.79.001", "10")  # salaire brut prévoyance
            out.add("S21.G00.79.004", _money(gross))
            out.add("S21.G00.81.001", "059")
            out.add("S21.G00.81.004", _money(_apply(gross, 1_500)))


def generate_sample(
    *,
    employees: int,
    month: date | str,
    nature: str = "01",
    seed: int = 0,
    siren: str | None = None,
    nic: str | None = None,
    test: bool = True,
    situations: frozenset[str] = frozenset(),
) -> Iterator[bytes]:
    """A DSN of `employees` individuals for `month`, as ISO-8859-1 chunks.

    Nature 01 is a DSN mensuelle (with no employee, a "néant": type 02, envoi type 02); nature 07
    a FCTU where each individual's contract ends during the month (end of fixed term, or
    resignation after a month's notice). Deterministic for a seed; memory stays flat whatever the
    size (chunks of a few dozen individuals).
    Parameters are checked before the first chunk, so a bad call fails at once.
    """
    first = parse_month(month)
    _check_parameters(employees, nature, siren, nic)
    unknown = sorted(set(situations) - set(SITUATIONS))
    if unknown:
        raise SampleParameterError(f"unknown situation(s) {', '.join(unknown)}",
                                   parameter="situations")
    context = _Context(first=first, seed=seed, employees=employees, nature=nature,
                       siren=siren, nic=nic, situations=frozenset(situations))
    return _generate(context, employees=employees, nature=nature, test=test)


def _generate(context: _Context, *, employees: int, nature: str, test: bool) -> Iterator[bytes]:
    out = _Writer()
    _header(out, context, nature=nature, declaration_type="01" if employees else "02", test=test)
    if employees and nature == "01":  # signalements carry no payment nor contribution slip
        _establishment_payments(out, context, _sum_totals(context, employees))
    yield out.take()
    for index in range(employees):
        _individual(out, context, context.employee(index))
        if len(out.lines) >= EMPLOYEES_PER_CHUNK * 80:
            yield out.take()
    out.add("S90.G00.90.001", str(out.count + len(out.lines) + 2))
    out.add("S90.G00.90.002", "1")
    yield out.take()


def sample_bytes(
    *,
    employees: int,
    month: date | str,
    nature: str = "01",
    seed: int = 0,
    siren: str | None = None,
    nic: str | None = None,
    test: bool = True,
    situations: frozenset[str] = frozenset(),
) -> bytes:
    """The whole sample in memory (for small samples and tests); same arguments."""
    return b"".join(generate_sample(employees=employees, month=month, nature=nature, seed=seed,
                                    siren=siren, nic=nic, test=test, situations=situations))


def write_sample(
    path: str | Path,
    *,
    employees: int,
    month: date | str,
    nature: str = "01",
    seed: int = 0,
    siren: str | None = None,
    nic: str | None = None,
    test: bool = True,
    situations: frozenset[str] = frozenset(),
) -> int:
    """Write a sample to `path` (gzip-compressed when it ends in .gz); returns bytes written."""
    chunks = generate_sample(employees=employees, month=month, nature=nature, seed=seed,
                             siren=siren, nic=nic, test=test, situations=situations)
    target = Path(path)
    written = 0
    opener = gzip.open if target.suffix == ".gz" else open
    with opener(target, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
            written += len(chunk)
    return written
