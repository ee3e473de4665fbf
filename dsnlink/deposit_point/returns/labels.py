"""Code → French label tables for returns: natures, statuses, CRM codes and the official tables.

`NATURES` is the one table of return natures this package knows (docs/returns.md shows it); the
deposit point's transcodification (declaration natures and types, deposit points…) and the
NEOReS enumerations are read from generated JSON under schemas/netentreprises/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from dsnlink.deposit_point.returns.model import (
    DeclarationOutcome,
    ReturnFormat,
    ReturnKind,
    ReturnStatus,
)
from dsnlink.resources import schema_path

TRANSCODIFICATION_JSON = ("netentreprises", "transcodification.json")
NEORES_LABELS_JSON = ("netentreprises", "neores_labels.json")


@dataclass(frozen=True)
class Nature:
    """One return nature: what it is, who sends it, in which family it usually comes."""

    code: str
    label: str
    organism: str
    format: ReturnFormat
    kind: ReturnKind


def _n(code: str, label: str, organism: str, fmt: ReturnFormat, kind: ReturnKind) -> Nature:
    return Nature(code, label, organism, fmt, kind)


_B, _N, _O = ReturnFormat.BILAN, ReturnFormat.NEORES, ReturnFormat.CRM_OC
_CRM, _ACK = ReturnKind.CRM, ReturnKind.ACK

NATURES: dict[str, Nature] = {
    n.code: n
    for n in (
        _n(
            "10",
            "accusé d'enregistrement électronique (AEE) ou avis de rejet (ARE)",
            "point de dépôt",
            _B,
            ReturnKind.AEE,
        ),
        _n(
            "11",
            "certificat de conformité (CCO) ou bilan d'anomalies (BAN)",
            "point de dépôt",
            _B,
            ReturnKind.CCO,
        ),
        _n("20", "bilan d'identification des salariés (BIS)", "CNAV (SNGI)", _B, ReturnKind.BIS),
        _n(
            "21",
            "contrôles inter-déclarations (CID, AED, DSIJ)",
            "point de dépôt",
            _B,
            ReturnKind.CID,
        ),
        _n(
            "22",
            "compte rendu des attestations de salaire pour arrêt de plus de six mois (A6M)",
            "CNAM",
            _B,
            _CRM,
        ),
        _n("23", "compte rendu métier temps partiel thérapeutique (TPT)", "CNAM", _B, _CRM),
        _n("30", "accusé de réception CNAM", "CNAM", _B, _ACK),
        _n("31", "compte rendu métier CNAM (indemnités journalières)", "CNAM", _B, _CRM),
        _n("34", "compte rendu métier CNAM (taux AT/MP)", "CNAM", _B, _CRM),
        _n("36", "compte rendu métier CNAM temps partiel thérapeutique", "CNAM", _B, _CRM),
        _n("38", "compte rendu métier MSA temps partiel thérapeutique", "MSA", _B, _CRM),
        _n("40", "accusé de réception France Travail", "France Travail", _B, _ACK),
        _n(
            "41", "attestation employeur rematérialisée (AER)", "France Travail", _B, ReturnKind.AER
        ),
        _n("44", "compte rendu métier France Travail, fin de contrat", "France Travail", _B, _CRM),
        _n(
            "50",
            "accusé de réception des organismes complémentaires",
            "organisme complémentaire",
            _O,
            _ACK,
        ),
        _n(
            "51",
            "compte rendu métier des organismes complémentaires",
            "organisme complémentaire",
            _O,
            _CRM,
        ),
        _n("60", "accusé de réception URSSAF", "URSSAF", _B, _ACK),
        _n("61", "compte rendu métier URSSAF agrégé", "URSSAF", _B, _CRM),
        _n("62", "compte rendu métier URSSAF nominatif", "URSSAF", _B, _CRM),
        _n("70", "accusé de réception AGIRC-ARRCO", "AGIRC-ARRCO", _B, _ACK),
        _n("71", "compte rendu métier AGIRC-ARRCO", "AGIRC-ARRCO", _B, _CRM),
        _n("92", "accusé de réception DGFiP", "DGFiP", _B, _ACK),
        _n("93", "compte rendu métier DGFiP financier", "DGFiP", _B, _CRM),
        _n(
            "94",
            "compte rendu métier DGFiP nominatif (taux de prélèvement à la source)",
            "DGFiP",
            _B,
            _CRM,
        ),
        _n("95", "compte rendu métier DGFiP taux sur taux", "DGFiP", _B, _CRM),
        _n(
            "114",
            "compte rendu métier du signalement amorçage des données variables (SADV)",
            "URSSAF",
            _B,
            _CRM,
        ),
        _n(
            "116",
            "compte rendu métier des caisses de congés payés du BTP (CIBTP)",
            "CIBTP",
            _B,
            _CRM,
        ),
        _n(
            "117", "compte rendu métier bonus-malus contribution chômage (BMCC)", "URSSAF", _B, _CRM
        ),
        _n(
            "118",
            "compte rendu métier des effectifs (effectif annuel et mensuel)",
            "URSSAF ou MSA",
            _N,
            _CRM,
        ),
        _n(
            "119",
            "compte rendu métier d'accompagnement à la résolution des anomalies",
            "URSSAF",
            _N,
            _CRM,
        ),
        _n(
            "120",
            "bilan mensuel d'accompagnement à la résolution des anomalies",
            "URSSAF",
            _N,
            _CRM,
        ),
        _n(
            "121",
            "compte rendu métier d'identification des salariés (CRM ID)",
            "CNAV (SNGI)",
            _N,
            _CRM,
        ),
        _n(
            "123",
            "compte rendu métier fin de contrat de travail unique (FCTU) CIBTP",
            "CIBTP",
            _B,
            _CRM,
        ),
        _n("124", "compte rendu métier de rappel annuel URSSAF", "URSSAF", _N, _CRM),
        _n(
            "130",
            "compte rendu métier d'accompagnement à la résolution des anomalies MSA",
            "MSA",
            _N,
            _CRM,
        ),
        _n("132", "compte rendu post-substitution URSSAF", "URSSAF", _N, _CRM),
        _n(
            "135",
            "compte rendu métier fin de contrat de travail unique (FCTU) France Travail",
            "France Travail",
            _N,
            _CRM,
        ),
        _n("136", "bilan d'accompagnement à la résolution des anomalies MSA", "MSA", _N, _CRM),
    )
}

KIND_LABELS: dict[ReturnKind, str] = {
    ReturnKind.AEE: "accusé d'enregistrement électronique (AEE)",
    ReturnKind.ARE: "avis de rejet d'envoi (ARE)",
    ReturnKind.CCO: "certificat de conformité (CCO)",
    ReturnKind.BAN: "bilan d'anomalies (BAN)",
    ReturnKind.BIS: "bilan d'identification des salariés (BIS)",
    ReturnKind.CID: "contrôles inter-déclarations",
    ReturnKind.ACK: "accusé de réception d'un organisme",
    ReturnKind.AER: "attestation employeur rematérialisée (AER)",
    ReturnKind.CRM: "compte rendu métier (CRM)",
    ReturnKind.UNKNOWN: "retour de nature inconnue",
}

STATUS_LABELS: dict[ReturnStatus, str] = {
    ReturnStatus.OK: "OK, sans anomalie",
    ReturnStatus.ANO: "ANO, anomalies non bloquantes",
    ReturnStatus.KO: "KO, anomalies bloquantes",
}

CRM_CODE_LABELS: dict[int, str] = {
    0: "déclaration acceptée",
    1: "déclaration acceptée, avec des anomalies non bloquantes à corriger",
    2: "déclaration partiellement prise en compte",
    3: "déclaration non prise en compte par l'organisme",
}

OUTCOME_LABELS: dict[DeclarationOutcome, str] = {
    DeclarationOutcome.DEPOSITED: "déposée",
    DeclarationOutcome.REFUSED_BY_DEPOSIT_POINT: "refusée par le point de dépôt",
    DeclarationOutcome.CONFORM: "conforme",
    DeclarationOutcome.REJECTED_BY_DEPOSIT_POINT: (
        "rejetée par le point de dépôt : à renvoyer comme nouvelle déclaration normale"
    ),
    DeclarationOutcome.CRM_OK: "acceptée par l'organisme",
    DeclarationOutcome.CRM_ANOMALIES: "acceptée par l'organisme avec des anomalies",
    DeclarationOutcome.CRM_KO: "non (ou partiellement) prise en compte par l'organisme",
}

OC_CRM_TYPES: dict[str, str] = {
    "1": "accusé de réception (AR)",
    "2": "compte rendu basique (CRT)",
    "3": "compte rendu complet (CRC)",
    "4": "compte rendu complet (CRT, V8.31)",
}


def nature_label(code: str | None) -> str | None:
    """The French label of a return nature; an unknown code is named as such, never dropped."""
    if code is None:
        return None
    known = NATURES.get(code)
    return known.label if known else f"nature de retour inconnue ({code})"


def nature_for_kind(kind: ReturnKind) -> str | None:
    return {
        ReturnKind.AEE: "10",
        ReturnKind.ARE: "10",
        ReturnKind.CCO: "11",
        ReturnKind.BAN: "11",
        ReturnKind.BIS: "20",
        ReturnKind.CID: "21",
        ReturnKind.AER: "41",
    }.get(kind)


@lru_cache(maxsize=1)
def official_tables() -> dict[str, dict[str, str]]:
    """The deposit point's transcodification tables and the NEOReS enumerations, by table name."""
    tables: dict[str, dict[str, str]] = {}
    for parts in (TRANSCODIFICATION_JSON, NEORES_LABELS_JSON):
        path = schema_path(*parts)
        if path.exists():
            tables.update(_tables(json.loads(path.read_text(encoding="utf-8"))))
    return tables


def official_label(table: str, code: str | None) -> str | None:
    """Label of `code` in an official table (e.g. type_declaration, Enum_TypeAction_2-2)."""
    if code is None:
        return None
    return official_tables().get(table, {}).get(code)


def _tables(data: Any) -> dict[str, dict[str, str]]:
    found = data.get("tables") if isinstance(data, dict) else None
    if not isinstance(found, dict):
        return {}
    return {
        str(name): {str(code): str(label) for code, label in entries.items()}
        for name, entries in found.items()
        if isinstance(entries, dict)
    }
