"""Reference data of the sample generator: companies, banks, names, birth places, homes, job
categories, contribution rates by year, and the small pure helpers that format amounts and dates."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum import luhn

# AGS (wage-guarantee insurance) rate in thousandths of a percent: 0.20 % in 2024, 0.25 % after.
_AGS = {2024: 200, 2025: 250, 2026: 250}


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    ape: str
    idcc: str
    at_risk: str
    at_rate: int  # thousandths of a percent
    street: str
    postcode: str
    city: str


COMPANIES: tuple[Company, ...] = (
    Company(
        "Lumière Informatique SAS",
        "6201Z",
        "1486",
        "741GA",
        900,
        "18 RUE DE LA RÉPUBLIQUE",
        "69002",
        "LYON",
    ),
    Company(
        "Boulangeries Ménard",
        "1071C",
        "0843",
        "158CA",
        2_100,
        "4 PLACE DU MARCHÉ",
        "35000",
        "RENNES",
    ),
    Company(
        "Transports Gérard et Fils",
        "4941A",
        "0016",
        "602MB",
        3_500,
        "ZA DES PÉRIÈRES 12 CHEMIN DES ÉCOLIERS",
        "44300",
        "NANTES",
    ),
    Company(
        "Hôtellerie du Léman",
        "5510Z",
        "1979",
        "551AC",
        1_900,
        "7 QUAI DU MONT BLANC",
        "74200",
        "THONON LES BAINS",
    ),
    Company(
        "Cabinet Béranger Conseil",
        "7022Z",
        "1486",
        "741GA",
        800,
        "52 AVENUE DES CHAMPS ÉLYSÉES",
        "75008",
        "PARIS",
    ),
)
BANKS: tuple[tuple[str, str], ...] = (
    ("30004", "BNPAFRPPXXX"),
    ("30003", "SOGEFRPP"),
    ("30002", "CRLYFRPP"),
    ("30066", "CMCIFRPP"),
)
LAST_NAMES: tuple[str, ...] = (
    "Martin",
    "Bernard",
    "Lefèvre",
    "Dubois",
    "Thomas",
    "Robert",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Michel",
    "Garcia",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Mercier",
    "Guérin",
    "Faure",
    "André",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Clément",
    "Lemaître",
    "Hénault",
    "Bérénger",
    "Pâris",
    "Brûlé",
    "Nguyen",
    "Da Silva",
    "Müller",
    "Lefèvre-Dupuis",
    "Benoît",
    "Crémieux",
)
APOSTROPHE_NAMES: tuple[str, ...] = ("O'Connor", "D'Almeida", "N'Diaye", "D'Artois", "L'Hôte")
MALE_FIRST: tuple[str, ...] = (
    "Jean",
    "Pierre",
    "Lucas",
    "Hugo",
    "Théo",
    "Jérôme",
    "François",
    "Loïc",
    "Mathéo",
    "Noël",
    "Gaëtan",
    "Benoît",
    "Raphaël",
    "Clément",
    "Aurélien",
    "Stéphane",
    "Sébastien",
    "Rémi",
)
FEMALE_FIRST: tuple[str, ...] = (
    "Élodie",
    "Chloé",
    "Léa",
    "Zoé",
    "Inès",
    "Anaïs",
    "Hélène",
    "Cécile",
    "Noémie",
    "Maëlle",
    "Océane",
    "Agnès",
    "Mélanie",
    "Émilie",
    "Françoise",
    "Béatrice",
    "Sophie",
    "Camille",
)
# (NIR department, birth place); Corsica is "20" before 1976 and 2A/2B after.
BIRTH_PLACES: tuple[tuple[str, str], ...] = (
    ("75", "Paris"),
    ("69", "Lyon"),
    ("13", "Marseille"),
    ("31", "Toulouse"),
    ("06", "Nice"),
    ("44", "Nantes"),
    ("67", "Strasbourg"),
    ("34", "Montpellier"),
    ("33", "Bordeaux"),
    ("59", "Lille"),
    ("35", "Rennes"),
    ("51", "Reims"),
    ("42", "Saint-Étienne"),
    ("83", "Toulon"),
    ("38", "Grenoble"),
    ("21", "Dijon"),
    ("49", "Angers"),
    ("30", "Nîmes"),
    ("25", "Besançon"),
    ("94", "L'Haÿ-les-Roses"),
    ("92", "Boulogne-Billancourt"),
    ("93", "Saint-Denis"),
    ("2A", "Ajaccio"),
    ("2B", "Bastia"),
    ("29", "Brest"),
    ("87", "Limoges"),
    ("63", "Clermont-Ferrand"),
    ("76", "Le Havre"),
    ("57", "Metz"),
    ("80", "Amiens"),
    ("37", "Tours"),
    ("01", "Bourg-en-Bresse"),
    ("05", "Gap"),
)
# Localities must match [A-Za-z0-9\s]+ in the norm: upper case, no accent, no hyphen.
HOMES: tuple[tuple[str, str], ...] = (
    ("75011", "PARIS"),
    ("75015", "PARIS"),
    ("92100", "BOULOGNE BILLANCOURT"),
    ("93200", "SAINT DENIS"),
    ("94200", "IVRY SUR SEINE"),
    ("69003", "LYON"),
    ("69100", "VILLEURBANNE"),
    ("13008", "MARSEILLE"),
    ("31000", "TOULOUSE"),
    ("33000", "BORDEAUX"),
    ("44000", "NANTES"),
    ("59000", "LILLE"),
    ("67000", "STRASBOURG"),
    ("35000", "RENNES"),
    ("34000", "MONTPELLIER"),
    ("06000", "NICE"),
    ("38000", "GRENOBLE"),
    ("21000", "DIJON"),
    ("76600", "LE HAVRE"),
    ("20000", "AJACCIO"),
)
STREETS: tuple[str, ...] = (
    "RUE DE LA RÉPUBLIQUE",
    "AVENUE JEAN JAURÈS",
    "BOULEVARD VOLTAIRE",
    "RUE DE L'ÉGLISE",
    "IMPASSE DES CÈDRES",
    "PLACE DU MARCHÉ",
    "ALLÉE DES PEUPLIERS",
    "RUE VICTOR HUGO",
    "CHEMIN DES ÉCOLIERS",
    "RUE DU FAUBOURG SAINT ANTOINE",
    "RUE PASTEUR",
    "QUAI DES BRUMES",
)


@dataclass(frozen=True, slots=True)
class Category:
    """One job category: conventional status, retirement status, PCS-ESE codes, titles, pay."""

    statut: str  # S21.G00.40.002
    retraite: str  # S21.G00.40.003
    pcs: tuple[str, ...]
    titles: tuple[str, ...]
    gross_range: tuple[int, int]  # full-time monthly gross, in euros


CATEGORIES: tuple[tuple[Category, int], ...] = (
    (
        Category(
            "04",
            "01",
            ("388a", "375a", "372a"),
            (
                "Ingénieur d'études",
                "Responsable comptable",
                "Directrice commerciale",
                "Chef de projet",
                "Responsable des ressources humaines",
            ),
            (3_800, 7_500),
        ),
        25,
    ),
    (
        Category(
            "05",
            "04",
            ("478a", "461d", "467a"),
            (
                "Technicien de maintenance",
                "Assistante de direction",
                "Chef d'équipe",
                "Comptable",
                "Développeur",
            ),
            (2_400, 3_600),
        ),
        25,
    ),
    (
        Category(
            "06",
            "04",
            ("542a", "543d", "551a"),
            (
                "Employée administrative",
                "Vendeur",
                "Hôtesse d'accueil",
                "Secrétaire",
                "Réceptionniste",
            ),
            (1_850, 2_600),
        ),
        35,
    ),
    (
        Category(
            "07",
            "04",
            ("641a", "652a", "676a"),
            ("Chauffeur poids lourd", "Boulanger", "Cariste", "Agent de production"),
            (1_850, 2_500),
        ),
        15,
    ),
)
CATEGORY_WEIGHTS = [weight for _, weight in CATEGORIES]


@dataclass(frozen=True, slots=True)
class Rate:
    """One individual contribution (S21.G00.81) computed on one assessment base (S21.G00.78)."""

    code: str  # S21.G00.81.001
    total: int  # thousandths of a percent (employer + employee)
    employee: int  # thousandths of a percent withheld from the employee


def rates_for(year: int, at_rate: int) -> dict[str, tuple[Rate, ...]]:
    """Contributions by base code (S21.G00.78.001), in file order."""
    return {
        "02": (  # assiette brute plafonnée
            Rate("076", 15_450, 6_900),  # assurance vieillesse plafonnée
            Rate("049", 100, 0),  # FNAL
            Rate("131", 7_870, 3_150),  # Agirc-Arrco, tranche 1
        ),
        "03": (  # assiette brute déplafonnée
            Rate("075", 7_000, 0),  # assurance maladie
            Rate("076", 2_420, 400),  # assurance vieillesse déplafonnée
            Rate("074", 3_450, 0),  # allocations familiales
            Rate("045", at_rate, 0),  # accident du travail
            Rate("068", 300, 0),  # contribution solidarité autonomie
            Rate("100", 16, 0),  # dialogue social
        ),
        "04": (  # assiette CSG
            Rate("072", 9_200, 9_200),
            Rate("079", 500, 500),  # CRDS
        ),
        "07": (  # assiette assurance chômage
            Rate("040", 4_050, 0),
            Rate("048", _AGS[year], 0),
        ),
    }


# --- small pure helpers -----------------------------------------------------------------------


def luhn_complete(prefix: str) -> str:
    """`prefix` followed by the digit that makes the whole Luhn-valid (SIREN, SIRET keys)."""
    return prefix + luhn.calc_check_digit(prefix)


def iban_fr(bank: str, branch: str, account: str) -> str:
    """A French IBAN whose RIB key and IBAN key are both correct."""
    rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{rib_key:02d}"
    check = 98 - int(bban + "152700") % 97  # "FR00" moved to the end, F=15, R=27
    return f"FR{check:02d}{bban}"


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def rate_text(thousandths: int, *, decimals: int = 2) -> str:
    """A rate in thousandths of a percent as the norm writes it ("7.00", "0.016")."""
    whole, frac = divmod(thousandths, 1000)
    if decimals == 2 or frac % 10 == 0:
        return f"{whole}.{frac // 10:02d}"
    return f"{whole}.{frac:03d}"


def apply(base: int, thousandths: int) -> int:
    """Round half up of base × rate, both non-negative, in cents."""
    return (base * thousandths + 50_000) // 100_000


def ddmmyyyy(day: date) -> str:
    return f"{day.day:02d}{day.month:02d}{day.year:04d}"


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def last_working_day(first: date) -> date:
    day = month_end(first)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day
