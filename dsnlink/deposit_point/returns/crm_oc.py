"""The complementary organisms' CRMs: root `<Fichier VersionCRM=… TypCRM=…>`, ISO-8859-1.

Two generations: phase 3 (VersionCRM 111–114; business returns `RetourMetier` with their context
rubrics) and V8.31 (no VersionCRM; `Diagnostic` codes, then per-employee and per-event codes).
`CodeRetourDecla` is the CRM code: 0 accepted, 1 with corrections, 2 partly, 3 not taken.
"""

from __future__ import annotations

from lxml import etree

from dsnlink.deposit_point.returns import _values as v
from dsnlink.deposit_point.returns.labels import NATURES, nature_label
from dsnlink.deposit_point.returns.model import (
    Anomaly,
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
)
from dsnlink.deposit_point.returns.safety import load_schema, validate

ROOT_TAG = "Fichier"
SCHEMAS: dict[str | None, str] = {
    "113": "CRM-DSN-OC-P3-V1.1.3.xsd",
    "114": "CRM-DSN-OC-P3-V1.1.4.xsd",
    None: "CRM-DSN-OC-V8.31.xsd",  # V8.31 carries no VersionCRM attribute
}
_STATUS_BY_CODE = {
    0: ReturnStatus.OK,
    1: ReturnStatus.ANO,
    2: ReturnStatus.KO,
    3: ReturnStatus.KO,
}

DIAGNOSTIC_LABELS = {
    "000": "DSN entièrement acceptée",
    "010": "Entreprise inconnue de l'organisme récepteur",
    "019": "Autre anomalie concernant l'entreprise ou l'établissement déclaré",
    "020": "Anomalie concernant les données salarié(s) déclarées",
    "030": "Contrat(s) inconnu(s)",
    "031": "Autre(s) anomalie(s) sur les références contrat déclarées",
    "040": "Code(s) option déclaré(s) absent(s) ou déclaré(s) mais inconnu(s)",
    "049": "Autre(s) anomalie(s) sur code(s) option",
    "050": "Code(s) population déclaré(s) absent(s) ou déclaré(s) mais inconnu(s)",
    "059": "Autre(s) anomalie(s) sur code(s) population",
    "060": "Code délégataire de gestion incorrect",
    "061": "Code organisme de Prévoyance incorrect",
    "100": "Evènement(s) déjà déclaré(s)",
    "101": "Evènement(s) rejeté(s), voir descriptif associé",
    "109": "Autre(s) anomalie(s) concernant le ou les événements reçus",
    "800": "Anomalie grave de structure ou de contenu",
    "801": "Déclaration en double ou « annule et remplace » inexploitable",
    "999": "Détail fourni aux niveaux 3 et 4",
}
EMPLOYEE_CODE_LABELS = {
    "00": "OK",
    "10": "contrat inconnu",
    "11": "contrat invalide pour ce salarié",
    "19": "autre anomalie relative au contrat",
    "20": "code option absent mais requis pour ce salarié et/ou contrat",
    "21": "code option invalide pour ce contrat",
    "22": "code option invalide pour ce salarié",
    "23": "code option invalide pour ce code population",
    "29": "autre anomalie relative au code option",
    "30": "code population absent mais requis pour ce salarié et/ou contrat",
    "31": "code population invalide pour ce contrat",
    "32": "code population invalide pour ce salarié",
    "39": "autre anomalie relative au code population",
    "99": "autres cas d'erreur liés au salarié-contrat",
}
EVENT_CODE_LABELS = {
    "00": "événement pris en compte",
    "01": "événement ignoré - déjà déclaré",
    "10": "événement rejeté suite à rejet sur le salarié (voir code retour salarié-contrat)",
    "20": "événement rejeté - changement d'option incohérent",
    "30": "événement rejeté - changement de population incohérent",
    "99": "événement rejeté - autre cas",
}
CRITICALITY = {"C": "critique", "P": "passable"}
# Context rubrics of a phase-3 business return that name the employee.
_EMPLOYEE_RUBRICS = {
    "S21.G00.30.001": "nir",
    "S21.G00.30.002": "last_name",
    "S21.G00.30.004": "first_names",
    "S21.G00.30.006": "birth_date",
    "S21.G00.30.019": "matricule",
    "S21.G00.30.020": "ntt",
    "S21.G00.40.001": "contract_start",
    "S21.G00.40.009": "contract_number",
}


def schema_for(version_crm: str | None) -> str | None:
    """The shipped XSD for a VersionCRM; None for 111/112, whose XSDs are not shipped."""
    return SCHEMAS.get(version_crm)


def read(root: etree._Element, *, nature: str | None, name: str | None) -> ReturnDocument:
    """Read an OC CRM `Fichier` root (already parsed safely)."""
    version_crm = root.get("VersionCRM")
    schema = schema_for(version_crm)
    schema_valid: bool | None = None
    schema_errors: tuple[str, ...] = ()
    if schema is not None:
        schema_valid, schema_errors = validate(root, load_schema("xsd", "crm-oc", schema))
    declarations = tuple(_declaration(node) for node in root.findall("Declaration"))
    codes = [
        code
        for code in (v.integer(node.get("CodeRetourDecla")) for node in root.findall("Declaration"))
        if code is not None
    ]
    crm_code = max(codes) if codes else None
    anomalies = [a for d in declarations for a in d.anomalies]
    if crm_code is not None:
        status = _STATUS_BY_CODE.get(crm_code)
    else:  # an AR carries no code: it only says the organism received the declaration
        status = ReturnStatus.ANO if anomalies else ReturnStatus.OK
    crm_type = root.get("TypCRM")
    # TypCRM 1 is a bare acknowledgement; some samples say 1 yet carry a code and returns.
    acknowledgement = crm_type == "1" and crm_code is None and not anomalies
    document_nature = "50" if acknowledgement else "51"
    resolved = nature or document_nature
    first = root.find("Declaration")
    ident = declarations[0].identification if declarations else None
    organism = first.get("NomProducteurCRM") if first is not None else None
    known = NATURES.get(resolved)
    depositor = root.get("SiretDeposant")
    return ReturnDocument(
        readable=True,
        name=name,
        format=ReturnFormat.CRM_OC,
        kind=ReturnKind.ACK if acknowledgement else ReturnKind.CRM,
        nature=resolved,
        nature_label=nature_label(resolved),
        document_nature=document_nature if document_nature != resolved else None,
        organism=organism or (known.organism if known else None),
        status=status,
        crm_code=crm_code,
        crm_type=crm_type,
        flow=FlowIdentity(
            idflux=v.clean(root.get("IdEnvoi")),
            siren=ident.siren if ident else None,
            nic=(ident.nic_affectation or ident.nic_siege) if ident else None,
            month=v.month(ident.mois) if ident else None,
            nature=ident.nature if ident else None,
            type=ident.type if ident else None,
            received_at=v.local_timestamp(root.get("DateHeureReceptionDep")),
            declarant_siret=depositor,
            emetteur_siret=root.get("SiretEmetteur"),
        ),
        declarant=(
            Declarant(
                siret=depositor, nom=root.get("NomDeposant"), prenom=root.get("PrenomDeposant")
            )
            if depositor
            else None
        ),
        essai_reel=root.get("CodeEnvoi"),
        point_de_depot=root.get("PointDepot"),
        version_norme=root.get("VersionNorme"),
        report_type=root.get("TypCRM"),
        version=version_crm or "8.31",
        message=v.clean(first.get("ComplementRetourDecla")) if first is not None else None,
        produced_at=v.local_timestamp(first.get("DateHeureProductionCRM"))
        if first is not None
        else None,
        declarations=declarations,
        schema=schema,
        schema_valid=schema_valid,
        schema_errors=schema_errors,
    )


def _declaration(node: etree._Element) -> DeclarationReport:
    code = v.integer(node.get("CodeRetourDecla"))
    state = _STATUS_BY_CODE.get(code) if code is not None else None
    anomalies = [_diagnostic(d) for d in node.iterfind("Diagnostic")]
    anomalies = [a for a in anomalies if a.code != "000"]
    anomalies += [_business_return(r) for r in node.iterfind("RetourMetier")]
    for person in node.iterfind("Salarie"):
        anomalies += _employee_returns(person)
    return DeclarationReport(
        identification=DeclarationIdentification(
            rang=v.integer(node.get("IdDec")),
            nature=node.get("NatureDecla"),
            type=node.get("TypeDecla"),
            fraction=node.get("FractionDecla"),
            ordre=node.get("NoOrdreDecla"),
            mois=node.get("DateMoisDec"),
            identifiant_metier=node.get("IdMetier"),
            siren=node.get("SirenDecla"),
            nic_siege=node.get("NicSiegeDecla"),
            nic_affectation=node.get("NicAffectation"),
        ),
        etat=state.value if state else None,
        salaries=v.integer(node.get("NbreSal")),
        anomalies=tuple(anomalies),
    )


def _diagnostic(node: etree._Element) -> Anomaly:
    code = node.get("CodeRetourDetail") or ""
    return Anomaly(
        code=code,
        message=v.clean(node.get("ComplementRetourDetail")) or DIAGNOSTIC_LABELS.get(code, ""),
        category=DIAGNOSTIC_LABELS.get(code),
    )


def _business_return(node: etree._Element) -> Anomaly:
    code = node.get("CodeRetourMetier") or ""
    criticality = node.get("CriticiteRetour")
    context = [
        Rubric(
            identifiant=c.get("Rubrique") or "",
            libelle=c.get("Libelle"),
            valeur=c.get("Valeur"),
        )
        for c in node.iterfind("ContexteRetourMetier")
    ]
    label = v.clean(node.get("LibelCodeRetourMetier")) or ""
    description = v.clean(node.get("DescriptionRetour"))
    return Anomaly(
        code=code,
        message=f"{label} : {description}" if description else label,
        category=CRITICALITY.get(criticality or "")
        or ("erreur" if code.startswith("E") else "information"),
        blocking=True if criticality == "C" else None,
        rubric=node.get("RubriqueBlocRetour"),
        rubric_label=v.clean(node.get("LibelRubBlocRetour")),
        value=node.get("ValeurRubriqueErreur"),
        expected_value=node.get("ValeurCorrigeeAjoutee"),
        count=v.integer(node.get("NbErreursSimilaires")),
        employee=_employee_from_context(context),
        related=tuple(context),
    )


def _employee_from_context(context: list[Rubric]) -> Employee | None:
    found = {
        _EMPLOYEE_RUBRICS[r.identifiant]: r.valeur
        for r in context
        if r.identifiant in _EMPLOYEE_RUBRICS
    }
    if not found.get("nir") and not found.get("last_name") and not found.get("matricule"):
        return None
    return Employee(**found)


def _employee_returns(node: etree._Element) -> list[Anomaly]:
    employee = Employee(
        nir=node.get("NirSal"),
        ntt=node.get("NTTSal"),
        last_name=node.get("NomSal"),
        first_names=node.get("PrenomSal"),
        matricule=node.get("MatriculeSal"),
        contract_number=node.get("RefContrat"),
    )
    found: list[Anomaly] = []
    code = node.get("CodeRetourSal") or ""
    if code not in ("", "00"):
        found.append(
            Anomaly(
                code=code,
                message=v.clean(node.get("ComplementRetourSal"))
                or EMPLOYEE_CODE_LABELS.get(code, ""),
                category=EMPLOYEE_CODE_LABELS.get(code),
                employee=employee,
            )
        )
    for event in node.iterfind("Evt"):
        event_code = event.get("CodeRetourEvt") or ""
        if event_code in ("", "00"):
            continue
        found.append(
            Anomaly(
                code=event_code,
                message=v.clean(event.get("ComplementRetourEvt"))
                or EVENT_CODE_LABELS.get(event_code, ""),
                category=EVENT_CODE_LABELS.get(event_code),
                employee=employee,
                related=(Rubric("CodeEvt", valeur=event.get("CodeEvt")),),
            )
        )
    return found
