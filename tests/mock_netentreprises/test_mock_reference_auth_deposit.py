"""The reference mock's AuthentifierNetETest and DeposerDsnNetETest(2) expectations, replayed.

Test ids carry the reference's JUnit method names; docs/mock.md tabulates them.
"""

from __future__ import annotations

import base64
import gzip

import httpx
import pytest
from lxml import etree
from mock_helpers import CONCENTRATOR, DECLARANT, build_dsn, declarant_part, login
from reference_client import (
    NOT_A_TOKEN,
    NOT_BASE64,
    UNREGISTERED_DECLARANT,
    assert_empty,
    jaxb_identifiants,
    send,
)

AUTH = "/authentifier/1.0/"


async def _auth(
    client: httpx.AsyncClient, body: bytes, content_type: str = "application/xml"
) -> httpx.Response:
    return await send(client, "POST", AUTH, content=body, headers={"Content-Type": content_type})


@pytest.mark.parametrize(
    ("who", "service"),
    [(CONCENTRATOR, "98"), (DECLARANT, "97"), (DECLARANT, "94")],
    ids=[
        "authentifier200ConcentrateurTest",
        "authentifier200DeclarantRGTest",
        "authentifier200DeclarantRATest",
    ],
)
async def test_jaxb_login_is_200_with_a_plain_octet_stream_token(
    client: httpx.AsyncClient, who: tuple[str, str, str, str], service: str
) -> None:
    response = await _auth(client, jaxb_identifiants(*who, service))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert "content-encoding" not in response.headers
    token = response.content.decode("ascii")
    assert base64.b64decode(token, validate=True)
    mode = "concentrateur" if service == "98" else "jeton"
    usable = await client.get(
        "/lister-retours-flux/1.0/unknown", headers={"Authorization": f"DSNLogin {mode}={token}"}
    )
    assert usable.status_code == 404  # the token passed; the flow is what is unknown


async def test_login_stays_plain_when_the_client_accepts_gzip(client: httpx.AsyncClient) -> None:
    response = await send(
        client, "POST", AUTH, content=jaxb_identifiants(*DECLARANT, "97"), accept_encoding="gzip"
    )
    assert response.status_code == 200
    assert "content-encoding" not in response.headers


@pytest.mark.parametrize(
    "identity",
    [
        ("99900000300015", "concentrateur", "concentrateur", "qwerty42", "98"),
        ("99900000300325", "concentrateur", "concentrateur", "Refonte01", "98"),
        ("99900000300325", "declarant", "declarant", "Refonte01", "94"),
        ("99900000300325", "declarant", "declarant", "Refonte01", "97"),
    ],
    ids=[
        "authentifier401ConcentrateurErreurAuthentificationTest",
        "authentifier401ConcentrateurNonInscritTest",
        "authentifier401DeclarantErreurAuthentificationTest",
        "authentifier401DeclarantNonInscritTest",
    ],
)
async def test_unknown_account_or_wrong_password_is_401_basic_realm(
    client: httpx.AsyncClient, identity: tuple[str, str, str, str, str]
) -> None:
    response = await _auth(client, jaxb_identifiants(*identity))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="net-entreprises.fr"'
    assert_empty(response)


@pytest.mark.parametrize(
    "identity",
    [
        (None, "declarant", "declarant", "Refonte01", "97"),
        ("99900000", "concentrateur", "concentrateur", "Refonte01", "98"),
        ("999000003000154563258951", "declarant", "declarant", "Refonte01", "94"),
        ("99900000300015", None, "concentrateur", "Refonte01", "98"),
        ("99900000300015", "declarant123456789abcdefghijkl" + "k" * 35, "declarant", "R", "94"),
        ("12345678901234", "CTR2000", None, "azerty42", "98"),
        ("99900000300015", "declarant", "declarant123456789" + "l" * 22, "Refonte01", "97"),
        ("12345678901234", "CTR2000", "concentrateur", None, "98"),
        ("99900000300015", "declarant", "declarant", "Refonte01457896" + "g" * 26, "97"),
        ("12345678901234", "CTR2000", "concentrateur", "azerty42", None),
        ("99900000300015", "concentrateur", "concentrateur", "Refonte01", "007"),
    ],
    ids=[
        "authentifier422SiretNullTest",
        "authentifier422SiretTropCourtTest",
        "authentifier422SiretTropLongTest",
        "authentifier422NomNullTest",
        "authentifier422NomTropLongTest",
        "authentifier422PrenomNullTest",
        "authentifier422PrenomTropLongTest",
        "authentifier422MotdepasseNullTest",
        "authentifier422MotdepasseTropLongTest",
        "authentifier422ServiceNullTest",
        "authentifier422ServiceTropLongTest",
    ],
)
async def test_missing_or_overlong_field_is_an_empty_422(
    client: httpx.AsyncClient, identity: tuple[str | None, ...]
) -> None:
    response = await _auth(client, jaxb_identifiants(*identity))
    assert response.status_code == 422
    assert_empty(response)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "application/x-www-form-urlencoded"]
)
async def test_authentifier415ContentTypeMauvaisTest(
    client: httpx.AsyncClient, content_type: str
) -> None:
    body = jaxb_identifiants(*DECLARANT, "97")
    response = await _auth(client, body, content_type)
    assert response.status_code == 415
    assert_empty(response)


@pytest.mark.parametrize(
    "content_type", ["application/xml", "application/xml; charset=utf-8", "text/xml"]
)
async def test_xml_content_types_are_consumed(client: httpx.AsyncClient, content_type: str) -> None:
    response = await _auth(client, jaxb_identifiants(*DECLARANT, "97"), content_type)
    assert response.status_code == 200


async def test_authentifier500Test(client: httpx.AsyncClient) -> None:
    body = jaxb_identifiants("12345677894563", "kaboom", "kaboom", "kaboom", "17")
    response = await _auth(client, body)
    assert response.status_code == 500
    assert_empty(response)


# --- AuthentifierMSATest (`/authentifier/2.0`) ---------------------------------------------------

MSA_AUTH = "/authentifier/2.0"


def _msa_body(identifiant: str | None, motdepasse: str | None) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', "<identifiants>"]
    if identifiant is not None:
        lines.append(f"    <identifiant>{identifiant}</identifiant>")
    if motdepasse is not None:
        lines.append(f"    <motdepasse>{motdepasse}</motdepasse>")
    return ("\n".join([*lines, "</identifiants>"]) + "\n").encode()


async def _msa(
    client: httpx.AsyncClient,
    identifiant: str | None,
    motdepasse: str | None,
    *,
    content_type: str = "application/xml",
    accept_encoding: str | None = None,
) -> httpx.Response:
    """As RESTEasy sends it with a gzip Variant: the body gzip-encoded."""
    return await send(
        client,
        "POST",
        MSA_AUTH,
        content=gzip.compress(_msa_body(identifiant, motdepasse)),
        headers={"Content-Type": content_type, "Content-Encoding": "gzip"},
        accept_encoding=accept_encoding,
    )


async def test_msa_authentifier200Test_gives_a_token_the_api_accepts(
    client: httpx.AsyncClient,
) -> None:
    response = await _msa(client, "wwallace", "azerty")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert "content-encoding" not in response.headers
    authorization = f"DSNLogin jeton={response.content.decode('ascii')}"
    deposit = await _deposit(client, authorization)
    assert deposit.status_code == 200
    listing = await client.get(
        "/lister-depots/1.0/20260310095500", headers={"Authorization": authorization}
    )
    assert etree.fromstring(listing.content).findtext("declarant/nom") == "wallace"


async def test_msa_login_body_may_also_be_plain(client: httpx.AsyncClient) -> None:
    response = await send(
        client,
        "POST",
        MSA_AUTH,
        content=_msa_body("wwallace", "azerty"),
        headers={"Content-Type": "application/xml"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("identifiant", "motdepasse"),
    [("wwallace", "qwerty"), ("sseagal", "azerty")],
    ids=["authentifier401ErreurAuthentificationTest", "authentifier401NonInscritTest"],
)
async def test_msa_401_is_basic_realm_msa(
    client: httpx.AsyncClient, identifiant: str, motdepasse: str
) -> None:
    response = await _msa(client, identifiant, motdepasse)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="msa.fr"'
    assert_empty(response)


@pytest.mark.parametrize(
    ("identifiant", "motdepasse"),
    [
        (None, "azerty"),
        ("wwalz0123456789012345678901234567890", "azerty"),
        ("wwallace", None),
        ("wwallace", "0123456789012345678901234567890"),
    ],
    ids=[
        "authentifier422IdentifiantNullTest",
        "authentifier422IdentifiantTropLongTest",
        "authentifier422MotdepasseNullTest",
        "authentifier422MotdepasseTropLongTest",
    ],
)
async def test_msa_422(
    client: httpx.AsyncClient, identifiant: str | None, motdepasse: str | None
) -> None:
    response = await _msa(client, identifiant, motdepasse)
    assert response.status_code == 422
    assert_empty(response)


async def test_msa_authentifier406AcceptEncodingMauvaisTest(client: httpx.AsyncClient) -> None:
    response = await _msa(client, "wwallace", "azerty", accept_encoding="deflate")
    assert response.status_code == 406


async def test_msa_authentifier415ContentTypeMauvaisTest(client: httpx.AsyncClient) -> None:
    response = await _msa(client, "wwallace", "azerty", content_type="text/plain")
    assert response.status_code == 415
    assert_empty(response)


async def test_msa_authentifier500Test(client: httpx.AsyncClient) -> None:
    response = await _msa(client, "kaboom", "kaboom")
    assert response.status_code == 500
    assert_empty(response)


# --- DeposerDsnNetETest and DeposerDsnNetETest2 -------------------------------------------------

VERSIONS = pytest.mark.parametrize(
    ("version", "media_type"),
    [("1.0", "application/xml"), ("2.0", "application/json")],
    ids=["1.0", "2.0"],
)


async def _deposit(
    client: httpx.AsyncClient,
    authorization: str | None,
    *,
    version: str = "1.0",
    raw: bytes | None = None,
    content_type: str = "text/plain",
    content_encoding: str | None = "gzip",
    accept_encoding: str | None = "gzip, deflate",
    compressed: bool = True,
) -> httpx.Response:
    raw = build_dsn() if raw is None else raw
    headers = {"Content-Type": content_type}
    if content_encoding is not None:
        headers["Content-Encoding"] = content_encoding
    if authorization is not None:
        headers["Authorization"] = authorization
    return await send(
        client,
        "POST",
        f"/deposer-dsn/{version}/",
        content=gzip.compress(raw) if compressed else raw,
        headers=headers,
        accept_encoding=accept_encoding,
    )


@pytest.fixture
async def jeton(client: httpx.AsyncClient) -> str:
    return f"DSNLogin jeton={await login(client, DECLARANT, '97')}"


@pytest.fixture
async def concentrateur(client: httpx.AsyncClient) -> str:
    return await login(client, CONCENTRATOR, "98")


@VERSIONS
@pytest.mark.parametrize(
    "content_encoding", [None, "deflate"], ids=["EncodingManquant", "EncodingMauvais"]
)
async def test_deposer415ContentEncoding(
    client: httpx.AsyncClient, jeton: str, version: str, media_type: str, content_encoding: str
) -> None:
    response = await _deposit(client, jeton, version=version, content_encoding=content_encoding)
    assert response.status_code == 415
    assert_empty(response)


@VERSIONS
@pytest.mark.parametrize("content_type", ["application/xml", "application/json"])
async def test_deposer415ContentTypeMauvaisTest(
    client: httpx.AsyncClient, jeton: str, version: str, media_type: str, content_type: str
) -> None:
    response = await _deposit(client, jeton, version=version, content_type=content_type)
    assert response.status_code == 415
    assert_empty(response)
    assert (await client.get("/_mock/deposits")).json() == []


async def test_text_plain_with_a_charset_is_consumed(client: httpx.AsyncClient, jeton: str) -> None:
    response = await _deposit(client, jeton, content_type="text/plain; charset=ISO-8859-1")
    assert response.status_code == 200


@VERSIONS
async def test_deposer400NoBodyTest_is_422_as_the_guide_says(
    client: httpx.AsyncClient, jeton: str, version: str, media_type: str
) -> None:
    response = await send(
        client,
        "POST",
        f"/deposer-dsn/{version}/",
        headers={"Content-Encoding": "gzip", "Content-Type": "text/plain", "Authorization": jeton},
    )
    assert response.status_code == 422
    assert_empty(response)


@VERSIONS
async def test_deposer406AcceptEncodingMauvaisTest(
    client: httpx.AsyncClient, jeton: str, version: str, media_type: str
) -> None:
    response = await _deposit(client, jeton, version=version, accept_encoding="deflate")
    assert response.status_code == 406
    assert_empty(response)


@VERSIONS
@pytest.mark.parametrize(
    "accept_encoding", [None, "gzip"], ids=["deposer200Test", "deposer200AcceptEncodingGZIPTest"]
)
async def test_deposer200_is_a_gzip_aee_whatever_the_client_accepts(
    client: httpx.AsyncClient, jeton: str, version: str, media_type: str, accept_encoding: str
) -> None:
    response = await _deposit(client, jeton, version=version, accept_encoding=accept_encoding)
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"] == media_type
    assert "transfer-encoding" not in response.headers
    rapport = etree.fromstring(response.content)
    assert rapport.get("type") == "AEE"


@VERSIONS
@pytest.mark.parametrize("accept_encoding", [None, "gzip, deflate"], ids=["plain", "gzip"])
async def test_deposer422AvisDeRejetTest(
    client: httpx.AsyncClient, jeton: str, version: str, media_type: str, accept_encoding: str
) -> None:
    response = await _deposit(
        client,
        jeton,
        version=version,
        raw=b"S11 VGhpcyBpcyBhbiBBRUU",
        accept_encoding=accept_encoding,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == media_type
    assert response.headers.get("content-encoding") == ("gzip" if accept_encoding else None)
    assert etree.fromstring(response.content).get("type") == "ARE"


@VERSIONS
@pytest.mark.parametrize(
    "authorization",
    [
        "DSNLogin declarent=SNP",
        None,
        f"DSNLogin jeton={NOT_A_TOKEN}",
        "DSNLogin jeton=null",
        f"DSNLogin jeton={NOT_BASE64}",
    ],
    ids=[
        "deposer401AUTHORIZATIONMauvaisTest",
        "deposer401AUTHORIZATIONManquantTest",
        "deposer401JETONMauvaisTest",
        "deposer401JETONNullTest",
        "deposer401JETONPasEnBase64Test",
    ],
)
async def test_bad_declarant_token_is_401_jeton_manquant(
    client: httpx.AsyncClient, version: str, media_type: str, authorization: str | None
) -> None:
    response = await _deposit(client, authorization, version=version)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'DSNLogin realm="Jeton manquant ou invalide"'
    assert_empty(response)


@VERSIONS
@pytest.mark.parametrize(
    ("concentrator_part", "declarant", "realm"),
    [
        (NOT_A_TOKEN, declarant_part(*DECLARANT[:3]), "Jeton manquant ou invalide"),
        ("TOKEN", base64.b64encode("Not a é valid token".encode()).decode(), "Jeton manquant"),
        ("null", declarant_part(*DECLARANT[:3]), "Jeton manquant ou invalide"),
        ("TOKEN", "null", "Jeton manquant ou invalide"),
        ("TOKEN", declarant_part(*UNREGISTERED_DECLARANT), "Utilisateur non-inscrit au service"),
        (NOT_BASE64, declarant_part(*DECLARANT[:3]), "Jeton manquant ou invalide"),
        ("TOKEN", ";".join(DECLARANT[:3]), "Jeton manquant ou invalide"),
    ],
    ids=[
        "deposer401CONCENTRATEURMauvaisTest",
        "deposer401DECLARANTMauvaisTest",
        "deposer401CONCENTRATEURNullTest",
        "deposer401DECLARANTNullTest",
        "deposer401DECLARANTNonInscritTest",
        "deposer401CONCENTRATEURPasEnBase64Test",
        "deposer401DECLARANTPasEnBase64Test",
    ],
)
async def test_bad_concentrator_authorization_is_401_with_the_reference_realm(
    client: httpx.AsyncClient,
    concentrateur: str,
    version: str,
    media_type: str,
    concentrator_part: str,
    declarant: str,
    realm: str,
) -> None:
    token = concentrateur if concentrator_part == "TOKEN" else concentrator_part
    authorization = f"DSNLogin concentrateur={token},declarant={declarant}"
    response = await _deposit(client, authorization, version=version)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith(f'DSNLogin realm="{realm}')
    assert_empty(response)


@VERSIONS
async def test_deposer500Test(
    client: httpx.AsyncClient, jeton: str, version: str, media_type: str
) -> None:
    response = await _deposit(client, jeton, version=version, raw=b"S10 KABOOM")
    assert response.status_code == 500
    assert_empty(response)
    assert (await client.get("/_mock/deposits")).json() == []
