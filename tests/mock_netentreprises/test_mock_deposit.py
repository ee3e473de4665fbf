"""POST /deposer-dsn/1.0/: the spec's order of checks, AEE / ARE bodies, idflux, /_mock/deposits."""

from __future__ import annotations

import gzip
import hashlib
from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest
from lxml import etree
from mock_helpers import START, Session, build_dsn

from mock_netentreprises.reports import validation_errors

DEPOSIT = "/deposer-dsn/1.0/"


def _text(document: etree._Element, path: str) -> str | None:
    found = document.find(path)
    return None if found is None else (found.text or "")


async def test_accepted_deposit_is_200_with_a_valid_aee(concentrator: Session) -> None:
    response = await concentrator.deposit(build_dsn(essai="02"))
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"].startswith("application/xml")
    assert parsedate_to_datetime(response.headers["expires"]) == START + timedelta(minutes=2)
    assert validation_errors(response.content) == []
    document = etree.fromstring(response.content)
    assert document.get("type") == "AEE"
    ident = "envoi/envoi_identification/"
    assert _text(document, ident + "declarant/siret") == "99900000300015"
    assert _text(document, ident + "essai_reel") == "02"
    assert _text(document, ident + "date_reception") == "2026-03-10"
    assert _text(document, ident + "heure_reception") == "10:00:00"  # Paris time
    assert _text(document, "envoi/envoi_bilan/envoi_etat") == "OK"
    assert len(_text(document, ident + "idflux") or "") == 23


async def test_declarant_mode_deposit_is_accepted(declarant: Session) -> None:
    response = await declarant.deposit(build_dsn())
    assert response.status_code == 200


async def test_every_deposit_gets_a_new_idflux(concentrator: Session) -> None:
    raw = build_dsn()
    ids = set()
    for _ in range(20):
        response = await concentrator.deposit(raw)
        document = etree.fromstring(response.content)
        ids.add(_text(document, "envoi/envoi_identification/idflux"))
    assert len(ids) == 20


@pytest.mark.parametrize(
    "headers",
    [{}, {"Content-Encoding": "identity"}, {"Content-Encoding": "deflate"}],
    ids=["none", "identity", "deflate"],
)
async def test_body_not_declared_gzip_is_415(concentrator: Session, headers: dict) -> None:
    response = await concentrator.http.post(
        DEPOSIT, content=gzip.compress(build_dsn()), headers=concentrator.headers(**headers)
    )
    assert response.status_code == 415


async def test_body_declared_gzip_but_not_gzip_is_415(concentrator: Session) -> None:
    response = await concentrator.http.post(
        DEPOSIT, content=build_dsn(), headers=concentrator.headers(**{"Content-Encoding": "gzip"})
    )
    assert response.status_code == 415


async def test_415_comes_before_406(concentrator: Session) -> None:
    headers = concentrator.headers(**{"Accept-Encoding": "identity"})
    response = await concentrator.http.post(DEPOSIT, content=build_dsn(), headers=headers)
    assert response.status_code == 415


async def test_accept_encoding_without_gzip_is_406_before_empty_body(
    concentrator: Session,
) -> None:
    headers = concentrator.headers(**{"Content-Encoding": "gzip", "Accept-Encoding": "deflate"})
    response = await concentrator.http.post(DEPOSIT, content=b"", headers=headers)
    assert response.status_code == 406


@pytest.mark.parametrize("content", [b"", gzip.compress(b"")], ids=["empty", "gzip-of-empty"])
async def test_empty_body_is_422_before_the_token_check(
    client: httpx.AsyncClient, content: bytes
) -> None:
    response = await client.post(
        DEPOSIT,
        content=content,
        headers={"Content-Encoding": "gzip", "Authorization": "DSNLogin jeton=bad"},
    )
    assert response.status_code == 422
    assert response.content == b""


async def test_bad_token_is_checked_before_the_file(client: httpx.AsyncClient) -> None:
    response = await client.post(
        DEPOSIT,
        content=gzip.compress(b"not a dsn"),
        headers={"Content-Encoding": "gzip", "Authorization": "DSNLogin jeton=bad"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"hello world\n", "B1-105-15"),
        (b"\xef\xbb\xbf" + build_dsn(), "B1-105-15"),
        (build_dsn(declarations=2), "B1-105-17"),
        (build_dsn().replace(b"'Jean'", b"'J\x92ean'"), "B1-105-16"),
        (build_dsn().replace(b"'Jean'", b"'J\x00ean'"), "B1-105-16"),
        (
            b"\n".join(line for line in build_dsn().split(b"\n") if b"S20.G00.05.001" not in line),
            "B1-105-17",
        ),
    ],
    ids=["not-s10", "utf8-bom", "two-s20", "cp1252-byte", "nul-byte", "no-s20"],
)
async def test_unacceptable_file_is_422_with_a_valid_are(
    concentrator: Session, raw: bytes, code: str
) -> None:
    response = await concentrator.deposit(raw)
    assert response.status_code == 422
    assert response.headers["content-encoding"] == "gzip"
    assert validation_errors(response.content) == []
    document = etree.fromstring(response.content)
    assert document.get("type") == "ARE"
    assert _text(document, "envoi/envoi_bilan/envoi_etat") == "KO"
    assert _text(document, "envoi/envoi_anomalie/description/code") == code
    assert len(_text(document, "envoi/envoi_identification/idflux") or "") == 23


async def test_oversized_file_is_refused(concentrator: Session) -> None:
    await concentrator.http.post("/_mock/config", json={"max_deposit_bytes": 100})
    response = await concentrator.deposit(build_dsn())
    assert response.status_code == 422
    assert b"B1-105-12" in response.content


async def test_forced_are(concentrator: Session) -> None:
    await concentrator.http.post("/_mock/config", json={"force": "ARE"})
    response = await concentrator.deposit(build_dsn())
    assert response.status_code == 422
    assert etree.fromstring(response.content).get("type") == "ARE"


async def test_mock_deposits_lists_every_deposit_with_its_hash(concentrator: Session) -> None:
    good, bad = build_dsn(), b"garbage"
    await concentrator.deposit(good)
    await concentrator.deposit(good)
    await concentrator.deposit(bad)
    deposits = (await concentrator.http.get("/_mock/deposits")).json()
    assert len(deposits) == 3
    assert [d["statut"] for d in deposits] == ["OK", "OK", "KO"]
    assert deposits[0]["sha256"] == hashlib.sha256(good).hexdigest()
    assert deposits[2]["sha256"] == hashlib.sha256(bad).hexdigest()
    assert {d["declarant_siret"] for d in deposits} == {"99900000300015"}
    assert deposits[0]["concentrator_siret"] == "18751249600022"
    assert deposits[0]["received_at"] == START.isoformat()


async def test_reset_forgets_deposits_and_tokens(concentrator: Session) -> None:
    await concentrator.deposit(build_dsn())
    assert (await concentrator.http.post("/_mock/reset")).status_code == 200
    assert (await concentrator.http.get("/_mock/deposits")).json() == []
    assert (await concentrator.deposit(build_dsn())).status_code == 401
