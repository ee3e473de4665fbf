"""The redaction processor: what it scrubs (secrets, NIRs, DSN values) and what it keeps."""

from __future__ import annotations

import pytest

from dsnlink.logs.redaction import REDACTED, redact_event, scrub_text

KEY = "dsnl_ab12cd34_" + "Q" * 43


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("line 12: S21.G00.30.001,'1880905008927'", "1880905008927"),
        ("S21.G00.30.002,'Laurent' then S21.G00.30.004,'Aurélien'", "Aurélien"),
        ("nir 1880905008927 found", "1880905008927"),
        ("nir with key 188090500892712 found", "188090500892712"),
        ("Corsica 288092A001234 here", "288092A001234"),
        (f"Authorization: Bearer {KEY}", "Q" * 43),
        (f"key={KEY} rejected", "Q" * 43),
        ("Authorization: DSNLogin concentrateur=tok3n,declarant=nom=PAIE", "tok3n"),
        ("<identifiants><motdepasse>Refonte01</motdepasse></identifiants>", "Refonte01"),
        ("{'password': 's3cret-pw', 'nom': 'PAIE'}", "s3cret-pw"),
        ("motdepasse=azerty&x=1", "azerty"),
        ("postgresql+psycopg://dsn:hunter2@db/dsnlink", "hunter2"),
        ('{"jeton": "abc-def-ghi"}', "abc-def-ghi"),
    ],
)
def test_scrub_text_removes_the_secret(text: str, secret: str) -> None:
    scrubbed = scrub_text(text)
    assert secret not in scrubbed
    assert REDACTED in scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "SIRET 73282932000074 of the establishment",  # 14 digits: not a NIR
        "SIREN 732829320",
        "declaration 0b6f8a3e-8a70-4d4d-9a8b-0f6f1c3b2a10 ordered",
        'DSNLogin realm="Jeton manquant ou invalide"',
    ],
)
def test_scrub_text_keeps_what_is_useful(text: str) -> None:
    assert scrub_text(text) == text


def test_the_api_key_prefix_survives_to_identify_the_key() -> None:
    assert scrub_text(f"key {KEY}") == f"key dsnl_ab12cd34_{REDACTED}"


def test_processor_scrubs_fields_by_name_and_nested_values() -> None:
    event = {
        "event": "deposit failed for S21.G00.30.001,'1880905008927'",
        "password": "Refonte01",
        "concentrator_password": "azerty",
        "headers": {"Authorization": f"Bearer {KEY}", "accept": "application/xml"},
        "lines": ["S21.G00.30.008,'38 RUE DE LA RÉPUBLIQUE'"],
        "nir_value": 1880905008927,
        "count": 1880905008927,
        "siret": "73282932000074",
        "_record": object(),
    }
    out = redact_event(None, "info", dict(event))
    rendered = repr({k: v for k, v in out.items() if k != "_record"})
    for secret in ("Refonte01", "azerty", "Q" * 43, "1880905008927", "RÉPUBLIQUE"):
        assert secret not in rendered
    assert out["headers"]["accept"] == "application/xml"
    assert out["siret"] == "73282932000074"
    assert out["_record"] is event["_record"]
