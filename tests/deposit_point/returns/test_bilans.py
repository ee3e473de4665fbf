"""The bilans family (gipmds:rapport) on the official samples: everything the gateway relies on."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dsnlink.deposit_point.returns import (
    DeclarationOutcome,
    Employee,
    FlowIdentity,
    ReturnFormat,
    ReturnKind,
    ReturnStatus,
    Rubric,
    WithholdingRate,
    declaration_outcome,
    read_return,
)

from .samples import sample, sample_bytes


def test_aee_deposit_accepted_with_what_proves_the_flow() -> None:
    aee = sample("exemple_retour_10_AEE.xml")

    assert (aee.format, aee.kind, aee.nature, aee.status) == (
        ReturnFormat.BILAN,
        ReturnKind.AEE,
        "10",
        ReturnStatus.OK,
    )
    assert aee.flow == FlowIdentity(
        idflux="WSaah7AQlUpYL5RsQssseG.",
        received_at=datetime(2015, 2, 10, 10, 2, 59, tzinfo=UTC),  # 11:02:59 in Paris
        declarant_siret="41027602600029",
        emetteur_siret="41027602600029",
    )
    assert aee.declarant is not None
    assert (aee.declarant.siret, aee.declarant.nom, aee.declarant.prenom) == (
        "41027602600029",
        "test",
        "dsn",
    )
    assert (aee.essai_reel, aee.point_de_depot) == ("02", "01")
    assert aee.recorded_at == datetime(2015, 2, 10, 10, 2, 59, tzinfo=UTC)
    assert aee.anomalies == () and aee.declarations == ()
    assert aee.organism == "point de dépôt"
    assert declaration_outcome(aee) is DeclarationOutcome.DEPOSITED


def test_are_deposit_refused_in_the_deposit_points_words() -> None:
    are = sample("exemple_retour_10_ARE.xml")

    assert (are.kind, are.status) == (ReturnKind.ARE, ReturnStatus.KO)
    assert are.idflux == "UR5WJEBA5T74R4jNmCgvm1F"
    assert are.essai_reel is None  # <essai_reel /> is empty in the sample
    assert are.received_at == datetime(2013, 10, 16, 8, 42, 34, tzinfo=UTC)  # CEST
    (anomaly,) = are.anomalies
    assert anomaly == are.envoi_anomalies[0]
    assert anomaly.code == "B1-105-15"
    assert anomaly.message == "Le format du fichier depot_mtom n'est pas reconnu."
    assert (anomaly.category, anomaly.blocking) == (None, None)  # the ARE does not say
    assert declaration_outcome(are) is DeclarationOutcome.REFUSED_BY_DEPOSIT_POINT


def test_ban_is_a_rejection_with_its_anomaly_and_the_declaration_it_identifies() -> None:
    ban = sample("exemple_retour_11_BAN.xml")

    assert (ban.kind, ban.nature, ban.status) == (ReturnKind.BAN, "11", ReturnStatus.KO)
    assert ban.version_norme == "P02V01"
    assert ban.flow == FlowIdentity(
        idflux="WSaah7AQlUpYL5RsQssseG.",
        siren="300431533",
        nic="00037",
        month="2015-01",
        nature="01",
        type="03",
        received_at=ban.received_at,
        declarant_siret=ban.declarant.siret if ban.declarant else None,
        emetteur_siret="30043153300037",
    )
    assert ban.flow.siret == "30043153300037"
    (anomaly,) = ban.anomalies
    assert (anomaly.code, anomaly.category, anomaly.blocking) == ("CSL-01", "bloquant", True)
    assert anomaly.message == (
        "La rubrique S10.G00.00.002 est plus longue que la longueur maximale autorisée (20)."
    )
    assert anomaly.line == 2
    assert (anomaly.rubric, anomaly.rubric_label, anomaly.value) == (
        "S10.G00.00.002",
        "Nom de l'éditeur",
        "HistoM-1_MtoM-7338-AR",
    )
    (declaration,) = ban.declarations
    ident = declaration.identification
    assert (ident.rang, ident.nature, ident.type, ident.fraction, ident.ordre, ident.mois) == (
        1,
        "01",
        "03",
        "11",
        "2",
        "01012015",
    )
    assert (ident.siren, ident.nic_siege, ident.nic_affectation) == ("300431533", "00037", "00037")
    assert (declaration.etat, declaration.etat_conformite) == ("KO", "KO")
    assert declaration.compteurs == {"bloquant": 0, "non-bloquant": 0}
    assert declaration.salaries == 1
    assert ban.blocking_anomalies == (anomaly,)
    assert declaration_outcome(ban) is DeclarationOutcome.REJECTED_BY_DEPOSIT_POINT


def test_cco_certificate_of_conformity() -> None:
    cco = sample("exemple_retour_11_CCO.xml")

    assert (cco.kind, cco.status) == (ReturnKind.CCO, ReturnStatus.OK)
    assert cco.idflux == "UR5WJEBAhi54RcZN8Lur71F"
    assert cco.essai_reel == "01"
    assert cco.received_at is None  # the sample carries no reception time
    assert (cco.flow.siren, cco.flow.nic, cco.flow.month) == ("732829320", "01691", None)
    (declaration,) = cco.declarations
    assert declaration.identification.fraction == "32"
    assert declaration.etat_conformite == "OK"
    assert declaration_outcome(cco) is DeclarationOutcome.CONFORM


def test_bis_keeps_counts_and_does_not_move_the_declaration() -> None:
    bis = sample("exemple_retour_20_BIS_mensuelle.xml")  # starts with a BOM

    assert (bis.kind, bis.nature, bis.report_type) == (ReturnKind.BIS, "20", "20")
    assert bis.message is not None
    assert bis.message.startswith("Pour les salariés non identifiés, risque d'échec")
    (declaration,) = bis.declarations
    assert declaration.identification.rang == 123450
    assert declaration.identification.identifiant_metier == "Identmétier"
    assert declaration.salaries == 6
    assert [a.code for a in declaration.anomalies] == ["I0310"] * 4 + ["I0320"]
    assert declaration.anomalies[0].message == "SALARIE_RECONNU"
    assert declaration.anomalies[0].count == 4
    assert declaration_outcome(bis) is None


def test_cid_cross_declaration_checks() -> None:
    cid = sample("exemple_retour_21_CID.xml")

    assert (cid.kind, cid.nature) == (ReturnKind.CID, "21")
    assert cid.declarant is not None and cid.declarant.siret == "33300018050000"
    (declaration,) = cid.declarations
    assert declaration.identification.mois == "01072014"
    assert cid.flow.month == "2014-07"
    assert [a.code for a in declaration.anomalies] == ["C0202", "C0202", "C0201"]
    assert declaration.anomalies[2].message == "CONTRAT - Contrat présent sans embauche"


def test_urssaf_aggregated_crm() -> None:
    crm = sample("exemple_retour_61_CRM_URSSAF.xml")

    assert (crm.kind, crm.report_type, crm.nature) == (ReturnKind.CRM, "CRACOSS", "61")
    assert crm.organism == "URSSAF"
    assert crm.idflux == "F1tmbhAQlUPca5Rg.c0zd1Y"
    assert crm.status is ReturnStatus.OK
    assert crm.recorded_at == datetime(2015, 10, 16, 9, 33, 30, tzinfo=UTC)
    (declaration,) = crm.declarations
    assert declaration.identification.mois == "2015-11-01"
    assert crm.flow.month == "2015-11"
    assert declaration.compteurs == {"non-bloquant": 3}
    assert declaration.certificat_conformite is not None
    assert "numéro de certificat 38785135" in declaration.certificat_conformite
    assert [a.code for a in declaration.anomalies] == ["BA-209-09", "BA-210-01", "BA-210-01"]
    assert crm.crm_code == 1  # accepted, with non-blocking anomalies
    assert declaration_outcome(crm) is DeclarationOutcome.CRM_ANOMALIES


def test_dgfip_nominative_crm_keeps_the_withholding_rates() -> None:
    crm = sample("Exemple-94-DGFIP-crm-nominatif.xml")

    assert (crm.kind, crm.nature, crm.report_type) == (ReturnKind.CRM, "94", "CRM nominatif")
    assert (crm.format, crm.version, crm.organism) == (ReturnFormat.BILAN, "v01r08", "DGFiP")
    assert crm.idflux == "41358177C5AD6C0000000000"
    assert crm.declarant is None
    assert crm.emetteur_siret == "12345678912345"
    assert crm.withholding_rates == (
        WithholdingRate(nir="9999999999999", matricule="MAT00009825", taux="14.00"),
    )
    (anomaly,) = crm.anomalies
    assert (anomaly.code, anomaly.category, anomaly.blocking) == ("ADR05", "non-bloquant", False)
    assert (anomaly.rubric, anomaly.rubric_label, anomaly.value) == (
        "S21.G00.30.010",
        None,
        "Bordeau",
    )
    assert anomaly.employee == Employee(nir="9999999999999", matricule="MAT00029643")
    assert crm.crm_code == 1


def test_anomaly_names_the_employee_contract_and_associated_rubrics() -> None:
    crm = sample("exemple_retour_116_CRM_CIBTP.xml", nature="116")

    assert (crm.kind, crm.nature, crm.document_nature, crm.organism) == (
        ReturnKind.CRM,
        "116",
        "21",
        "CIBTP",
    )
    second = crm.anomalies[1]
    assert second.code == "S21.G00.40.005-C01"
    assert second.related == (
        Rubric("S21.G00.40.017", "Code convention collective applicable", "1702"),
    )
    assert second.employee == Employee(
        nir="1621175111034",
        last_name="DUPONT",
        first_names="Philippe",
        matricule="12",
        birth_date="12111962",
        contract_number="000001",
        contract_start="01012018",
    )
    assert crm.status is ReturnStatus.ANO and crm.crm_code == 1


def test_communicated_rates_are_kept() -> None:
    crm = sample("exemple_retour_117_CRM_BMCC_Circuit_10_30_RA.xml")

    assert [(c.kind, c.phase, c.rates) for c in crm.calculations] == [
        ("bmcc", "10", (("patronale", "3"), ("CCP", "3"))),
        ("bmcc", "30", (("patronale", "3.14"), ("CCP", "3.12"))),
    ]
    assert ("identifiantTaux", "999820788_30_2023_20230430") in crm.calculations[1].values
    assert crm.calculations[1].computed_at == "2023-04-30T16:03:29"


def _rapport(envoi_etat: str, etat: str = "OK", report_type: str = "CRM") -> bytes:
    return (
        f'<gipmds:rapport xmlns:gipmds="http://www.gip-mds.fr/" type="{report_type}" '
        'profil="DSN"><envoi><envoi_identification><idflux>F1</idflux>'
        "<emetteur_siret>12345678900011</emetteur_siret></envoi_identification>"
        f"<envoi_bilan><envoi_etat>{envoi_etat}</envoi_etat></envoi_bilan></envoi>"
        "<declaration><declaration_identification><rang>1</rang><SIREN>123456789</SIREN>"
        "<nic_affectation>00011</nic_affectation></declaration_identification>"
        f"<declaration_bilan><etat>{etat}</etat></declaration_bilan></declaration>"
        "</gipmds:rapport>"
    ).encode()


@pytest.mark.parametrize(
    ("envoi_etat", "etat", "code", "outcome"),
    [
        ("OK", "OK", 0, DeclarationOutcome.CRM_OK),
        ("ANO", "ANO", 1, DeclarationOutcome.CRM_ANOMALIES),
        ("KO", "KO", 3, DeclarationOutcome.CRM_KO),
        ("OK", "KO", 3, DeclarationOutcome.CRM_KO),
    ],
)
def test_crm_overall_code_follows_the_body(
    envoi_etat: str, etat: str, code: int, outcome: DeclarationOutcome
) -> None:
    crm = read_return(_rapport(envoi_etat, etat), nature="61")

    assert crm.schema_valid is True
    assert crm.crm_code == code
    assert declaration_outcome(crm) is outcome


@pytest.mark.parametrize(
    ("nature", "report_type", "status", "kind"),
    [
        ("10", "XYZ", "OK", ReturnKind.AEE),
        ("10", "XYZ", "KO", ReturnKind.ARE),
        ("11", "XYZ", "OK", ReturnKind.CCO),
        ("11", "XYZ", "KO", ReturnKind.BAN),
        ("71", "XYZ", "OK", ReturnKind.CRM),
    ],
)
def test_listing_nature_sharpens_a_vague_type(
    nature: str, report_type: str, status: str, kind: ReturnKind
) -> None:
    document = read_return(_rapport(status, status, report_type), nature=nature)

    assert (document.kind, document.nature) == (kind, nature)


def test_unknown_nature_is_kept_and_shown_as_such() -> None:
    document = read_return(_rapport("OK", report_type="977"))

    assert document.readable
    assert (document.nature, document.kind) == ("977", ReturnKind.UNKNOWN)
    assert document.nature_label == "nature de retour inconnue (977)"
    assert declaration_outcome(document) is None


def test_a_report_breaking_the_xsd_is_read_and_flagged() -> None:
    document = read_return(_rapport("MAYBE"))

    assert document.readable
    assert document.schema_valid is False
    assert any("envoi_etat" in error for error in document.schema_errors)
    assert document.status is ReturnStatus.OK  # the declaration's own etat still says OK


def test_dgfip_rates_of_an_employee_known_by_a_temporary_number() -> None:
    crm = sample("Exemple-94-DGFIP-crm-nominatif-ntt.xml")

    assert crm.withholding_rates == (
        WithholdingRate(nir=None, matricule="MAT00009825", taux="14.00", ntt="9999999999999"),
    )
    employee = crm.anomalies[0].employee
    assert employee is not None and (employee.nir, employee.ntt) == (None, "9999999999999")


def test_blank_lines_and_a_bom_before_the_xml_declaration_are_tolerated() -> None:
    original = sample_bytes("exemple_retour_10_AEE.xml")
    assert original.startswith(b"<?xml")
    data = b"\xef\xbb\xbf\n\n  " + original

    document = read_return(data)

    assert document.readable, document.error
    assert document.kind is ReturnKind.AEE
