"""The bilans family: `gipmds:rapport` documents (dsn_bilans_v02r03.xsd).

AEE, ARE, CCO, BAN, BIS, CID and the older organisms' CRMs share this shape; the DGFiP's CRMs
(93 financier, 94 nominatif with withholding-tax rates, 95 taux sur taux) are variants of it.
"""

from __future__ import annotations

from lxml import etree

from dsnlink.deposit_point.returns import _values as v
from dsnlink.deposit_point.returns.labels import NATURES, nature_for_kind, nature_label
from dsnlink.deposit_point.returns.model import (
    Anomaly,
    Calculation,
    Declarant,
    DeclarationIdentification,
    DeclarationReport,
    Employee,
    FlowIdentity,
    ReturnDocument,
    ReturnFormat,
    ReturnKind,
    ReturnStatus,
    Rubric,
    WithholdingRate,
)
from dsnlink.deposit_point.returns.safety import load_schema, validate

NAMESPACE = "http://www.gip-mds.fr/"
ROOT_TAG = f"{{{NAMESPACE}}}rapport"
SCHEMA = ("xsd", "dsn_bilans_v02r03.xsd")

_NAMED_KINDS = {"AEE", "ARE", "CCO", "BAN", "BIS", "CID", "AER"}
# Report types that name a nature in words rather than by its code.
_NATURE_BY_TYPE = {
    "CRACOSS": "61",
    "CRM FINANCIER": "93",
    "CRM NOMINATIF": "94",
    "CRM TAUX SUR TAUX": "95",
    "GSIJ": "31",
}


def read(root: etree._Element, *, nature: str | None, name: str | None) -> ReturnDocument:
    """Read a gipmds:rapport root (already parsed safely)."""
    schema_valid, schema_errors = validate(root, load_schema(*SCHEMA))
    report_type = (root.get("type") or "").strip()
    envoi = root.find("envoi")
    ident = envoi.find("envoi_identification") if envoi is not None else None
    declarations = tuple(_declaration(node) for node in root.findall("declaration"))
    envoi_anomalies = tuple(_anomaly(node) for node in root.iterfind("envoi/envoi_anomalie"))
    rates = tuple(
        WithholdingRate(
            nir=v.text(node, "NIR"),
            matricule=v.text(node, "matricule"),
            taux=v.text(node, "taux_imposition_PAS"),
            ntt=v.text(node, "NTT"),
        )
        for node in root.iterfind("declaration/declaration_bilan/salarie")
        if node.find("taux_imposition_PAS") is not None
    )
    status = v.worst(
        v.status(v.text(envoi, "envoi_bilan/envoi_etat")),
        *(v.status(d.etat) for d in declarations),
    )
    document_nature = _document_nature(report_type, bool(rates))
    resolved = nature or document_nature or nature_for_kind(_named_kind(report_type))
    kind = _kind(report_type, resolved, status)
    if resolved is None:
        resolved = nature_for_kind(kind)

    declarant_node = ident.find("declarant") if ident is not None else None
    declarant = (
        Declarant(
            siret=v.text(declarant_node, "siret"),
            nom=v.text(declarant_node, "nom"),
            prenom=v.text(declarant_node, "prenom"),
        )
        if declarant_node is not None
        else None
    )
    first = declarations[0].identification if declarations else None
    flow = FlowIdentity(
        idflux=v.text(ident, "idflux"),
        siren=first.siren if first else None,
        nic=(first.nic_affectation or first.nic_siege) if first else None,
        month=v.month(first.mois) if first else None,
        nature=first.nature if first else None,
        type=first.type if first else None,
        received_at=v.local_instant(
            v.text(ident, "date_reception"), v.text(ident, "heure_reception")
        ),
        declarant_siret=declarant.siret if declarant else None,
        emetteur_siret=v.text(ident, "emetteur_siret"),
    )
    crm_code = _crm_code(status, declarations, envoi_anomalies) if kind is ReturnKind.CRM else None
    known = NATURES.get(resolved or "")
    return ReturnDocument(
        readable=True,
        name=name,
        format=ReturnFormat.BILAN,
        kind=kind,
        nature=resolved,
        nature_label=nature_label(resolved),
        document_nature=document_nature if document_nature != resolved else None,
        organism=known.organism if known else None,
        status=status,
        crm_code=crm_code,
        flow=flow,
        declarant=declarant,
        essai_reel=v.text(ident, "essai_reel"),
        point_de_depot=v.text(ident, "point_de_depot"),
        version_norme=v.text(ident, "version_norme"),
        report_type=report_type or None,
        profil=root.get("profil"),
        version=root.get("version"),
        message=v.clean(root.get("message")),
        recorded_at=v.local_instant(
            v.text(ident, "date_enregistrement"), v.text(ident, "heure_enregistrement")
        ),
        envoi_anomalies=envoi_anomalies,
        declarations=declarations,
        withholding_rates=rates,
        calculations=tuple(_calculations(root)),
        schema=SCHEMA[-1],
        schema_valid=schema_valid,
        schema_errors=schema_errors,
    )


def _named_kind(report_type: str) -> ReturnKind:
    upper = report_type.upper()
    return ReturnKind(upper) if upper in _NAMED_KINDS else ReturnKind.UNKNOWN


def _document_nature(report_type: str, has_rates: bool) -> str | None:
    if report_type.isdigit():
        return report_type
    named = _NATURE_BY_TYPE.get(report_type.upper())
    if named:
        return named
    if has_rates:
        return "94"
    return nature_for_kind(_named_kind(report_type))


def _kind(report_type: str, nature: str | None, status: ReturnStatus | None) -> ReturnKind:
    named = _named_kind(report_type)
    if nature == "10":
        if named in {ReturnKind.AEE, ReturnKind.ARE}:
            return named
        return ReturnKind.ARE if status is ReturnStatus.KO else ReturnKind.AEE
    if nature == "11":
        if named in {ReturnKind.CCO, ReturnKind.BAN}:
            return named
        return ReturnKind.BAN if status is ReturnStatus.KO else ReturnKind.CCO
    if named is not ReturnKind.UNKNOWN:
        return named
    known = NATURES.get(nature or "")
    if known is not None:
        return known.kind
    if report_type.upper().startswith(("CRM", "CRACO")):
        return ReturnKind.CRM
    return ReturnKind.UNKNOWN


def _crm_code(
    status: ReturnStatus | None,
    declarations: tuple[DeclarationReport, ...],
    envoi_anomalies: tuple[Anomaly, ...],
) -> int:
    """The CRM overall code (0–3); these XML CRMs carry none, so it follows states and anomalies."""
    declaration_ko = [d.etat == "KO" or d.etat_conformite == "KO" for d in declarations]
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
            category = v.text(counter, "categorie")
            number = v.integer(v.text(counter, "nombre"))
            if category is not None and number is not None:
                compteurs[category] = number
    return DeclarationReport(
        identification=DeclarationIdentification(
            rang=v.integer(v.text(ident, "rang")),
            nature=v.text(ident, "nature"),
            type=v.text(ident, "type"),
            fraction=v.text(ident, "fraction"),
            ordre=v.text(ident, "ordre"),
            mois=v.text(ident, "mois") or v.text(bilan, "mois"),
            identifiant_metier=v.text(ident, "identifiant_metier"),
            siren=v.text(ident, "SIREN"),
            nic_siege=v.text(ident, "nic_siege"),
            nic_affectation=v.text(ident, "nic_affectation"),
        ),
        etat=v.text(bilan, "etat"),
        etat_conformite=v.text(bilan, "niveau_conformite/etat_conformite"),
        certificat_conformite=v.text(bilan, "niveau_conformite/certificat_conformite"),
        salaries=v.integer(v.text(bilan, "declaration_contenu/salaries")),
        anomalies=tuple(_anomaly(a) for a in node.iterfind("declaration_anomalie")),
        compteurs=compteurs,
    )


def _anomaly(node: etree._Element) -> Anomaly:
    trigger = node.find("valeurs/rubrique_declenchante")
    category = v.text(node, "description/categorie")
    return Anomaly(
        code=v.text(node, "description/code") or "",
        message=v.text(node, "description/message") or "",
        category=category,
        blocking=None if category is None else category == "bloquant",
        rubric=v.text(trigger, "identifiant"),
        rubric_label=v.text(trigger, "libelle"),
        value=v.text(trigger, "valeur"),
        line=v.integer(v.text(node, "description/numero_ligne")),
        count=v.integer(v.text(node, "description/nombre")),
        employee=_employee(node.find("environnement")),
        related=tuple(
            Rubric(
                identifiant=v.text(r, "identifiant") or "",
                libelle=v.text(r, "libelle"),
                valeur=v.text(r, "valeur"),
            )
            for r in node.iterfind("valeurs/rubrique_associee")
        ),
    )


def _employee(environment: etree._Element | None) -> Employee | None:
    if environment is None:
        return None
    person = environment.find("salarie")
    contract = environment.find("contrat")
    if person is None and contract is None:
        return None
    return Employee(
        nir=v.text(person, "NIR"),
        ntt=v.text(person, "NTT"),
        last_name=v.text(person, "nom_famille"),
        first_names=v.text(person, "prenoms"),
        matricule=v.text(person, "matricule"),
        birth_date=v.text(person, "date_naissance"),
        contract_number=v.text(contract, "num_contrat"),
        contract_start=v.text(contract, "date_debut_contrat"),
    )


def _calculations(root: etree._Element) -> list[Calculation]:
    found = []
    for collective in root.iterfind("communication/information_collective"):
        for calcul in collective.iterfind("calcul"):
            rates = tuple(
                (t.get("part") or "", v.clean(t.text) or "")
                for t in calcul.iterfind(".//donnees_paie/taux")
            )
            values = tuple(
                (r.get("name") or "", v.clean(r.text) or "")
                for r in calcul.iterfind(".//rubriques/*")
                if isinstance(r.tag, str)
            )
            found.append(
                Calculation(
                    kind=collective.get("type"),
                    computed_at=calcul.get("date_calcul"),
                    phase=calcul.get("phase"),
                    rates=rates,
                    values=values,
                )
            )
    return found
