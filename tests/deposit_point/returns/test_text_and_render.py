"""Plain-text returns, the JSON-ready dict, the French description and the anomalies CSV."""

from __future__ import annotations

import csv
import io
import json
import time

from dsnlink.deposit_point.returns import (
    ReturnFormat,
    ReturnKind,
    ReturnStatus,
    anomalies_csv,
    describe,
    read_return,
    to_dict,
)
from dsnlink.deposit_point.returns.render import CSV_COLUMNS

from .samples import sample


def test_plain_text_return_keeps_its_text_and_what_it_plainly_states() -> None:
    body = "Retour du point de dépôt\nidflux : F1abc.DEF_9\nStatut : KO\nFichier rejeté.\n"

    document = read_return(body.encode("utf-8"), nature="10", name="retour.txt")

    assert document.readable
    assert (document.format, document.kind, document.nature) == (
        ReturnFormat.TEXT,
        ReturnKind.AEE,
        "10",
    )
    assert (document.status, document.idflux) == (ReturnStatus.KO, "F1abc.DEF_9")
    assert document.text == body.strip()
    assert document.organism == "point de dépôt"


def test_plain_text_without_statements_says_nothing_it_does_not_know() -> None:
    document = read_return("Traitement en cours, état à venir.".encode("iso-8859-1"))

    assert document.readable and document.format is ReturnFormat.TEXT
    assert (document.status, document.idflux, document.nature) == (None, None, None)
    assert document.kind is ReturnKind.UNKNOWN
    assert document.text == "Traitement en cours, état à venir."  # ISO-8859-1 decoded


def test_to_dict_is_json_ready_and_complete() -> None:
    ban = sample("exemple_retour_11_BAN.xml")

    data = json.loads(json.dumps(to_dict(ban)))

    assert (data["file"], data["format"], data["kind"], data["nature"], data["status"]) == (
        "exemple_retour_11_BAN.xml",
        "bilan",
        "BAN",
        "11",
        "KO",
    )
    assert data["outcome"] == "rejected_by_deposit_point"
    assert data["idflux"] == "WSaah7AQlUpYL5RsQssseG."
    assert data["received_at"] == "2015-02-10T10:02:59+00:00"
    assert data["flow"]["siren"] == "300431533"
    assert data["anomalies"][0]["code"] == "CSL-01"
    assert data["declarations"][0]["identification"]["type"] == "03"


def test_description_is_french_and_names_the_declaration() -> None:
    text = describe(sample("exemple_retour_11_BAN.xml"))

    assert "bilan d'anomalies (BAN)" in text
    assert "statut : KO, anomalies bloquantes" in text
    assert "rejetée par le point de dépôt : à renvoyer comme nouvelle déclaration normale" in text
    assert "SIRET 30043153300037, mois 2015-01, nature 01 (DSN mensuelle)" in text
    assert "reçue le : 10/02/2015 11:02:59 (heure de Paris)" in text
    assert "envoi 02 (envoi fichier réel), point de dépôt 01 (Net-entreprises)" in text
    assert "schéma dsn_bilans_v02r03.xsd : valide" in text
    assert "- CSL-01 [S10.G00.00.002] : La rubrique S10.G00.00.002" in text


def test_description_of_an_unreadable_document_and_of_many_anomalies() -> None:
    assert describe(read_return(b"", name="vide.xml")) == "vide.xml : illisible — document vide"
    many = describe(sample("exemple_retour_136_CRM_MSA_ANO.xml"))
    assert "anomalies : 50" in many
    assert "… et 30 autres (voir --json)" in many
    assert "code CRM" not in many  # NEOReS carries no 0–3 code
    oc = describe(sample("CRM-DSN-CRT-V8.31.xml"))
    assert "code CRM : 2 — déclaration partiellement prise en compte" in oc


def test_anomalies_csv_has_french_columns_and_one_row_per_anomaly() -> None:
    crm = sample("exemple_retour_135_CRM_FCTU_FRANCE_TRAVAIL_ANO.xml")

    rows = list(csv.reader(io.StringIO(anomalies_csv(crm)), delimiter=";"))

    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0][:4] == ["code", "catégorie", "bloquante", "message"]
    (row,) = rows[1:]
    record = dict(zip(CSV_COLUMNS, row, strict=True))
    assert record["code"] == "FT0013"
    assert record["rubrique"] == "S21.G00.63.002"
    assert (record["valeur"], record["valeur attendue"]) == ("2026-02-27", "2026-03-01")
    assert (record["NIR"], record["nom"]) == ("1961068224024", "MARTIN")
    assert record["bloquante"] == ""


def test_csv_blocking_column_and_formula_cells_are_neutralised() -> None:
    ban = sample("exemple_retour_11_BAN.xml")
    hostile = ban.anomalies[0].__class__(code="=HYPERLINK(1)", message="-2+3", value="-12.5")
    document = ban.__class__(readable=True, envoi_anomalies=(ban.anomalies[0], hostile))

    rows = list(csv.reader(io.StringIO(anomalies_csv(document)), delimiter=";"))

    assert rows[1][2] == "oui" and rows[1][8] == "2"
    assert rows[2][0] == "'=HYPERLINK(1)"
    assert rows[2][3] == "'-2+3"
    assert rows[2][6] == "-12.5"  # a negative amount stays a number


def test_csv_of_a_document_without_anomalies_is_the_header_only() -> None:
    assert anomalies_csv(sample("exemple_retour_10_AEE.xml")).splitlines() == [
        ";".join(CSV_COLUMNS)
    ]


def test_a_large_blank_text_is_answered_quickly() -> None:
    started = time.monotonic()

    document = read_return(b"x" + b"\n" * (40 << 20))

    assert time.monotonic() - started < 30  # seconds, not the minutes of a runaway regex
    assert document.readable and document.status is None
