"""Anomaly ids: the project's own (`DSNLINK-...`, listed in docs/anomalies.md) and the official
controls this validator implements; every other control of a catalogue is reported as not checked.
"""

from __future__ import annotations

from dsnlink.norm.catalogue import Catalogue
from dsnlink.norm.rules.registry import rule_ids
from dsnlink.norm.schemas import Category

B = Category.BLOQUANT.value
NB = Category.NON_BLOQUANT.value

# id -> (category, French message). Messages may carry {placeholders} filled at report time.
PROJECT_ANOMALIES: dict[str, tuple[str, str]] = {
    "DSNLINK-FMT-01": (B, "Ligne de plus de 256 caractères (fin de ligne comprise)."),
    "DSNLINK-FMT-02": (B, "Ligne vide : chaque ligne doit porter une rubrique."),
    "DSNLINK-FMT-03": (B, "Ligne mal formée : attendu Sxx.Gyy.zz.nnn,'valeur'."),
    "DSNLINK-FMT-04": (B, "Valeur vide ('') : une rubrique sans valeur doit être omise."),
    "DSNLINK-FMT-05": (B, "Fichier vide."),
    "DSNLINK-FMT-06": (B, "Rubrique inconnue dans la norme {version}."),
    "DSNLINK-ENC-01": (B, "Séquence UTF-8 détectée : le fichier doit être encodé en ISO-8859-1."),
    "DSNLINK-ENC-02": (
        B,
        "Octet 0x80 à 0x9F (caractère propre à Windows-1252) : interdit en ISO-8859-1.",
    ),
    "DSNLINK-ENC-03": (B, "Caractère de contrôle ou donnée binaire dans la ligne."),
    # The deposit point's own code for a value of the wrong length (see its BAN bilans).
    "CSL-01": (B, "La rubrique {name} est {comparison} ({bound})."),
    "DSNLINK-VAL-02": (B, "La valeur ne respecte pas le format de la rubrique ({regex})."),
    "DSNLINK-VAL-03": (B, "Valeur absente de la liste des valeurs autorisées de la rubrique."),
    "DSNLINK-VAL-04": (B, "La date n'existe pas au calendrier (format JJMMAAAA)."),
    "DSNLINK-VAL-05": (
        B,
        "Montant mal formé : point décimal, exactement deux décimales, signe moins seulement "
        "pour une rubrique signée.",
    ),
    "DSNLINK-STR-01": (B, "Bloc {block} placé hors de son bloc parent {parent}."),
    "DSNLINK-STR-02": (B, "Trop d'occurrences du bloc {block} (maximum {max})."),
    "DSNLINK-STR-03": (B, "Bloc obligatoire {block} absent (minimum {min}) dans {parent}."),
    "DSNLINK-STR-04": (NB, "Bloc {block} placé après {previous} : ordre de la norme non respecté."),
    "DSNLINK-STR-05": (B, "Bloc S90.G00.90 absent : fichier incomplet ou tronqué."),
    "DSNLINK-STR-06": (B, "Rubrique après le bloc de fin d'envoi S90.G00.90."),
    "DSNLINK-STR-07": (B, "L'envoi doit commencer par le bloc S10.G00.00."),
    "DSNLINK-STR-09": (
        B,
        "Ce fichier est un lot (enveloppe S05/S06 autour de plusieurs envois), pas un envoi : "
        "déposez chaque envoi (de S10.G00.00 à S90.G00.90) séparément.",
    ),
    "DSNLINK-STR-08": (B, "Rubrique obligatoire {name} absente du bloc {block}."),
    "DSNLINK-TOT-01": (
        B,
        "S90.G00.90.001 vaut {declared} alors que l'envoi compte {actual} rubriques "
        "(de S10.G00.00.001 à S90.G00.90.002 inclus).",
    ),
    "DSNLINK-TOT-02": (
        B,
        "S90.G00.90.002 vaut {declared} alors que l'envoi compte {actual} déclarations "
        "(blocs S20.G00.05).",
    ),
    "DSNLINK-NORM-01": (
        B,
        "La version de norme {version} n'est pas celle en vigueur pour le mois {month} "
        "(attendu : {expected}).",
    ),
    "DSNLINK-NORM-02": (
        B,
        "Version de norme S10.G00.00.006 absente ou non prise en charge ({found}) : "
        "contrôles faits avec {used}.",
    ),
    "DSNLINK-NORM-03": (
        B,
        "La norme {version} n'est pas installée : importez son classeur officiel GIP-MDS avec "
        "« dsnlink norm import dsn-datatypes-CTaaaa.xlsx », puis validez à nouveau.",
    ),
    "DSNLINK-CAP-01": (
        NB,
        "Plus de {cap} anomalies : les suivantes sont comptées ({more}) mais non détaillées.",
    ),
}

# Official controls implemented here (the rest of each catalogue's Messages is not checked).
KEY_CONTROLS: dict[str, tuple[str, str]] = {
    # control id -> (check, rubric giving the SIREN for a NIC checked alone)
    "S10.G00.01.001/CSL-11": ("siren", ""),
    "S10.G00.01.002/CCH-11": ("nic", "S10.G00.01.001"),
    "S20.G00.05.012/CSL-12": ("siret", ""),
    "S21.G00.06.001/CSL-11": ("siren", ""),
    "S21.G00.06.002/CSL-11": ("nic", "S21.G00.06.001"),
    "S21.G00.11.001/CSL-12": ("nic", "S21.G00.06.001"),
    "S21.G00.12.003/CSL-11": ("iban", ""),
    "S21.G00.12.003/CSL-12": ("bban", ""),
    "S21.G00.20.004/CSL-11": ("iban", ""),
    "S21.G00.20.004/CSL-13": ("bban", ""),
    "S21.G00.41.012/CSL-11": ("siret_siren", ""),
    "S21.G00.41.012/CSL-12": ("siret", ""),
    "S21.G00.45.001/CSL-11": ("siret_siren", ""),
    "S21.G00.45.001/CSL-12": ("siret", ""),
    "S89.G00.32.004/CSL-12": ("siren", ""),
    "S89.G00.32.005/CCH-11": ("nic", "S89.G00.32.004"),
}

RULE_CONTROLS: frozenset[str] = frozenset(
    {
        "S10.G00.00.008/CCH-11",
        "S20.G00.05.001/CCH-11",
        "S20.G00.05.001/CST-11",
        "S20.G00.05.002/CCH-13",
        "S20.G00.05.002/CCH-14",
        "S20.G00.05.002/CCH-15",
        "S20.G00.05.002/CCH-16",
        "S20.G00.05.003/CCH-11",
        "S20.G00.05.006/CCH-12",
        "S21.G00.30.001/CCH-11",
        "S21.G00.30.001/CCH-13",
        "S21.G00.30.001/CCH-14",
        "S21.G00.30.001/CCH-16",
        "S21.G00.30.006/CCH-11",
        "S21.G00.30.006/CCH-12",
        "S21.G00.30.020/CCH-12",
        "S21.G00.30.020/CCH-13",
        "S21.G00.30.020/CCH-14",
        "S21.G00.30.020/CSL-11",
        "S21.G00.30.020/CSL-12",
    }
)

# Families that need a referential or the platform's history: never checked offline.
EXTERNAL_FAMILIES = ("CRE", "CME", "CID")


def calendar_control_ids(catalogue: Catalogue) -> dict[str, str]:
    """rubric id -> official id of its calendar control ("respect des contraintes calendaires")."""
    found: dict[str, str] = {}
    for cid, msg in catalogue.messages.items():
        if "contraintes calendaires" in msg.rule:
            found.setdefault(cid.split("/", 1)[0], cid)
    return found


def checked_ids(catalogue: Catalogue) -> frozenset[str]:
    """Control ids of the catalogue this validator checks (code, rule table, derived rules)."""
    coded = frozenset(KEY_CONTROLS) | RULE_CONTROLS
    found = coded | frozenset(calendar_control_ids(catalogue).values()) | rule_ids(catalogue)
    return frozenset(cid for cid in found if cid in catalogue.messages)


def implemented_ids(catalogue: Catalogue) -> frozenset[str]:
    """The checked control ids and their twins (see `twin_ids`)."""
    checked = checked_ids(catalogue)
    return checked | frozenset(twin_ids(catalogue, checked))


def twin_ids(catalogue: Catalogue, checked: frozenset[str]) -> dict[str, str]:
    """Controls the cahier lists again under another rubric of the same block, with the same
    number, whose text the extraction cut: id -> the checked control they repeat. The check
    runs once and reports under the full control's id. A cut text that could begin more than
    one full control of the block (a shared opening) repeats none of them for sure: not a twin."""
    full_texts: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for cid, msg in catalogue.messages.items():
        if msg.message.strip():
            rubric, number = cid.split("/", 1)
            full_texts.setdefault((rubric[:10], number), []).append(
                (cid, " ".join(msg.rule.split()))
            )
    twins: dict[str, str] = {}
    for cid, msg in catalogue.messages.items():
        if cid in checked or msg.message.strip():
            continue
        rubric, number = cid.split("/", 1)
        rule = " ".join(msg.rule.split())
        begun = {
            (other, full)
            for other, full in full_texts.get((rubric[:10], number), ())
            if len(full) > len(rule) and full.startswith(rule)
        }
        if len({full for _, full in begun}) == 1:
            other = min(o for o, _ in begun)
            if other in checked:
                twins[cid] = other
    return twins


def not_checked_ids(catalogue: Catalogue) -> list[str]:
    """Control ids of the catalogue this validator does not check (referentials, history, and the
    consistency rules not implemented yet), sorted."""
    done = implemented_ids(catalogue)
    return sorted(cid for cid in catalogue.messages if cid not in done)
