"""The returns parser on each official GIP-MDS sample, with the values those files carry."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dsnlink.deposit_point.errors import UnreadableReturn
from dsnlink.deposit_point.records import (
    GatewayStatus,
    ReportFormat,
    ReportKind,
    ReturnStatus,
    WithholdingRate,
)
from dsnlink.deposit_point.reports import (
    Transcodification,
    describe,
    gateway_status,
    load_transcodification,
    parse_return,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "returns"


def sample(name: str):
    return parse_return((FIXTURES / name).read_bytes())


@pytest.fixture(scope="module")
def transco() -> Transcodification:
    return Transcodification.from_xml((FIXTURES / "transcodification_XSL.xml").read_bytes())


def test_every_official_sample_validates_against_the_shipped_xsd():
    # The samples this parser was written for (the other families: dsnlink.deposit_point.returns).
    names = [
        "Exemple-94-DGFIP-crm-nominatif.xml",
        "exemple_retour_10_AEE.xml",
        "exemple_retour_10_ARE.xml",
        "exemple_retour_11_BAN.xml",
        "exemple_retour_11_CCO.xml",
        "exemple_retour_20_BIS_mensuelle.xml",
        "exemple_retour_21_CID.xml",
        "exemple_retour_61_CRM_URSSAF.xml",
    ]
    for name in names:
        parsed = sample(name)
        assert parsed.schema_valid is True, (name, parsed.schema_errors)


def test_aee_deposit_accepted():
    aee = sample("exemple_retour_10_AEE.xml")

    assert (aee.kind, aee.format, aee.nature) == (ReportKind.AEE, ReportFormat.BILANS, "10")
    assert aee.idflux == "WSaah7AQlUpYL5RsQssseG."
    assert aee.status is ReturnStatus.OK
    assert aee.declarant is not None
    assert (aee.declarant.siret, aee.declarant.nom, aee.declarant.prenom) == (
        "41027602600029", "test", "dsn"
    )
    assert (aee.essai_reel, aee.point_de_depot) == ("02", "01")
    assert aee.received_at == datetime(2015, 2, 10, 10, 2, 59, tzinfo=UTC)  # 11:02:59 Paris
    assert aee.recorded_at == datetime(2015, 2, 10, 10, 2, 59, tzinfo=UTC)
    assert aee.anomalies == () and aee.declarations == ()
    assert gateway_status(aee) is GatewayStatus.DEPOSITED


def test_are_deposit_refused_in_the_deposit_points_words():
    are = sample("exemple_retour_10_ARE.xml")

    assert are.kind is ReportKind.ARE
    assert are.idflux == "UR5WJEBA5T74R4jNmCgvm1F"
    assert are.status is ReturnStatus.KO
    assert are.essai_reel is None  # <essai_reel /> is empty in the sample
    assert are.received_at == datetime(2013, 10, 16, 8, 42, 34, tzinfo=UTC)  # CEST
    (anomaly,) = are.anomalies
    assert anomaly.code == "B1-105-15"
    assert anomaly.message == "Le format du fichier depot_mtom n'est pas reconnu."
    assert anomaly.categorie is None
    assert gateway_status(are) is GatewayStatus.REFUSED_BY_DEPOSIT_POINT


def test_ban_bilan_d_anomalies():
    ban = sample("exemple_retour_11_BAN.xml")

    assert (ban.kind, ban.nature, ban.status) == (ReportKind.BAN, "11", ReturnStatus.KO)
    assert ban.idflux == "WSaah7AQlUpYL5RsQssseG."
    assert ban.version_norme == "P02V01"
    assert ban.emetteur_siret == "30043153300037"
    (anomaly,) = ban.anomalies
    assert anomaly.code == "CSL-01"
    assert anomaly.categorie == "bloquant" and anomaly.blocking
    assert anomaly.message == (
        "La rubrique S10.G00.00.002 est plus longue que la longueur maximale autorisée (20)."
    )
    assert anomaly.numero_ligne == 2
    assert (anomaly.identifiant, anomaly.libelle, anomaly.valeur) == (
        "S10.G00.00.002", "Nom de l'éditeur", "HistoM-1_MtoM-7338-AR"
    )
    (declaration,) = ban.declarations
    ident = declaration.identification
    assert (ident.rang, ident.nature, ident.type, ident.fraction, ident.ordre, ident.mois) == (
        1, "01", "03", "11", "2", "01012015"
    )
    assert (ident.siren, ident.nic_siege, ident.nic_affectation) == ("300431533", "00037", "00037")
    assert (declaration.etat, declaration.etat_conformite) == ("KO", "KO")
    assert declaration.compteurs == {"bloquant": 0, "non-bloquant": 0}
    assert declaration.salaries == 1
    assert ban.blocking_anomalies == (anomaly,)
    assert gateway_status(ban) is GatewayStatus.ANOMALIES


def test_cco_certificate_of_conformity():
    cco = sample("exemple_retour_11_CCO.xml")

    assert (cco.kind, cco.status) == (ReportKind.CCO, ReturnStatus.OK)
    assert cco.idflux == "UR5WJEBAhi54RcZN8Lur71F"
    assert cco.essai_reel == "01"
    assert cco.received_at is None  # the sample carries no reception time
    (declaration,) = cco.declarations
    assert declaration.identification.fraction == "32"
    assert declaration.identification.siren == "732829320"
    assert declaration.identification.mois is None
    assert declaration.etat_conformite == "OK"
    assert gateway_status(cco) is GatewayStatus.CONFORM


def test_bis_employee_identification():
    bis = sample("exemple_retour_20_BIS_mensuelle.xml")  # starts with a BOM, no declaration

    assert (bis.kind, bis.nature, bis.report_type) == (ReportKind.BIS, "20", "20")
    assert bis.message is not None and bis.message.startswith(
        "Pour les salariés non identifiés, risque d'échec"
    )
    (declaration,) = bis.declarations
    assert declaration.identification.rang == 123450
    assert declaration.identification.identifiant_metier == "Identmétier"
    assert declaration.salaries == 6
    assert [a.code for a in declaration.anomalies] == ["I0310"] * 4 + ["I0320"]
    assert declaration.anomalies[0].message == "SALARIE_RECONNU"
    assert declaration.anomalies[0].nombre == 4
    assert gateway_status(bis) is None  # identification reports do not move the status


def test_cid_cross_declaration_checks():
    cid = sample("exemple_retour_21_CID.xml")

    assert (cid.kind, cid.nature) == (ReportKind.CID, "21")
    assert cid.declarant is not None and cid.declarant.siret == "33300018050000"
    (declaration,) = cid.declarations
    assert declaration.identification.mois == "01072014"
    assert declaration.identification.siren == "222000242"
    assert [a.code for a in declaration.anomalies] == ["C0202", "C0202", "C0201"]
    assert declaration.anomalies[2].message == "CONTRAT - Contrat présent sans embauche"


def test_urssaf_aggregated_crm():
    crm = sample("exemple_retour_61_CRM_URSSAF.xml")

    assert (crm.kind, crm.report_type, crm.nature) == (ReportKind.CRM, "CRACOSS", "61")
    assert crm.idflux == "F1tmbhAQlUPca5Rg.c0zd1Y"
    assert crm.status is ReturnStatus.OK
    assert crm.recorded_at == datetime(2015, 10, 16, 9, 33, 30, tzinfo=UTC)
    (declaration,) = crm.declarations
    assert declaration.identification.mois == "2015-11-01"
    assert declaration.identification.ordre == "4"
    assert declaration.compteurs == {"non-bloquant": 3}
    assert declaration.certificat_conformite is not None
    assert "numéro de certificat 38785135" in declaration.certificat_conformite
    assert [a.code for a in declaration.anomalies] == ["BA-209-09", "BA-210-01", "BA-210-01"]
    assert declaration.anomalies[0].message == (
        "La déclaration que vous avez transmise a un montant global de 3001 euros alors que "
        "nous avons calculé 2899 euros."
    )
    assert crm.crm_code == 1  # accepted, with non-blocking anomalies
    assert gateway_status(crm) is GatewayStatus.CRM_ANOMALIES


def test_dgfip_nominative_crm_is_recognised_as_its_own_format():
    crm = sample("Exemple-94-DGFIP-crm-nominatif.xml")

    assert crm.format is ReportFormat.DGFIP_CRM_NOMINATIF
    assert (crm.kind, crm.nature, crm.report_type) == (ReportKind.CRM, "94", "CRM nominatif")
    assert crm.version == "v01r08"
    assert crm.idflux == "41358177C5AD6C0000000000"
    assert crm.status is ReturnStatus.OK
    assert crm.declarant is None
    assert crm.emetteur_siret == "12345678912345"
    assert crm.withholding_rates == (
        WithholdingRate(nir="9999999999999", matricule="MAT00009825", taux="14.00"),
    )
    (declaration,) = crm.declarations
    assert declaration.identification.identifiant_metier == "DECEMBRE-2018"
    assert (declaration.identification.rang, declaration.identification.nic_affectation) == (
        7, "54321"
    )
    (anomaly,) = declaration.anomalies
    assert (anomaly.code, anomaly.categorie) == ("ADR05", "non-bloquant")
    assert (anomaly.identifiant, anomaly.libelle, anomaly.valeur) == (
        "S21.G00.30.010", None, "Bordeau"
    )
    assert crm.crm_code == 1
    assert gateway_status(crm) is GatewayStatus.CRM_ANOMALIES


def _rapport(envoi_etat: str, etat: str = "OK", anomalies: str = "") -> bytes:
    return (
        '<gipmds:rapport xmlns:gipmds="http://www.gip-mds.fr/" type="CRM" profil="DSN">'
        "<envoi><envoi_identification><idflux>F1</idflux>"
        "<emetteur_siret>12345678900011</emetteur_siret></envoi_identification>"
        f"<envoi_bilan><envoi_etat>{envoi_etat}</envoi_etat></envoi_bilan></envoi>"
        "<declaration><declaration_identification><rang>1</rang><SIREN>123456789</SIREN>"
        "<nic_affectation>00011</nic_affectation></declaration_identification>"
        f"<declaration_bilan><etat>{etat}</etat></declaration_bilan>{anomalies}</declaration>"
        "</gipmds:rapport>"
    ).encode()


@pytest.mark.parametrize(
    ("envoi_etat", "etat", "code", "status"),
    [
        ("OK", "OK", 0, GatewayStatus.CRM_OK),
        ("ANO", "ANO", 1, GatewayStatus.CRM_ANOMALIES),
        ("KO", "KO", 3, GatewayStatus.CRM_KO),
    ],
)
def test_crm_overall_code_follows_the_body(envoi_etat, etat, code, status):
    crm = parse_return(_rapport(envoi_etat, etat), nature="61")
    assert crm.schema_valid is True
    assert crm.crm_code == code
    assert gateway_status(crm) is status


def test_listing_nature_sharpens_an_unknown_type():
    parsed = parse_return(_rapport("OK").replace(b'type="CRM"', b'type="XYZ"'), nature="71")
    assert (parsed.kind, parsed.nature) == (ReportKind.CRM, "71")


def test_invalid_report_is_flagged_and_strict_mode_raises():
    broken = _rapport("MAYBE")
    parsed = parse_return(broken)
    assert parsed.schema_valid is False
    assert any("envoi_etat" in error for error in parsed.schema_errors)
    assert parsed.status is None
    with pytest.raises(UnreadableReturn):
        parse_return(broken, strict=True)


@pytest.mark.parametrize("content", [b"", b"not xml", b"<retours></retours>"])
def test_non_reports_are_unreadable(content):
    with pytest.raises(UnreadableReturn):
        parse_return(content)


def test_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    hostile = (
        f'<!DOCTYPE r [<!ENTITY leak SYSTEM "file://{secret}">]>'
        '<gipmds:rapport xmlns:gipmds="http://www.gip-mds.fr/" type="AEE" profil="DSN">'
        "<envoi><envoi_identification><idflux>&leak;</idflux>"
        "<emetteur_siret>1</emetteur_siret></envoi_identification>"
        "<envoi_bilan><envoi_etat>OK</envoi_etat></envoi_bilan></envoi></gipmds:rapport>"
    ).encode()

    parsed = parse_return(hostile, validate=False)

    assert parsed.idflux is None or "TOP-SECRET" not in parsed.idflux


def test_labels_from_the_official_transcodification(transco):
    ban = sample("exemple_retour_11_BAN.xml")

    labels = describe(ban, transco)

    assert labels["point_de_depot"] == "Net-entreprises"
    assert labels["essai_reel"] == "envoi fichier réel"
    assert labels["declaration.1.nature"] == "DSN mensuelle"
    assert labels["declaration.1.type"] == "déclaration annule et remplace intégral"
    assert labels["nature"].startswith("certificat de conformité (CCO)")


@pytest.mark.parametrize(
    "shape",
    [
        {"nature_declaration": {"01": "DSN mensuelle"}},
        {"tables": {"nature_declaration": [{"code": "01", "label": "DSN mensuelle"}]}},
        {"nature_declaration": {"entries": [{"code": "01", "libelle": "DSN mensuelle"}]}},
    ],
)
def test_transcodification_json_shapes(tmp_path, shape):
    path = tmp_path / "transcodification.json"
    path.write_text(json.dumps(shape), encoding="utf-8")

    table = load_transcodification(path)

    assert table.label("nature_declaration", "01") == "DSN mensuelle"
    assert table.label("nature_declaration", "99") is None


def test_shipped_transcodification_labels_a_return_at_run_time():
    crm = sample("exemple_retour_61_CRM_URSSAF.xml")

    labels = describe(crm)  # reads schemas/netentreprises/transcodification.json

    assert labels["nature"] == "URSSAF - compte rendu métier agrégé"
    assert labels["status"] == "Traité sans anomalie"
    assert labels["crm_code"] == "Acceptée avec anomalies non bloquantes"
    assert labels["point_de_depot"] == "Net-entreprises"
    assert labels["declaration.1.type"] == "déclaration annule et remplace intégral"
