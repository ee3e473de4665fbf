"""Every official sample is read, checked against its own XSD and classified as its name says."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from dsnlink.deposit_point.returns import (
    ReturnDocument,
    ReturnFormat,
    ReturnKind,
    ReturnStatus,
    read_return,
)
from dsnlink.deposit_point.returns.labels import NATURES

from .samples import FIXTURES

SAMPLES = sorted(path.name for path in FIXTURES.glob("*.xml"))
NOT_A_RETURN = "transcodification_XSL.xml"  # the code → label tables, shipped beside the samples
RETURNS = [name for name in SAMPLES if name != NOT_A_RETURN]

# Samples whose own content names another nature than their file name (kept as document_nature).
DOCUMENT_NATURE = {
    "exemple_retour_116_CRM_CIBTP.xml": "21",  # <gipmds:rapport type="21">
    "exemple_retour_118_CRM_Effectifs_ACOSS.xml": "22",  # RO_B002_R002 = 22
    "exemple_retour_118_CRM_Effectifs_MSA.xml": "22",
}
# Official samples that break their own XSD, and the first reason libxml2 gives.
INVALID_AGAINST_OWN_XSD = {
    **{
        f"CRM-DSN-OC-P3-V1.1.{minor}-Exemple-{rest}.xml": "attribute 'VersionNorme'"
        for minor in (3, 4)
        for rest in (
            "AR",
            "CRC",
            "CRC-17062025",
            "CRC-MNETE",
            "CRC-MNETE-17062025",
            "CRC-MPROP",
            "CRC-MPROP-17062025",
        )
    },
    "exemple_retour_119_CRM_ACOSS_0_atypie.xml": "RO_R001",  # '2022V1.3', 8 characters
    "exemple_retour_119_CRM_ACOSS_3_atypies.xml": "RO_R001",
    "exemple_retour_119_CRM_ACOSS_6_atypies_multi-occurences.xml": "RO_R001",
    "exemple_retour_121_CRM_ID_KO.xml": "RO_R001",  # and RO_B003_R002 'KO' outside {OK, ANO}
    "exemple_retour_124_CRM_ACOSS_ANO_P26V01.xml": "RO_B006_R001",  # test NIRs fail the pattern
    "exemple_retour_132_CRM_URSSAF_ANO.xml": "RO_B006_R001",
}
# OC CRMs of versions 1.1.1 and 1.1.2: no XSD shipped for them.
NO_XSD = {
    "CRM-DSN-OC-P3-V1.1.1-Exemple-AR.xml",
    "CRM-DSN-OC-P3-V1.1.1-Exemple-CRC.xml",
    "CRM-DSN-OC-P3-V1.1.2-Exemple-AR.xml",
    "CRM-DSN-OC-P3-V1.1.2-Exemple-CRC.xml",
}
_STATUS_BY_KIND = {"AEE": "OK", "ARE": "KO", "CCO": "OK", "BAN": "KO"}


def hints(name: str) -> tuple[ReturnFormat, str, str | None]:
    """Family, nature and status the file name announces."""
    if name.startswith("CRM-DSN-"):
        nature = "50" if name.endswith("-AR.xml") or "-AR-" in name else "51"
        return ReturnFormat.CRM_OC, nature, None
    if name.startswith("Exemple-"):
        return ReturnFormat.BILAN, name.split("-")[1], None
    match = re.match(r"exemple_retour_(\d+)_(\w+?)(?:_|\.xml)", name)
    assert match, name
    nature, first_word = match.groups()
    status = _STATUS_BY_KIND.get(first_word)
    for token in ("OK", "ANO", "KO"):
        if re.search(rf"_{token}(_|\.xml)", name):
            status = token
    family = NATURES[nature].format
    return family, nature, status


def test_the_fixture_directory_holds_all_75_official_files() -> None:
    assert len(SAMPLES) == 75
    assert NOT_A_RETURN in SAMPLES


@pytest.mark.parametrize("name", RETURNS)
def test_sample_is_read_and_classified_as_its_name_says(name: str) -> None:
    family, nature, status = hints(name)
    data = (FIXTURES / name).read_bytes()

    document = read_return(data, name=name)

    assert document.readable, document.error
    assert document.error is None
    assert document.format is family
    assert document.kind is not ReturnKind.UNKNOWN
    assert document.nature == DOCUMENT_NATURE.get(name, nature)
    assert document.nature_label and "inconnue" not in document.nature_label
    if status is not None:
        assert document.status is ReturnStatus(status)
    assert document.status is not None
    assert document.organism
    if name in NO_XSD:  # these four carry IdEnvoi=" ": no flow id to report
        assert document.idflux is None
    else:
        assert document.idflux


@pytest.mark.parametrize("name", RETURNS)
def test_the_listing_nature_wins_and_the_documents_own_is_kept(name: str) -> None:
    _, nature, _ = hints(name)

    document = read_return((FIXTURES / name).read_bytes(), nature=nature, name=name)

    assert document.nature == nature
    assert document.document_nature == DOCUMENT_NATURE.get(name)


@pytest.mark.parametrize("name", RETURNS)
def test_sample_is_checked_against_its_own_xsd(name: str) -> None:
    document = read_return((FIXTURES / name).read_bytes(), name=name)

    if name in NO_XSD:
        assert (document.schema, document.schema_valid) == (None, None)
    elif name in INVALID_AGAINST_OWN_XSD:
        assert document.schema_valid is False
        assert INVALID_AGAINST_OWN_XSD[name] in document.schema_errors[0]
    else:
        assert document.schema_valid is True, document.schema_errors
        assert document.schema_errors == ()


def test_the_tally_of_the_samples() -> None:
    documents: list[ReturnDocument] = [
        read_return((FIXTURES / name).read_bytes(), name=name) for name in RETURNS
    ]
    tally = Counter((d.format, d.schema_valid) for d in documents)

    assert len(documents) == 74 and all(d.readable for d in documents)
    assert tally == {
        (ReturnFormat.BILAN, True): 31,
        (ReturnFormat.NEORES, True): 17,
        (ReturnFormat.NEORES, False): 6,
        (ReturnFormat.CRM_OC, True): 2,
        (ReturnFormat.CRM_OC, False): 14,
        (ReturnFormat.CRM_OC, None): 4,
    }


def test_the_transcodification_table_is_not_a_return() -> None:
    document = read_return((FIXTURES / NOT_A_RETURN).read_bytes(), name=NOT_A_RETURN)

    assert not document.readable
    assert document.error is not None and "élément racine inconnu" in document.error


def test_hints_read_file_names_as_intended() -> None:
    assert hints("exemple_retour_121_CRM_ID_KO.xml") == (ReturnFormat.NEORES, "121", "KO")
    assert hints("exemple_retour_11_BAN.xml") == (ReturnFormat.BILAN, "11", "KO")
    assert hints("Exemple-94-DGFIP-crm-nominatif.xml") == (ReturnFormat.BILAN, "94", None)
    assert hints("CRM-DSN-OC-P3-V1.1.4-Exemple-AR.xml") == (ReturnFormat.CRM_OC, "50", None)
    assert hints("CRM-DSN-CRT-V8.31.xml") == (ReturnFormat.CRM_OC, "51", None)
    assert Path(FIXTURES / "CRM-DSN-AR-V8.31.xml").exists()
    assert hints("CRM-DSN-AR-V8.31.xml")[1] == "50"
