"""Return documents for people and programs: a JSON-ready dict, French text, anomalies as CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import datetime
from enum import Enum
from typing import Any

from dsnlink.deposit_point.returns._values import PARIS
from dsnlink.deposit_point.returns.labels import (
    CRM_CODE_LABELS,
    KIND_LABELS,
    OUTCOME_LABELS,
    STATUS_LABELS,
    official_label,
)
from dsnlink.deposit_point.returns.model import Anomaly, ReturnDocument
from dsnlink.deposit_point.returns.reader import declaration_outcome

CSV_COLUMNS = (
    "code",
    "catégorie",
    "bloquante",
    "message",
    "rubrique",
    "libellé de la rubrique",
    "valeur",
    "valeur attendue",
    "ligne",
    "nombre",
    "NIR",
    "nom",
    "prénoms",
    "matricule",
    "action attendue",
)
# A spreadsheet would run a cell starting with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_dict(document: ReturnDocument) -> dict[str, Any]:
    """Every field of the document as JSON-ready values, plus its anomalies and outcome."""
    data = _plain(dataclasses.asdict(document))
    outcome = declaration_outcome(document)
    data.update(
        file=document.name,
        idflux=document.idflux,
        received_at=_plain(document.received_at),
        anomalies=[_plain(dataclasses.asdict(a)) for a in document.anomalies],
        outcome=outcome.value if outcome else None,
    )
    return data


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def anomalies_csv(document: ReturnDocument) -> str:
    """The document's anomalies as CSV (French headers, `;`-separated, formulas neutralised)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for anomaly in document.anomalies:
        writer.writerow([_cell(value) for value in _row(anomaly)])
    return buffer.getvalue()


def _row(anomaly: Anomaly) -> tuple[object, ...]:
    person = anomaly.employee
    blocking = {True: "oui", False: "non", None: ""}[anomaly.blocking]
    return (
        anomaly.code,
        anomaly.category,
        blocking,
        anomaly.message,
        anomaly.rubric,
        anomaly.rubric_label,
        anomaly.value,
        anomaly.expected_value,
        anomaly.line,
        anomaly.count,
        person.nir if person else None,
        person.last_name if person else None,
        person.first_names if person else None,
        person.matricule if person else None,
        anomaly.action,
    )


def _cell(value: object) -> str:
    if value is None:
        return ""
    cell = str(value)
    if cell.startswith(_FORMULA_START) and not _is_number(cell):
        return "'" + cell
    return cell


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def describe(document: ReturnDocument) -> str:
    """Several lines of French saying what the document is and what it says."""
    title = document.name or "document"
    if not document.readable:
        return f"{title} : illisible — {document.error}"
    lines = [f"{title} : {KIND_LABELS[document.kind]} (famille {document.format})"]
    nature = document.nature or "?"
    lines.append(f"  nature : {nature} — {document.nature_label or 'non précisée'}")
    if document.document_nature:
        lines.append(f"  nature indiquée par le document : {document.document_nature}")
    if document.organism:
        lines.append(f"  organisme : {document.organism}")
    if document.status:
        lines.append(f"  statut : {STATUS_LABELS[document.status]}")
    if document.crm_code is not None:
        label = CRM_CODE_LABELS.get(document.crm_code, "code inconnu")
        lines.append(f"  code CRM : {document.crm_code} — {label}")
    outcome = declaration_outcome(document)
    if outcome:
        lines.append(f"  pour la déclaration : {OUTCOME_LABELS[outcome]}")
    flow = document.flow
    if flow.idflux:
        lines.append(f"  idflux : {flow.idflux}")
    identity = [
        f"SIRET {flow.siret}" if flow.siret else (f"SIREN {flow.siren}" if flow.siren else ""),
        f"mois {flow.month}" if flow.month else "",
        _labelled("nature", "nature_declaration", flow.nature),
        _labelled("type", "type_declaration", flow.type),
    ]
    if any(identity):
        lines.append("  déclaration : " + ", ".join(part for part in identity if part))
    sending = [
        _labelled("envoi", "code_envoi", document.essai_reel),
        _labelled("point de dépôt", "point_de_depot", document.point_de_depot),
    ]
    if any(sending):
        lines.append("  " + ", ".join(part for part in sending if part))
    if flow.received_at:
        local = flow.received_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S")
        lines.append(f"  reçue le : {local} (heure de Paris)")
    if document.schema:
        verdict = {True: "valide", False: "non valide", None: "non vérifié"}[document.schema_valid]
        lines.append(f"  schéma {document.schema} : {verdict}")
    anomalies = document.anomalies
    lines.append(f"  anomalies : {len(anomalies)}")
    for anomaly in anomalies[:20]:
        where = f" [{anomaly.rubric}]" if anomaly.rubric else ""
        lines.append(f"    - {anomaly.code}{where} : {anomaly.message}")
    if len(anomalies) > 20:
        lines.append(f"    … et {len(anomalies) - 20} autres (voir --json)")
    return "\n".join(lines)


def _labelled(word: str, table: str, code: str | None) -> str:
    if code is None:
        return ""
    label = official_label(table, code)
    return f"{word} {code} ({label})" if label else f"{word} {code}"
