"""Returns read as pages (official samples): anomalies grouped by employee with the NIR masked,
the next step in French; the dashboard's French for refusals and timeline details."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from api.dashboard.returns import by_employee, next_step
from api.dashboard.templating import (
    event_details,
    french_message,
    masked_nir,
    month_short,
    rubric_label,
    urgency,
)
from api.dashboard.wording import french_error
from dsnlink.declarations.errors import AlreadyOrdered, UnsupportedUpload
from dsnlink.deposit_point.returns import ReturnKind, read_return
from dsnlink.errors import NotFoundError

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "returns"


def _read(name: str, nature: str | None = None):  # type: ignore[no-untyped-def]
    return read_return((SAMPLES / name).read_bytes(), nature=nature, name=name)


def test_a_crm_groups_its_anomalies_by_employee_with_the_nir_masked() -> None:
    document = _read("CRM-DSN-OC-P3-V1.1.3-Exemple-CRC.xml")
    groups = by_employee(document.anomalies)
    assert sum(len(g.anomalies) for g in groups) == len(document.anomalies)
    named = [g for g in groups if g.nir]
    assert named, "the sample names employees"
    for group in named:
        assert group.nir is not None
        shown = masked_nir(group.nir)
        assert shown.endswith(group.nir.replace(" ", "")[-4:])
        assert group.nir.replace(" ", "")[:9] not in shown
    tone, step = next_step(document)
    assert tone == "erreur" and "contactez l'organisme" in step


def test_next_step_says_what_to_do_for_each_kind() -> None:
    ban = _read("exemple_retour_11_BAN.xml", nature="11")
    assert ban.kind is ReturnKind.BAN
    tone, step = next_step(ban)
    assert tone == "erreur" and "comme une déclaration normale" in step
    are = _read("exemple_retour_10_ARE.xml", nature="10")
    assert are.kind is ReturnKind.ARE
    assert "rien n'est déposé" in next_step(are)[1]
    ok = _read("Exemple-94-DGFIP-crm-nominatif.xml")
    assert next_step(ok)[0] == "info"


def test_refusals_read_in_french() -> None:
    at = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    twice = french_error(AlreadyOrdered("already ordered", ordered_at=at.isoformat()))
    assert twice == (
        "La transmission de cette déclaration a déjà été ordonnée le 02/11/2026 10:30 "
        "(heure de Paris) : elle ne sera pas envoyée deux fois."
    )
    assert "DSN lisible" in french_error(UnsupportedUpload("not a DSN file"))
    assert french_error(NotFoundError("no declaration x")).startswith("Introuvable")


def test_timeline_details_show_labels_and_paris_time() -> None:
    facts = event_details(
        {"nature": "11", "return_id": "R1", "error": "transmission not done after 72 h"}
    )
    assert "nature du retour : Certificat de conformité (CCO) ou bilan d'anomalies (BAN) (11)" in (
        facts
    )
    assert "message : Transmission non aboutie dans le délai" in facts
    assert month_short("2026-12") == "déc. 26" and month_short("2026-02") == "févr. 26"


def test_countdowns_are_coloured_by_urgency() -> None:
    now = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    classes = [urgency(now + timedelta(hours=h), now) for h in (-1, 5, 30, 100, 400)]
    assert classes == ["depasse", "critique", "urgent", "proche", "restant"]


def test_norm_anomalies_carry_the_rubric_label() -> None:
    assert rubric_label("S21.G00.30.001", "P26V01") == "Numéro d'inscription au répertoire"
    assert rubric_label("S99.G00.99.999", "P26V01") is None
    assert rubric_label("S21.G00.30.001", "P99V99") is None


def test_the_workers_english_reads_in_french() -> None:
    assert french_message("deposit refused by the deposit point (ARE): 12: Fichier illisible") == (
        "Fichier refusé par le point de dépôt (ARE) : 12: Fichier illisible"
    )
    unsure = french_message(
        "gave up after 72 h: whether the last deposit (sent at 2026-11-02T09:30:00+00:00) was "
        "received could not be confirmed; check net-entreprises.fr before sending it again"
    )
    assert unsure.startswith("Abandon après 72 h : on ne sait pas si le dernier dépôt")
    assert "(envoyé le 02/11/2026 10:30, heure de Paris)" in unsure and "))" not in unsure
    assert french_message("Un message déjà en français") == "Un message déjà en français"


def test_a_latin1_return_decoded_once_is_not_decoded_twice() -> None:
    from api.dashboard.returns import xml_bytes

    text = '<?xml version="1.0" encoding="ISO-8859-1"?><Fichier><Msg>Siège</Msg></Fichier>'
    assert xml_bytes(text).startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert "Siège".encode() in xml_bytes(text)
    # An official ISO-8859-1 CRM, as the store hands it back (decoded), still reads whole.
    raw = (SAMPLES / "CRM-DSN-OC-P3-V1.1.3-Exemple-CRC.xml").read_bytes()
    again = read_return(xml_bytes(raw.decode("utf-8", errors="replace")), name="crc")
    assert again.readable and len(again.anomalies) == len(read_return(raw).anomalies)
