"""Reading the deposit point's return documents (gipmds:rapport) into typed results.

Every report of the bilans family (AEE, ARE, CCO, BAN, BIS, CID, organisms' CRMs) shares one
shape, described by `dsn_bilans_v02r03.xsd`; the DGFiP's nominative CRM (nature 94) is a variant
of it (no declarant, withholding-tax rates per employee) and is recognised as such.

XML safety: documents come from outside, so the parser resolves no entity, fetches nothing from
the network and keeps libxml2's default size limits (huge_tree off).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

from dsnlink.deposit_point.errors import UnreadableReturn
from dsnlink.deposit_point.records import (
    Anomaly,
    DeclarationIdentification,
    DeclarationReport,
    GatewayStatus,
    ParsedReturn,
    ReportDeclarant,
    ReportFormat,
    ReportKind,
    ReturnStatus,
    WithholdingRate,
)
from dsnlink.resources import schema_path

GIPMDS_NAMESPACE = "http://www.gip-mds.fr/"
RAPPORT_TAG = f"{{{GIPMDS_NAMESPACE}}}rapport"
BILANS_XSD = ("xsd", "dsn_bilans_v02r03.xsd")
TRANSCODIFICATION_JSON = ("netentreprises", "transcodification.json")

# Reception times in reports are the deposit point's local time.
DEPOSIT_POINT_TIMEZONE = ZoneInfo("Europe/Paris")

RETURN_NATURES: dict[str, str] = {
    "10": "accusé d'enregistrement électronique (AEE) ou avis de rejet (ARE)",
    "11": "certificat de conformité (CCO) ou bilan d'anomalies (BAN)",
    "20": "bilan d'identification des salariés (BIS)",
    "21": "contrôles inter-déclarations (CID)",
    "30": "accusé de réception CNAM",
    "31": "compte rendu métier CNAM",
    "34": "compte rendu métier CNAM",
    "40": "accusé de réception France Travail",
    "41": "attestation employeur rematérialisée (AER)",
    "44": "compte rendu métier France Travail, fin de contrat",
    "50": "accusé de réception organismes complémentaires",
    "51": "compte rendu métier organismes complémentaires",
    "60": "accusé de réception URSSAF",
    "61": "compte rendu métier URSSAF agrégé",
    "62": "compte rendu métier URSSAF nominatif",
    "70": "accusé de réception AGIRC-ARRCO",
    "71": "compte rendu métier AGIRC-ARRCO",
    "92": "accusé de réception DGFiP",
    "93": "compte rendu métier DGFiP agrégé",
    "94": "compte rendu métier DGFiP nominatif (taux de prélèvement à la source)",
    "95": "compte rendu métier DGFiP taux sur taux",
}

_ACK_NATURES = frozenset({"30", "40", "50", "60", "70", "92"})
_CRM_NATURES = frozenset({"31", "34", "44", "51", "61", "62", "71", "93", "94", "95"})
_KIND_BY_NATURE: dict[str, ReportKind] = {
    "20": ReportKind.BIS,
    "21": ReportKind.CID,
    "41": ReportKind.AER,
    **{code: ReportKind.ACK for code in _ACK_NATURES},
    **{code: ReportKind.CRM for code in _CRM_NATURES},
}
_NATURE_BY_KIND: dict[ReportKind, str] = {
    ReportKind.AEE: "10",
    ReportKind.ARE: "10",
    ReportKind.CCO: "11",
    ReportKind.BAN: "11",
    ReportKind.BIS: "20",
    ReportKind.CID: "21",
    ReportKind.AER: "41",
}


def safe_xml_parser() -> etree.XMLParser:
    """An lxml parser fit for documents from outside: no entities, no network, no huge trees."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(content: bytes, *, operation: str) -> etree._Element:
    """Parse untrusted XML bytes, or raise UnreadableReturn."""
    try:
        root = etree.fromstring(content, parser=safe_xml_parser())
    except etree.XMLSyntaxError as exc:
        raise UnreadableReturn(
            f"not well-formed XML: {exc}", operation=operation
        ) from exc
    if root is None:
        raise UnreadableReturn("empty XML document", operation=operation)
    return root


@lru_cache(maxsize=1)
def bilans_schema() -> etree.XMLSchema:
    """The shipped dsn_bilans_v02r03 schema (loaded once)."""
    path = schema_path(*BILANS_XSD)
    document = etree.parse(str(path), parser=safe_xml_parser())
    return etree.XMLSchema(document)


def parse_return(
    content: bytes,
    *,
    nature: str | None = None,
    validate: bool = True,
    strict: bool = False,
) -> ParsedReturn:
    """Read one return document.

    `nature` is the code the listing gave (10, 11, 61...) and sharpens the kind when the document
    itself is vague. With `validate`, a bilans report is checked against the XSD and the outcome
    is kept on the result; with `strict`, an invalid report raises UnreadableReturn instead.
    """
    root = parse_xml(content, operation="parse_return")
    if root.tag != RAPPORT_TAG:
        raise UnreadableReturn(
            f"not a gipmds:rapport document (root element {root.tag!r})",
            operation="parse_return",
        )

    schema_valid: bool | None = None
    schema_errors: tuple[str, ...] = ()
    if validate:
        schema = bilans_schema()
        schema_valid = bool(schema.validate(root))
        schema_errors = tuple(f"line {e.line}: {e.message}" for e in schema.error_log)
        if strict and not schema_valid:
            raise UnreadableReturn(
                "report does not match dsn_bilans_v02r03.xsd: " + "; ".join(schema_errors[:3]),
                operation="parse_return",
            )

    report_type = (root.get("type") or "").strip()
    envoi = root.find("envoi")
    identification = envoi.find("envoi_identification") if envoi is not None else None
    declarations = tuple(_declaration(node) for node in root.findall("declaration"))
    rates = tuple(
        WithholdingRate(
            nir=_text(node, "NIR"),
            matricule=_text(node, "matricule"),
            taux=_text(node, "taux_imposition_PAS"),
        )
        for node in root.iterfind("declaration/declaration_bilan/salarie")
        if node.find("taux_imposition_PAS") is not None
    )

    is_dgfip = nature == "94" or bool(rates) or root.find(".//taux_imposition_PAS") is not None
    kind = _kind(report_type, nature)
    if kind is ReportKind.UNKNOWN and is_dgfip:
        kind = ReportKind.CRM
    resolved_nature = nature or _nature_from_type(report_type, kind, is_dgfip=is_dgfip)

    status = _status(_text(envoi, "envoi_bilan/envoi_etat"))
    envoi_anomalies = tuple(_anomaly(node) for node in root.iterfind("envoi/envoi_anomalie"))

    declarant_node = identification.find("declarant") if identification is not None else None
    declarant = (
        ReportDeclarant(
            siret=_text(declarant_node, "siret"),
            nom=_text(declarant_node, "nom"),
            prenom=_text(declarant_node, "prenom"),
        )
        if declarant_node is not None
        else None
    )

    crm_code = (
        _crm_code(status, declarations, envoi_anomalies) if kind is ReportKind.CRM else None
    )
    return ParsedReturn(
        kind=kind,
        format=ReportFormat.DGFIP_CRM_NOMINATIF if is_dgfip else ReportFormat.BILANS,
        report_type=report_type,
        profil=root.get("profil"),
        version=root.get("version"),
        nature=resolved_nature,
        message=_clean(root.get("message")),
        idflux=_text(identification, "idflux"),
        status=status,
        declarant=declarant,
        emetteur_siret=_text(identification, "emetteur_siret"),
        essai_reel=_text(identification, "essai_reel"),
        point_de_depot=_text(identification, "point_de_depot"),
        version_norme=_text(identification, "version_norme"),
        received_at=_local_instant(
            _text(identification, "date_reception"), _text(identification, "heure_reception")
        ),
        recorded_at=_local_instant(
            _text(identification, "date_enregistrement"),
            _text(identification, "heure_enregistrement"),
        ),
        anomalies=envoi_anomalies,
        declarations=declarations,
        crm_code=crm_code,
        schema_valid=schema_valid,
        schema_errors=schema_errors,
        withholding_rates=rates,
    )


def gateway_status(parsed: ParsedReturn) -> GatewayStatus | None:
    """The declaration status a return leads to; None when the return does not move it (BIS...)."""
    if parsed.kind is ReportKind.AEE:
        if parsed.status is ReturnStatus.KO:
            return GatewayStatus.REFUSED_BY_DEPOSIT_POINT
        return GatewayStatus.DEPOSITED
    if parsed.kind is ReportKind.ARE:
        return GatewayStatus.REFUSED_BY_DEPOSIT_POINT
    if parsed.kind is ReportKind.CCO:
        return GatewayStatus.CONFORM
    if parsed.kind is ReportKind.BAN:
        return GatewayStatus.ANOMALIES
    if parsed.kind is ReportKind.CRM:
        if parsed.crm_code == 0:
            return GatewayStatus.CRM_OK
        if parsed.crm_code == 1:
            return GatewayStatus.CRM_ANOMALIES
        return GatewayStatus.CRM_KO
    return None


@dataclass(frozen=True)
class Transcodification:
    """Code → label tables of the deposit point (natures, types, deposit points, envoi codes)."""

    tables: dict[str, dict[str, str]] = field(default_factory=dict)

    def label(self, table: str, code: str | None) -> str | None:
        if code is None:
            return None
        return self.tables.get(table, {}).get(code)

    @classmethod
    def from_mapping(cls, data: Any) -> Transcodification:
        """Accept {table: {code: label}}, {table: [{code, label}]} or those under a "tables" key
        (the shipped file keeps the official tables there and adds return_natures,
        return_statuses and crm_codes beside it)."""
        if isinstance(data, dict) and isinstance(data.get("tables"), dict):
            beside = {k: v for k, v in data.items() if k != "tables" and isinstance(v, dict)}
            data = {**beside, **data["tables"]}
        elif isinstance(data, dict) and isinstance(data.get("tables"), list):
            data = data["tables"]
        tables: dict[str, dict[str, str]] = {}
        if isinstance(data, list):
            data = {entry.get("name") or entry.get("table"): entry for entry in data}
        if not isinstance(data, dict):
            return cls()
        for name, entries in data.items():
            if isinstance(entries, dict) and isinstance(entries.get("entries"), list | dict):
                entries = entries["entries"]
            if isinstance(entries, dict):
                tables[str(name)] = {str(k): str(v) for k, v in entries.items()}
            elif isinstance(entries, list):
                tables[str(name)] = {
                    str(item["code"]): str(item.get("label") or item.get("libelle") or "")
                    for item in entries
                    if isinstance(item, dict) and "code" in item
                }
        return cls(tables=tables)

    @classmethod
    def from_xml(cls, content: bytes) -> Transcodification:
        """Read the GIP-MDS `transcodification_XSL.xml` (<balises><table><transco code=…>)."""
        root = parse_xml(content, operation="transcodification")
        tables: dict[str, dict[str, str]] = {}
        for table in root:
            if not isinstance(table.tag, str):
                continue
            name = etree.QName(table).localname
            tables[name] = {
                entry.get("code", ""): _clean(entry.text) or ""
                for entry in table
                if isinstance(entry.tag, str) and etree.QName(entry).localname == "transco"
            }
        return cls(tables=tables)


@lru_cache(maxsize=4)
def load_transcodification(path: Path | None = None) -> Transcodification:
    """The shipped transcodification table; empty (no labels) when it is not shipped."""
    source = path or schema_path(*TRANSCODIFICATION_JSON)
    if not source.exists():
        return Transcodification()
    return Transcodification.from_mapping(json.loads(source.read_text(encoding="utf-8")))


def describe(parsed: ParsedReturn, transco: Transcodification | None = None) -> dict[str, str]:
    """Human labels for the codes of a return (what the gateway's screens show)."""
    table = transco or load_transcodification()
    labels: dict[str, str | None] = {
        "nature": table.label("return_natures", parsed.nature)
        or RETURN_NATURES.get(parsed.nature or ""),
        "status": table.label("return_statuses", parsed.status.value if parsed.status else None),
        "crm_code": table.label(
            "crm_codes", str(parsed.crm_code) if parsed.crm_code is not None else None
        ),
        "point_de_depot": table.label("point_de_depot", parsed.point_de_depot),
        "essai_reel": table.label("code_envoi", parsed.essai_reel),
    }
    for index, declaration in enumerate(parsed.declarations, start=1):
        ident = declaration.identification
        labels[f"declaration.{index}.nature"] = table.label("nature_declaration", ident.nature)
        labels[f"declaration.{index}.type"] = table.label("type_declaration", ident.type)
    return {key: value for key, value in labels.items() if value}


def _kind(report_type: str, nature: str | None) -> ReportKind:
    upper = report_type.upper()
    if upper in {"AEE", "ARE", "CCO", "BAN", "BIS", "CID", "AER"}:
        return ReportKind(upper)
    if upper.startswith("CRM") or upper.startswith("CRACO"):
        return ReportKind.CRM
    by_code = _KIND_BY_NATURE.get(report_type) or _KIND_BY_NATURE.get(nature or "")
    return by_code or ReportKind.UNKNOWN


def _nature_from_type(report_type: str, kind: ReportKind, *, is_dgfip: bool) -> str | None:
    if report_type in RETURN_NATURES:
        return report_type
    if is_dgfip:
        return "94"
    if report_type.upper() == "CRACOSS":
        return "61"
    return _NATURE_BY_KIND.get(kind)


def _status(value: str | None) -> ReturnStatus | None:
    if value is None:
        return None
    try:
        return ReturnStatus(value.upper())
    except ValueError:
        return None


def _crm_code(
    status: ReturnStatus | None,
    declarations: tuple[DeclarationReport, ...],
    envoi_anomalies: tuple[Anomaly, ...],
) -> int:
    """The CRM overall code (0 accepted, 1 non-blocking anomalies, 2 partly, 3 not taken).

    The XML CRMs carry no explicit code, so it is derived from the states and anomalies.
    """
    declaration_ko = [
        d.etat == "KO" or d.etat_conformite == "KO" for d in declarations
    ]
    if status is ReturnStatus.KO or any(declaration_ko):
        return 2 if declarations and not all(declaration_ko) else 3
    anomalies = envoi_anomalies + tuple(a for d in declarations for a in d.anomalies)
    if status is ReturnStatus.ANO or any(d.etat == "ANO" for d in declarations) or anomalies:
        return 1
    return 0


def _declaration(node: etree._Element) -> DeclarationReport:
    ident = node.find("declaration_identification")
    bilan = node.find("declaration_bilan")
    compteurs: dict[str, int] = {}
    if bilan is not None:
        for counter in bilan.iterfind("declaration_compteurs"):
            category = _text(counter, "categorie")
            number = _int(_text(counter, "nombre"))
            if category is not None and number is not None:
                compteurs[category] = number
    return DeclarationReport(
        identification=DeclarationIdentification(
            rang=_int(_text(ident, "rang")),
            nature=_text(ident, "nature"),
            type=_text(ident, "type"),
            fraction=_text(ident, "fraction"),
            ordre=_text(ident, "ordre"),
            mois=_text(ident, "mois"),
            identifiant_metier=_text(ident, "identifiant_metier"),
            siren=_text(ident, "SIREN"),
            nic_siege=_text(ident, "nic_siege"),
            nic_affectation=_text(ident, "nic_affectation"),
        ),
        etat=_text(bilan, "etat"),
        etat_conformite=_text(bilan, "niveau_conformite/etat_conformite"),
        certificat_conformite=_text(bilan, "niveau_conformite/certificat_conformite"),
        salaries=_int(_text(bilan, "declaration_contenu/salaries")),
        anomalies=tuple(_anomaly(a) for a in node.iterfind("declaration_anomalie")),
        compteurs=compteurs,
    )


def _anomaly(node: etree._Element) -> Anomaly:
    rubric = node.find("valeurs/rubrique_declenchante")
    return Anomaly(
        code=_text(node, "description/code") or "",
        message=_text(node, "description/message") or "",
        categorie=_text(node, "description/categorie"),
        numero_ligne=_int(_text(node, "description/numero_ligne")),
        nombre=_int(_text(node, "description/nombre")),
        identifiant=_text(rubric, "identifiant"),
        libelle=_text(rubric, "libelle"),
        valeur=_text(rubric, "valeur"),
    )


def _text(node: etree._Element | None, path: str) -> str | None:
    if node is None:
        return None
    found = node.find(path)
    if found is None:
        return None
    return _clean(found.text)


def _clean(value: str | None) -> str | None:
    """Collapse the layout whitespace (newlines, tabs) the samples put inside messages."""
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _local_instant(day: str | None, clock_time: str | None) -> datetime | None:
    """A report's local date and time as a UTC instant (None when absent or unreadable)."""
    if day is None:
        return None
    try:
        parsed_day = date.fromisoformat(day)
        parsed_time = time.fromisoformat(clock_time) if clock_time else time(0, 0)
    except ValueError:
        return None
    local = datetime.combine(parsed_day, parsed_time, tzinfo=DEPOSIT_POINT_TIMEZONE)
    return local.astimezone(UTC)
