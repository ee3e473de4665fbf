"""The NEOReS family (organisms' CRMs since 2023) on the official samples."""

from __future__ import annotations

from datetime import UTC, datetime

from dsnlink.deposit_point.returns import (
    DeclarationOutcome,
    Employee,
    PayrollParameter,
    ReturnFormat,
    ReturnKind,
    ReturnStatus,
    Rubric,
    declaration_outcome,
    read_return,
)
from dsnlink.deposit_point.returns.neores import schema_version

from .samples import sample, sample_bytes


def test_france_travail_crm_names_the_declaration_employee_and_expected_value() -> None:
    crm = sample("exemple_retour_135_CRM_FCTU_FRANCE_TRAVAIL_ANO.xml")

    assert (crm.format, crm.kind, crm.nature, crm.status) == (
        ReturnFormat.NEORES,
        ReturnKind.CRM,
        "135",
        ReturnStatus.ANO,
    )
    assert crm.organism == "France Travail"
    assert crm.produced_at == datetime(2026, 5, 27, 14, 8, 29, tzinfo=UTC)  # 16:08:29 CEST
    assert crm.message is not None and crm.message.startswith("Des anomalies détectées")
    (anomaly,) = crm.anomalies
    assert anomaly.code == "FT0013"
    assert anomaly.category == "Valeur incohérente"  # RO_B004_R006 = 01
    assert anomaly.message.startswith("Vous avez déclaré pour l'individu ALLILAIRE DOMINIQUE")
    assert (anomaly.rubric, anomaly.value, anomaly.expected_value) == (
        "S21.G00.63.002",
        "2026-02-27",
        "2026-03-01",
    )
    assert anomaly.employee == Employee(
        nir="1961068224024",
        last_name="MARTIN",
        first_names="MARTIN",
        contract_start="2026-01-01",
        contract_number="Contrat 2",
        birth_date="1996-10-30",
    )
    assert anomaly.action is not None and anomaly.action.startswith("Veuillez vérifier")
    assert declaration_outcome(crm) is DeclarationOutcome.CRM_ANOMALIES


def test_urssaf_crm_identifies_the_flow_and_lists_every_detail() -> None:
    crm = sample("exemple_retour_119_CRM_ACOSS_ANO.xml")

    flow = crm.flow
    assert (flow.idflux, flow.siret, flow.month, flow.type) == (
        "F1owqgaAjmJM4qEtlbXgknR",
        "84088347400016",
        "2024-01",
        "03",
    )
    assert flow.emetteur_siret == "30247464800888"
    assert (crm.essai_reel, crm.point_de_depot, crm.version_norme, crm.version) == (
        "02",
        "01",
        "P23V01",
        "P24V01",
    )
    assert crm.crm_type == "01"
    assert crm.crm_code is None  # NEOReS has no 0–3 code: its verdict is RO_B003_R002
    first, second = crm.anomalies
    assert first.code == "UR_ANO_ASS_DIPA01a"
    assert first.category == "Bloc absent"  # RO_B004_R006 = 04
    assert first.employee is not None and first.employee.matricule == "80000053"
    assert first.rubric == "S21.G00.40.020" and first.value == "200"
    assert Rubric("S21.G00.78.001", "Bloc absent", None) in first.related
    assert second.code == "UR_ANO_ASS_CAM_DIDAPA15a"
    assert second.employee is None


def test_identification_gaps_name_the_person_declared_and_the_reference() -> None:
    crm = sample("exemple_retour_121_CRM_ID_ANO_divergence.xml")

    (anomaly,) = crm.anomalies
    assert anomaly.code == "CNVANOIDE7A"
    assert (anomaly.value, anomaly.expected_value) == ("1271122980702", "1271122980701")
    assert anomaly.employee == Employee(
        nir="1271122980702", last_name="TALULLA", first_names="DIANNE", birth_date="1927-11-12"
    )
    assert anomaly.category == "Correction de données d'identification d'individus"


def test_ko_verdict_is_a_crm_ko() -> None:
    crm = sample("exemple_retour_121_CRM_ID_KO.xml")

    assert crm.status is ReturnStatus.KO
    assert declaration_outcome(crm) is DeclarationOutcome.CRM_KO


def test_without_a_verdict_anomalies_make_it_ano() -> None:
    crm = sample("exemple_retour_124_CRM_ACOSS_ANO_2.xml")  # no RO_B003 block

    assert crm.status is ReturnStatus.ANO
    assert len(crm.anomalies) == 3


def test_payroll_parameters_are_not_anomalies() -> None:
    crm = sample("exemple_retour_118_CRM_Effectifs_ACOSS.xml", nature="118")

    assert (crm.nature, crm.document_nature, crm.crm_type) == ("118", "22", "04")
    assert crm.status is ReturnStatus.OK and crm.anomalies == ()
    assert crm.parameters == (
        PayrollParameter(
            type="M01", value="4.70", effective_from="2021-01-01", effective_to="2021-01-31"
        ),
    )
    assert declaration_outcome(crm) is DeclarationOutcome.CRM_OK


def test_ok_crm() -> None:
    crm = sample("exemple_retour_130_CRM_MSA_OK.xml")

    assert (crm.status, crm.anomalies, crm.organism) == (
        ReturnStatus.OK,
        (),
        "MSA DU NORD PAS DE CALAIS",
    )


def test_p27_documents_are_checked_against_the_2027_schema() -> None:
    assert schema_version("P27V01") == "2027.1.0"
    assert schema_version("P26V01") == "2026.1.1"
    assert schema_version(None) == "2026.1.1"
    p27 = sample_bytes("exemple_retour_130_CRM_MSA_OK.xml").replace(
        b"<RO_R001>P24V01</RO_R001>", b"<RO_R001>P27V01</RO_R001>"
    )
    assert b"P27V01" in p27

    document = read_return(p27)

    assert document.schema == "NEOReS_Master_Message_2027.1.0.xsd"
    assert document.schema_valid is False  # RO_B001 is abstract in 2027: needs xsi:type
    assert any("RO_B001" in error for error in document.schema_errors)
