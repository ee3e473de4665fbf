"""The NEOReS family: organisms' CRMs since 2023, root `<GIPMDS xmlns="https://gipmds/1.0">`.

Blocks (cahier technique NEOReS): RO.B000 the DSN flow the return answers, RO.B001 the trigger,
RO.B002 context (nature code, organism, dates), RO.B003 the business verdict (OK/ANO/KO),
RO.B004 the actions asked (corrections, parameters) with details RO.B005, individuals RO.B006,
DSN data RO.B007, payroll parameters RO.B008 and identification gaps RO.B009.
"""

from __future__ import annotations

from lxml import etree

from dsnlink.deposit_point.returns import _values as v
from dsnlink.deposit_point.returns.labels import NATURES, nature_label, official_label
from dsnlink.deposit_point.returns.model import (
    Anomaly,
    Employee,
    FlowIdentity,
    PayrollParameter,
    ReturnDocument,
    ReturnFormat,
    ReturnKind,
    ReturnStatus,
    Rubric,
)
from dsnlink.deposit_point.returns.safety import load_schema, validate

NAMESPACE = "https://gipmds/1.0"
ROOT_TAG = f"{{{NAMESPACE}}}GIPMDS"
SCHEMAS = {
    "2026.1.1": (
        ("xsd", "neores", "NEOReS_Master_Message_2026.1.1.xsd"),
        ("xsd", "neores", "NEOReS_datatypes_2026.1.1.xsd"),
    ),
    "2027.1.0": (
        ("xsd", "neores", "NEOReS_Master_Message_2027.1.0.xsd"),
        ("xsd", "neores", "NEOReS_datatypes_2027.1.0.xsd"),
    ),
}
# Action types asking the declarant to correct something; 04/05 are payroll parameters.
CORRECTION_ACTIONS = frozenset({"01", "02", "03"})


def _q(path: str) -> str:
    return "/".join(f"{{{NAMESPACE}}}{step}" for step in path.split("/"))


def _t(node: etree._Element | None, path: str) -> str | None:
    return v.text(node, _q(path))


def schema_version(norm_version: str | None) -> str:
    """The shipped XSD a document is checked against: 2027.1.0 for P27V01, else 2026.1.1."""
    return "2027.1.0" if norm_version == "P27V01" else "2026.1.1"


def read(root: etree._Element, *, nature: str | None, name: str | None) -> ReturnDocument:
    """Read a NEOReS GIPMDS root (already parsed safely)."""
    ro = root.find(_q("RO"))
    norm = _t(ro, "RO_R001")
    master, datatypes = SCHEMAS[schema_version(norm)]
    schema_valid, schema_errors = validate(root, load_schema(*master, datatypes=datatypes))
    flow_node = ro.find(_q("RO_B000")) if ro is not None else None
    profile = ro.find(_q("RO_B001")) if ro is not None else None
    context = profile.find(_q("RO_B002")) if profile is not None else None

    actions = context.findall(_q("RO_B004")) if context is not None else []
    anomalies = tuple(
        anomaly
        for action in actions
        if _t(action, "RO_B004_R003") in CORRECTION_ACTIONS
        for anomaly in _anomalies(action)
    )
    parameters = tuple(
        PayrollParameter(
            type=_t(p, "RO_B008_R001") or "",
            value=_t(p, "RO_B008_R002") or "",
            effective_from=_t(p, "RO_B008_R003"),
            effective_to=_t(p, "RO_B008_R004"),
            rubric=_t(p, "RO_B008_R005"),
        )
        for action in actions
        for p in action.iterfind(_q("RO_B008"))
    )
    verdict = v.status(_t(context, "RO_B003/RO_B003_R002"))
    status = verdict or (ReturnStatus.ANO if anomalies else ReturnStatus.OK)
    document_nature = _t(context, "RO_B002_R002")
    resolved = nature or document_nature
    siren, nic = v.split_siret(_t(flow_node, "RO_B000_R004"))
    organism = _t(context, "RO_B002_R005")
    known = NATURES.get(resolved or "")
    return ReturnDocument(
        readable=True,
        name=name,
        format=ReturnFormat.NEORES,
        kind=ReturnKind.CRM,
        nature=resolved,
        nature_label=nature_label(resolved),
        document_nature=document_nature if document_nature != resolved else None,
        organism=organism or (known.organism if known else None),
        status=status,
        crm_type=_t(profile, "RO_B001_R001"),
        flow=FlowIdentity(
            idflux=_t(flow_node, "RO_B000_R001"),
            siren=siren,
            nic=nic,
            month=v.month(_t(flow_node, "RO_B000_R006")),
            type=_t(flow_node, "RO_B000_R011"),
            emetteur_siret=_t(flow_node, "RO_B000_R003"),
        ),
        essai_reel=_t(flow_node, "RO_B000_R013"),
        point_de_depot=_t(flow_node, "RO_B000_R007"),
        version_norme=_t(flow_node, "RO_B000_R014"),
        report_type=_t(context, "RO_B002_R003"),
        version=norm,
        message=_t(context, "RO_B003/RO_B003_R001"),
        produced_at=v.local_timestamp(_t(context, "RO_B002_R011")),
        other_anomalies=anomalies,
        parameters=parameters,
        schema=master[-1],
        schema_valid=schema_valid,
        schema_errors=schema_errors,
    )


def _anomalies(action: etree._Element) -> list[Anomaly]:
    """One anomaly per detail (RO.B005) or identification gap (RO.B009), else one per action."""
    code = _t(action, "RO_B004_R001") or ""
    label = _t(action, "RO_B004_R002") or ""
    result = _t(action, "RO_B004_R006")
    action_type = _t(action, "RO_B004_R003")
    category = official_label("Enum_TypeErreur_2-2", result) or official_label(
        "Enum_TypeAction_2-2", action_type
    )
    expected = _t(action, "RO_B004_R013")
    found: list[Anomaly] = []
    for detail in action.iterfind(_q("RO_B005")):
        data = [
            Rubric(
                identifiant=_t(d, "RO_B007_R001") or "",
                libelle=official_label("Enum_ResCTRL_2-2", _t(d, "RO_B007_R009")),
                valeur=_t(d, "RO_B007_R002"),
            )
            for d in detail.iterfind(_q("RO_B007"))
        ]
        first_data = detail.find(_q("RO_B007"))
        person = detail.find(_q("RO_B006"))
        found.append(
            Anomaly(
                code=code,
                message=_t(detail, "RO_B005_R001") or label,
                category=category,
                rubric=data[0].identifiant if data else None,
                value=data[0].valeur if data else None,
                expected_value=_t(first_data, "RO_B007_R003"),
                employee=_person(person) if person is not None else None,
                related=tuple(data[1:]),
                action=expected,
            )
        )
    for gap in action.iterfind(_q("RO_B009")):
        found.append(
            Anomaly(
                code=code,
                message=label,
                category=category,
                value=_t(gap, "RO_B009_R001"),
                expected_value=_t(gap, "RO_B009_R003"),
                employee=Employee(
                    nir=_t(gap, "RO_B009_R001"),
                    ntt=_t(gap, "RO_B009_R002"),
                    last_name=_t(gap, "RO_B009_R004"),
                    first_names=_t(gap, "RO_B009_R006"),
                    birth_date=_t(gap, "RO_B009_R008"),
                    matricule=_t(gap, "RO_B009_R010"),
                ),
                action=expected,
            )
        )
    if not found:
        found.append(
            Anomaly(
                code=code,
                message=label,
                category=category,
                count=v.integer(_t(action, "RO_B004_R009")),
                action=expected,
            )
        )
    return found


def _person(node: etree._Element) -> Employee:
    return Employee(
        nir=_t(node, "RO_B006_R001"),
        ntt=_t(node, "RO_B006_R002"),
        last_name=_t(node, "RO_B006_R003"),
        first_names=_t(node, "RO_B006_R004"),
        matricule=_t(node, "RO_B006_R005"),
        contract_start=_t(node, "RO_B006_R006"),
        contract_number=_t(node, "RO_B006_R007"),
        birth_date=_t(node, "RO_B006_R008"),
    )
