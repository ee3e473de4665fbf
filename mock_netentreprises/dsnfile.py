"""Reading a deposited DSN flat file, and the deposit point's own light checks of it.

Two levels, as on the real platform: `refusal` decides between AEE and ARE at reception (the file
is not a DSN envoi at all), `check` lists the anomalies of the certificate / bilan d'anomalies
(nature 11). The checks are deliberately few: line grammar, encoding, a handful of rubric formats,
SIREN/SIRET keys and the S90 totals. They are not a validator of the norm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

LINE_RE = re.compile(r"^(S\d{2}\.G\d{2}\.\d{2}\.\d{3}),'(.*)'$", re.DOTALL)
MAX_LINE_LENGTH = 256
LA_POSTE_SIREN = "356000000"
LA_POSTE_HEAD_OFFICE = "35600000000048"
# Control characters and the C1 range (CP1252-only bytes): never part of a DSN in ISO-8859-1.
FORBIDDEN_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")

BLOQUANT = "bloquant"


@dataclass(frozen=True)
class RubricRule:
    """The few facts the mock checks about one rubric (label, lengths, whole-value pattern)."""

    libelle: str
    min_length: int
    max_length: int
    pattern: str | None = None
    enumeration: tuple[str, ...] = ()


RULES: dict[str, RubricRule] = {
    "S10.G00.00.001": RubricRule("Nom du logiciel utilisé", 1, 20),
    "S10.G00.00.002": RubricRule("Nom de l'éditeur", 1, 20),
    "S10.G00.00.005": RubricRule("Code envoi du fichier d'essai ou réel", 2, 2, None, ("01", "02")),
    "S10.G00.00.006": RubricRule("Numéro de version de la norme utilisée", 6, 6, r"P\d{2}V\d{2}"),
    "S10.G00.00.007": RubricRule("Point de dépôt", 2, 2, None, ("01", "02")),
    "S10.G00.00.008": RubricRule("Type de l'envoi", 2, 2, None, ("01", "02")),
    "S10.G00.01.001": RubricRule("Siren de l'émetteur de l'envoi", 9, 9, r"\d{9}"),
    "S10.G00.01.002": RubricRule("Nic de l'émetteur de l'envoi", 5, 5, r"\d{5}"),
    "S20.G00.05.001": RubricRule(
        "Nature de la déclaration", 2, 2, None, ("01", "02", "04", "05", "07", "08", "09", "10")
    ),
    "S20.G00.05.002": RubricRule(
        "Type de la déclaration", 2, 2, None, ("01", "02", "03", "04", "05")
    ),
    "S20.G00.05.003": RubricRule("Numéro de fraction de déclaration", 2, 2, r"[1-9]{2}"),
    "S20.G00.05.004": RubricRule("Numéro d'ordre de la déclaration", 1, 15, r"0|[1-9][0-9]*"),
    "S20.G00.05.005": RubricRule(
        "Date du mois principal déclaré", 8, 8, r"(01)(0[1-9]|1[0-2])(20)[0-9]{2}"
    ),
    "S21.G00.06.001": RubricRule("SIREN", 9, 9, r"\d{9}"),
    "S21.G00.06.002": RubricRule("NIC du siège", 5, 5, r"\d{5}"),
    "S21.G00.11.001": RubricRule("NIC", 5, 5, r"\d{5}"),
    "S21.G00.30.001": RubricRule(
        "Numéro d'inscription au répertoire",
        13,
        13,
        r"[1-2][0-9]{2}(0[1-9]|1[0-2]|20|3[0-9]|4[0-2]|[5-9][0-9])(0[1-9]|[1-9][0-9]|2A|2B)"
        r"([0]{2}[1-9]|0[1-9][0-9]|[1-9][0-9]{2})([0]{2}[1-9]|0[1-9][0-9]|[1-9][0-9]{2})"
        r"|([1-2][9]{12})",
    ),
    "S21.G00.30.005": RubricRule("Sexe", 2, 2, None, ("01", "02")),
    "S90.G00.90.001": RubricRule("Nombre total de rubriques", 1, 12, r"[0]*[1-9][0-9]*"),
    "S90.G00.90.002": RubricRule("Nombre de DSN", 1, 5, r"[0]*[1-9][0-9]*"),
}


@dataclass(frozen=True)
class Anomaly:
    """One line of a bilan d'anomalies (BAN): a control's code, message and triggering rubric."""

    code: str
    message: str
    categorie: str = BLOQUANT
    numero_ligne: int | None = None
    identifiant: str | None = None
    libelle: str | None = None
    valeur: str | None = None

    @property
    def at_envoi_level(self) -> bool:
        """Envoi-level anomalies concern the S10/S90 blocks or the physical file itself."""
        return self.identifiant is None or self.identifiant[:3] in {"S10", "S90"}


@dataclass(frozen=True)
class Line:
    number: int
    rubric: str
    value: str


@dataclass
class Individual:
    """An S21.G00.30 occurrence, as the CRMs name employees."""

    rang: int
    nir: str | None = None
    ntt: str | None = None
    nom_famille: str | None = None
    prenoms: str | None = None
    date_naissance: str | None = None
    matricule: str | None = None


@dataclass
class DsnFile:
    """The rubric lines of a deposited file and what the returns need from them."""

    lines: list[Line] = field(default_factory=list)
    individuals: list[Individual] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)

    def first(self, rubric: str) -> str | None:
        for line in self.lines:
            if line.rubric == rubric:
                return line.value
        return None

    def total(self, rubric: str) -> Decimal:
        amount = Decimal("0")
        for line in self.lines:
            if line.rubric == rubric:
                try:
                    amount += Decimal(line.value)
                except InvalidOperation:
                    continue
        return amount

    @property
    def nature(self) -> str | None:
        return self.first("S20.G00.05.001")

    @property
    def essai_reel(self) -> str | None:
        return self.first("S10.G00.00.005")

    @property
    def emetteur_siret(self) -> str | None:
        siren, nic = self.first("S10.G00.01.001"), self.first("S10.G00.01.002")
        return siren + nic if siren and nic else None


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siren_ok(siren: str) -> bool:
    return len(siren) == 9 and luhn_ok(siren)


def siret_ok(siret: str) -> bool:
    if len(siret) != 14 or not siret.isdigit():
        return False
    if siret.startswith(LA_POSTE_SIREN) and siret != LA_POSTE_HEAD_OFFICE:
        return sum(int(c) for c in siret) % 5 == 0
    return luhn_ok(siret)


def refusal(raw: bytes, *, max_bytes: int) -> tuple[str, str] | None:
    """(code, message) of the ARE when the file is not acceptable as a DSN envoi, else None."""
    if len(raw) > max_bytes:
        return "B1-105-12", f"La taille du fichier dépasse la limite autorisée ({max_bytes} o)."
    if not raw.startswith(b"S10"):
        return "B1-105-15", "Le format du fichier depot_mtom n'est pas reconnu."
    if FORBIDDEN_BYTES.search(raw):
        return (
            "B1-105-16",
            "Le fichier contient des caractères de contrôle ou hors du jeu ISO-8859-1.",
        )
    declarations = sum(1 for line in raw.splitlines() if line.startswith(b"S20.G00.05.001,"))
    if declarations != 1:
        return (
            "B1-105-17",
            "Un envoi déposé par l'API doit contenir une et une seule déclaration "
            f"(S20.G00.05) ; le fichier en contient {declarations}.",
        )
    return None


def read(raw: bytes) -> DsnFile:
    """Parse the file (ISO-8859-1) and run the light checks; anomalies land in `.anomalies`."""
    dsn = DsnFile()
    text = raw.decode("iso-8859-1")
    physical = text.split("\n")
    if physical and physical[-1] == "":
        physical.pop()
    last_field: dict[str, int] = {}
    for number, content in enumerate(physical, start=1):
        if len(content) + 1 > MAX_LINE_LENGTH:
            dsn.anomalies.append(
                Anomaly(
                    "CSL-00",
                    f"La ligne dépasse {MAX_LINE_LENGTH} caractères, fin de ligne comprise.",
                    numero_ligne=number,
                )
            )
        body = content.removesuffix("\r")
        match = LINE_RE.match(body)
        if match is None:
            dsn.anomalies.append(
                Anomaly(
                    "CSL-00",
                    "La ligne n'est pas de la forme Sxx.Gyy.zz.nnn,'valeur'.",
                    numero_ligne=number,
                    valeur=body[:80] or None,
                )
            )
            continue
        line = Line(number, match.group(1), match.group(2))
        dsn.lines.append(line)
        _track_individual(dsn, line, last_field)
    if UTF8_MULTIBYTE.search(raw):
        dsn.anomalies.append(_utf8_anomaly(raw))
    for line in dsn.lines:
        dsn.anomalies.extend(_format_anomalies(line))
    dsn.anomalies.extend(_key_anomalies(dsn))
    dsn.anomalies.extend(_total_anomalies(dsn))
    return dsn


def _track_individual(dsn: DsnFile, line: Line, last_field: dict[str, int]) -> None:
    block, field_number = line.rubric[:10], int(line.rubric[11:])
    # A block occurrence starts again when a field number does not increase (the norm's rule).
    new_occurrence = block not in last_field or field_number <= last_field[block]
    last_field[block] = field_number
    if block != "S21.G00.30":
        return
    if new_occurrence:
        dsn.individuals.append(Individual(rang=len(dsn.individuals) + 1))
    person = dsn.individuals[-1]
    attribute = {
        "001": "nir",
        "002": "nom_famille",
        "004": "prenoms",
        "006": "date_naissance",
        "019": "matricule",
        "020": "ntt",
    }.get(line.rubric[11:])
    if attribute:
        setattr(person, attribute, line.value)


def _utf8_anomaly(raw: bytes) -> Anomaly:
    match = UTF8_MULTIBYTE.search(raw)
    assert match is not None
    number = raw.count(b"\n", 0, match.start()) + 1
    return Anomaly(
        "CSL-00",
        "Le fichier contient une séquence UTF-8 : l'encodage attendu est ISO-8859-1.",
        numero_ligne=number,
        valeur=match.group(0).hex(" ").upper(),
    )


def _format_anomalies(line: Line) -> list[Anomaly]:
    rule = RULES.get(line.rubric)
    found: list[Anomaly] = []
    if line.value == "":
        found.append(_anomaly("CSL-01", f"La rubrique {line.rubric} est vide.", line))
        return found
    if rule is None:
        return found
    if len(line.value) > rule.max_length:
        found.append(
            _anomaly(
                "CSL-01",
                f"La rubrique {line.rubric} est plus longue que la longueur maximale "
                f"autorisée ({rule.max_length}).",
                line,
            )
        )
    elif len(line.value) < rule.min_length:
        found.append(
            _anomaly(
                "CSL-01",
                f"La rubrique {line.rubric} est plus courte que la longueur minimale "
                f"autorisée ({rule.min_length}).",
                line,
            )
        )
    elif rule.enumeration and line.value not in rule.enumeration:
        found.append(
            _anomaly(
                "CSL-02",
                f"La valeur de la rubrique {line.rubric} n'appartient pas à la liste des "
                "valeurs autorisées.",
                line,
            )
        )
    elif rule.pattern and re.fullmatch(rule.pattern, line.value) is None:
        found.append(
            _anomaly(
                "CSL-02", f"La rubrique {line.rubric} ne respecte pas le format attendu.", line
            )
        )
    return found


def _key_anomalies(dsn: DsnFile) -> list[Anomaly]:
    found: list[Anomaly] = []
    context_siren: str | None = None
    for line in dsn.lines:
        if line.rubric in {"S10.G00.01.001", "S21.G00.06.001"}:
            context_siren = line.value
            if line.value.isdigit() and len(line.value) == 9 and not siren_ok(line.value):
                who = "de l'émetteur" if line.rubric.startswith("S10") else "de l'entreprise"
                found.append(
                    _anomaly("CSL-11", f"Le SIREN {who} ne respecte pas la clé SIREN.", line)
                )
        elif line.rubric in {"S10.G00.01.002", "S21.G00.06.002", "S21.G00.11.001"}:
            if context_siren is None or not (line.value.isdigit() and len(line.value) == 5):
                continue
            if not siren_ok(context_siren) or siret_ok(context_siren + line.value):
                continue
            code, message = {
                "S10.G00.01.002": ("CSL-11", "Le NIC de l'émetteur ne respecte pas la clé NIC."),
                "S21.G00.06.002": ("CSL-11", "Le NIC du siège ne respecte pas la clé NIC."),
                "S21.G00.11.001": (
                    "CSL-12",
                    "Le NIC de l'établissement ne respecte pas la clé NIC.",
                ),
            }[line.rubric]
            found.append(_anomaly(code, message, line))
    return found


def _total_anomalies(dsn: DsnFile) -> list[Anomaly]:
    totals = [line for line in dsn.lines if line.rubric.startswith("S90.G00.90.")]
    if not totals or not dsn.lines[-1].rubric.startswith("S90.G00.90."):
        return [
            Anomaly(
                "CST-90",
                "Le bloc S90.G00.90 (Total de l'envoi) est absent ou n'est pas le dernier bloc.",
                identifiant="S90.G00.90.001",
                libelle=RULES["S90.G00.90.001"].libelle,
                valeur="",
            )
        ]
    found: list[Anomaly] = []
    expected = {
        "S90.G00.90.001": len(dsn.lines),
        "S90.G00.90.002": sum(1 for line in dsn.lines if line.rubric == "S20.G00.05.001"),
    }
    for line in totals:
        if line.rubric not in expected or not line.value.isdigit():
            continue
        if int(line.value) != expected[line.rubric]:
            found.append(
                _anomaly(
                    "CCH-11",
                    f"La valeur de la rubrique {line.rubric} ({int(line.value)}) diffère du "
                    f"nombre constaté dans l'envoi ({expected[line.rubric]}).",
                    line,
                )
            )
    return found


def _anomaly(code: str, message: str, line: Line) -> Anomaly:
    rule = RULES.get(line.rubric)
    return Anomaly(
        code,
        message,
        numero_ligne=line.number,
        identifiant=line.rubric,
        libelle=rule.libelle if rule else None,
        valeur=line.value,
    )
