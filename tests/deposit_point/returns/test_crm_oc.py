"""The complementary organisms' CRMs (`Fichier`, ISO-8859-1) on the official samples."""

from __future__ import annotations

from datetime import UTC, datetime

from dsnlink.deposit_point.returns import (
    DeclarationOutcome,
    Employee,
    ReturnFormat,
    ReturnKind,
    ReturnStatus,
    declaration_outcome,
    read_return,
)
from dsnlink.deposit_point.returns.crm_oc import schema_for

from .samples import sample, sample_bytes


def test_phase_3_complete_crm_with_business_returns() -> None:
    crm = sample("CRM-DSN-OC-P3-V1.1.4-Exemple-CRC-MNETE.xml")

    assert (crm.format, crm.kind, crm.nature, crm.status, crm.crm_code) == (
        ReturnFormat.CRM_OC,
        ReturnKind.CRM,
        "51",
        ReturnStatus.KO,
        2,
    )
    assert crm.crm_type == "3"
    assert crm.organism == "Raison sociale organisme"
    assert crm.message == "Message explicatif global"
    flow = crm.flow
    assert (flow.idflux, flow.siren, flow.nic, flow.month, flow.nature, flow.type) == (
        "AZ123...Egfk---jRR__qsdqsd",
        "123456789",
        "12345",
        "2020-03",
        "01",
        "01",
    )
    assert flow.received_at == datetime(2020, 4, 24, 9, 24, 58, tzinfo=UTC)
    assert crm.declarant is not None and crm.declarant.nom == "MARTIN"
    codes = [a.code for a in crm.anomalies]
    assert codes == ["EADH02", "IVER02", "EVER17", "ECIN05", "IEVT07"]
    first, *_, last = crm.anomalies
    assert first.message == "Référence Contrat de l'adhésion erronée : Description complémentaire"
    assert (first.rubric, first.value, first.expected_value) == ("S21.G00.15.001", "C123", "C321")
    assert first.category == "erreur"
    assert last.category == "information"
    assert last.employee == Employee(
        nir="1550575999888",
        last_name="DUPONT",
        first_names="Charles Emile",
        matricule="123456",
        contract_start="01012019",
        contract_number="11111",
    )
    assert declaration_outcome(crm) is DeclarationOutcome.CRM_KO


def test_latin1_labels_are_decoded() -> None:
    crm = sample("CRM-DSN-OC-P3-V1.1.4-Exemple-CRC-MNETE.xml")

    assert "Prévoyance" in (crm.anomalies[0].rubric_label or "")


def test_acknowledgement_is_an_ack_that_moves_nothing() -> None:
    ack = sample("CRM-DSN-OC-P3-V1.1.4-Exemple-AR.xml")

    assert (ack.kind, ack.nature, ack.status, ack.crm_code) == (
        ReturnKind.ACK,
        "50",
        ReturnStatus.OK,
        None,
    )
    assert declaration_outcome(ack) is None


def test_a_crc_labelled_typcrm_1_is_still_a_crm() -> None:
    crm = sample("CRM-DSN-OC-P3-V1.1.1-Exemple-CRC.xml")

    assert crm.crm_type == "1"
    assert (crm.kind, crm.nature, crm.crm_code) == (ReturnKind.CRM, "51", 2)
    assert crm.schema is None and crm.schema_valid is None  # no 1.1.1 XSD is shipped


def test_v831_diagnostics_and_rejected_events() -> None:
    crm = sample("CRM-DSN-CRT-V8.31.xml")

    assert (crm.version, crm.schema, crm.schema_valid) == ("8.31", "CRM-DSN-OC-V8.31.xsd", True)
    assert [(a.code, a.message) for a in crm.anomalies] == [
        ("040", "complément40"),
        ("050", "complément50"),
        ("10", "complément2"),
    ]
    assert crm.anomalies[0].category is not None
    assert crm.anomalies[0].category.startswith("Code(s) option")
    rejected_event = crm.anomalies[2]
    assert rejected_event.employee is not None
    assert rejected_event.employee.last_name == "nom-deux"


def test_crm_code_decides_the_status() -> None:
    base = sample_bytes("CRM-DSN-OC-P3-V1.1.4-Exemple-CRC.xml")
    for code, status, outcome in (
        (b"0", ReturnStatus.OK, DeclarationOutcome.CRM_OK),
        (b"1", ReturnStatus.ANO, DeclarationOutcome.CRM_ANOMALIES),
        (b"3", ReturnStatus.KO, DeclarationOutcome.CRM_KO),
    ):
        document = read_return(
            base.replace(b'CodeRetourDecla="2"', b'CodeRetourDecla="' + code + b'"')
        )
        assert (document.crm_code, document.status) == (int(code), status)
        assert declaration_outcome(document) is outcome


def test_schema_per_version() -> None:
    assert schema_for("113") == "CRM-DSN-OC-P3-V1.1.3.xsd"
    assert schema_for("114") == "CRM-DSN-OC-P3-V1.1.4.xsd"
    assert schema_for(None) == "CRM-DSN-OC-V8.31.xsd"
    assert schema_for("112") is None
