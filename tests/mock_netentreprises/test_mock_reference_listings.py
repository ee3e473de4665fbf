"""The reference mock's listing and download JUnit expectations (Rechercher*, Telecharger*),
replayed on `/1.0/` (XML) and `/2.0/` (JSON). Test ids carry the reference's method names."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import httpx
import pytest
from lxml import etree
from mock_helpers import CONCENTRATOR, DECLARANT, build_dsn, declarant_part, login
from reference_client import NOT_A_TOKEN, NOT_BASE64, assert_empty, send

from mock_netentreprises import ManualClock

NOW = "20260310100000"  # the manual clock's START, in Europe/Paris
DEBUT = "20260310095100"  # 9 minutes before: inside both windows
TOO_WIDE = "20260310080000/20260310100000"
BOTH = pytest.mark.parametrize("version", ["1.0", "2.0"])
DECLARANT_PATHS = ["lister-depots", "lister-retours-declarant"]
ALL_RANGE_PATHS = [*DECLARANT_PATHS, "lister-retours-concentrateur"]


@pytest.fixture
async def jeton(client: httpx.AsyncClient) -> str:
    return f"DSNLogin jeton={await login(client, DECLARANT, '97')}"


@pytest.fixture
async def ctr(client: httpx.AsyncClient) -> str:
    return await login(client, CONCENTRATOR, "98")


@pytest.fixture
async def ctr_declarant(ctr: str) -> str:
    return f"DSNLogin concentrateur={ctr},declarant={declarant_part(*DECLARANT[:3])}"


@pytest.fixture
def modes(jeton: str, ctr: str, ctr_declarant: str) -> dict[str, str]:
    return {"jeton": jeton, "ctr": ctr, "ctr_declarant": ctr_declarant}


async def _deposit(client: httpx.AsyncClient, authorization: str) -> str:
    response = await client.post(
        "/deposer-dsn/1.0/",
        content=gzip.compress(build_dsn()),
        headers={
            "Authorization": authorization,
            "Content-Encoding": "gzip",
            "Content-Type": "text/plain",
        },
    )
    assert response.status_code == 200
    idflux = etree.fromstring(response.content).findtext(".//idflux")
    assert idflux
    return idflux


async def _get(
    client: httpx.AsyncClient,
    path: str,
    authorization: str | None,
    accept_encoding: str | None = "gzip, deflate",
) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization else {}
    return await send(client, "GET", path, headers=headers, accept_encoding=accept_encoding)


def _assert_listing_200(response: httpx.Response, version: str, ranges: str | None) -> None:
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert "expires" in response.headers
    assert response.headers.get("accept-ranges") == ranges
    expected = "application/json" if version == "2.0" else "application/xml"
    assert response.headers["content-type"] == expected


# --- missing range, bad dates, window -----------------------------------------------------------


@BOTH
@pytest.mark.parametrize("path", ALL_RANGE_PATHS)
async def test_rechercher404PasDePlageTest(
    client: httpx.AsyncClient, version: str, path: str
) -> None:
    response = await _get(client, f"/{path}/{version}/", None)
    assert response.status_code == 404
    assert_empty(response)


@BOTH
@pytest.mark.parametrize("path", ALL_RANGE_PATHS)
@pytest.mark.parametrize(
    "dates",
    ["120000", "120000/20130101130000", "20130101120000/20130101"],
    ids=["MauvaisDebut", "MauvaisDebutAvecFin", "MauvaiseFin"],
)
async def test_rechercher422Plage_before_any_token(
    client: httpx.AsyncClient, version: str, path: str, dates: str
) -> None:
    response = await _get(client, f"/{path}/{version}/{dates}", None)
    assert response.status_code == 422
    assert_empty(response)


@BOTH
@pytest.mark.parametrize(
    ("path", "mode"),
    [
        ("lister-depots", "jeton"),
        ("lister-depots", "ctr_declarant"),
        ("lister-retours-declarant", "jeton"),
        ("lister-retours-concentrateur", "ctr"),
    ],
)
async def test_rechercher429PlageTropGrandeTest(
    client: httpx.AsyncClient, modes: dict[str, str], version: str, path: str, mode: str
) -> None:
    authorization = f"DSNLogin concentrateur={modes['ctr']}" if mode == "ctr" else modes[mode]
    response = await _get(client, f"/{path}/{version}/{TOO_WIDE}", authorization)
    assert response.status_code == 429
    assert_empty(response)


@BOTH
@pytest.mark.parametrize("path", ALL_RANGE_PATHS)
async def test_rechercher406AcceptEncodingMauvais_before_the_token(
    client: httpx.AsyncClient, version: str, path: str
) -> None:
    response = await _get(client, f"/{path}/{version}/{DEBUT}", None, accept_encoding="deflate")
    assert response.status_code == 406
    assert_empty(response)


# --- lister-depots -------------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize(
    ("mode", "ranges"),
    [("jeton", "minutes=0-60"), ("ctr_declarant", "minutes=0-10")],
    ids=["rechercher200ParDeclarantTest", "rechercher200ParConcentrateurTest"],
)
async def test_lister_depots_200(
    client: httpx.AsyncClient,
    clock: ManualClock,
    modes: dict[str, str],
    version: str,
    mode: str,
    ranges: str,
) -> None:
    authorization = modes[mode]
    first = await _deposit(client, authorization)
    clock.advance(timedelta(seconds=30))
    second = await _deposit(client, authorization)
    response = await _get(client, f"/lister-depots/{version}/{DEBUT}", authorization)
    _assert_listing_200(response, version, ranges)
    if version == "2.0":
        declarant = json.loads(response.content)["declarant"]
        who = (declarant["siret"], declarant["nom"], declarant["prenom"])
        depots = [(d["idflux"], d["date"], d["statut"]) for d in declarant["depot"]]
    else:
        root = etree.fromstring(response.content)
        who = tuple(root.findtext(f"declarant/{name}") for name in ("siret", "nom", "prenom"))
        depots = [
            (d.findtext("idflux"), d.findtext("date"), d.findtext("statut"))
            for d in root.iterfind("declarant/depot")
        ]
    assert who == DECLARANT[:3]
    assert depots == [(first, NOW, "OK"), (second, "20260310100030", "OK")]


# --- lister-retours-declarant / -concentrateur / -flux -------------------------------------------


def _flux(response: httpx.Response, version: str) -> list[tuple[str, list[str]]]:
    """(idflux, [nature, ...]) per flux of a returns listing, in either version."""
    if version == "2.0":
        body = json.loads(response.content)
        return [(f["id"], [r["nature"] for r in f["Retour"]]) for f in body["flux"]]
    root = etree.fromstring(response.content)
    return [
        (f.findtext("id") or "", [r.findtext("nature") or "" for r in f.iterfind("retour")])
        for f in root.iterfind("flux")
    ]


@BOTH
@pytest.mark.parametrize(
    ("path", "mode", "ranges"),
    [
        ("lister-retours-declarant", "jeton", "minutes=0-60"),
        ("lister-retours-declarant", "ctr_declarant", "minutes=0-60"),
        ("lister-retours-concentrateur", "ctr", "minutes=0-10"),
    ],
    ids=[
        "RechercherRetoursParDeclarantNetETest.rechercher200Test",
        "RechercherRetoursParDeclarantNetETest.rechercher200ParConcentrateurTest",
        "RechercherRetoursParConcentrateurTest.rechercher200Test",
    ],
)
async def test_returns_listings_200(
    client: httpx.AsyncClient,
    ctr_declarant: str,
    modes: dict[str, str],
    version: str,
    path: str,
    mode: str,
    ranges: str,
) -> None:
    authorization = modes[mode]
    if mode == "ctr":
        depositor, authorization = ctr_declarant, f"DSNLogin concentrateur={authorization}"
    else:
        depositor = authorization
    idflux = await _deposit(client, depositor)
    response = await _get(client, f"/{path}/{version}/{DEBUT}", authorization)
    _assert_listing_200(response, version, ranges)
    assert _flux(response, version) == [(idflux, ["10"])]


@BOTH
async def test_RechercherRetoursParFlux_rechercher200_and_200Vide(
    client: httpx.AsyncClient, jeton: str, version: str
) -> None:
    await client.post("/_mock/config", json={"return_delays": {"10": 60}})
    idflux = await _deposit(client, jeton)
    empty = await _get(client, f"/lister-retours-flux/{version}/{idflux}", jeton)
    _assert_listing_200(empty, version, None)
    assert _flux(empty, version) == []
    if version == "2.0":
        assert json.loads(empty.content) == {"flux": []}
    else:
        assert empty.content == b"<retours></retours>"


@BOTH
async def test_returns_json_entries_carry_the_reference_fields(
    client: httpx.AsyncClient, jeton: str, version: str
) -> None:
    idflux = await _deposit(client, jeton)
    response = await _get(client, f"/lister-retours-flux/{version}/{idflux}", jeton)
    if version == "1.0":
        retour = etree.fromstring(response.content).find("flux/retour")
        assert retour is not None
        entry = {child.tag: child.text for child in retour}
    else:
        entry = json.loads(response.content)["flux"][0]["Retour"][0]
    assert entry["publication"] == entry["production"] == NOW
    assert (entry["nature"], entry["statut"], entry["id"]) == ("10", "OK", "1")
    assert entry["url"] == f"http://mock/telecharger-retour/1.0/{idflux}/1"


@BOTH
@pytest.mark.parametrize(
    ("idflux", "status"),
    [("0" * 51, 422), ("23456", 404)],
    ids=["rechercher422IdFluxTropLongTest", "rechercher404IdFluxInconnuTest"],
)
async def test_retours_flux_errors(
    client: httpx.AsyncClient, jeton: str, version: str, idflux: str, status: int
) -> None:
    response = await _get(client, f"/lister-retours-flux/{version}/{idflux}", jeton)
    assert response.status_code == status
    assert_empty(response)


@BOTH
async def test_retours_flux_rechercher406AcceptEncodingMauvaisTest(
    client: httpx.AsyncClient, jeton: str, version: str
) -> None:
    idflux = await _deposit(client, jeton)
    path = f"/lister-retours-flux/{version}/{idflux}"
    response = await _get(client, path, jeton, accept_encoding="deflate")
    assert response.status_code == 406
    assert_empty(response)


# --- the 401 family, on every listing and both versions ------------------------------------------

BAD_AUTHORIZATIONS = pytest.mark.parametrize(
    ("authorization", "realm"),
    [
        ("DSNLogin declarent=SNP", "Jeton manquant ou invalide"),
        (None, "Jeton manquant ou invalide"),
        (f"DSNLogin jeton={NOT_A_TOKEN}", "Jeton manquant ou invalide"),
        ("DSNLogin jeton=null", "Jeton manquant ou invalide"),
        (f"DSNLogin jeton={NOT_BASE64}", "Jeton manquant ou invalide"),
        (f"DSNLogin concentrateur={NOT_A_TOKEN}", "Jeton manquant ou invalide"),
        ("DSNLogin concentrateur=null", "Jeton manquant ou invalide"),
        (f"DSNLogin concentrateur={NOT_BASE64}", "Jeton manquant ou invalide"),
        ('DSNLogin concentrator="ctr"', "Jeton manquant ou invalide"),
    ],
    ids=[
        "rechercher401AUTHORIZATIONMauvaisTest",
        "rechercher401AUTHORIZATIONManquantTest",
        "rechercher401JETONMauvaisTest",
        "rechercher401JETONNullTest",
        "rechercher401JETONPasEnBase64Test",
        "rechercher401CONCENTRATEURMauvaisTest",
        "rechercher401CONCENTRATEURNullTest",
        "rechercher401CONCENTRATEURPasEnBase64Test",
        "rechercher401AUTHORIZATIONMauvais_concentrator",
    ],
)


@BOTH
@pytest.mark.parametrize("path", [*ALL_RANGE_PATHS, "lister-retours-flux"])
@BAD_AUTHORIZATIONS
async def test_bad_authorization_is_401_on_every_listing(
    client: httpx.AsyncClient, version: str, path: str, authorization: str | None, realm: str
) -> None:
    argument = "abcdefghij" if path == "lister-retours-flux" else DEBUT
    response = await _get(client, f"/{path}/{version}/{argument}", authorization)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'DSNLogin realm="{realm}"'
    assert_empty(response)


@BOTH
@pytest.mark.parametrize("path", DECLARANT_PATHS)
async def test_rechercher401DECLARANTNonInscritTest(
    client: httpx.AsyncClient, ctr: str, version: str, path: str
) -> None:
    part = declarant_part("99900000300015", "Freeman", "Gordon")
    authorization = f"DSNLogin concentrateur={ctr},declarant={part}"
    response = await _get(client, f"/{path}/{version}/{DEBUT}", authorization)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == (
        'DSNLogin realm="Utilisateur non-inscrit au service"'
    )


# --- telecharger-retour (TelechargerRetourNetETest) ---------------------------------------------


async def _scripted(client: httpx.AsyncClient, idflux: str, body: bytes, content_type: str) -> str:
    response = await client.post(
        f"/_mock/flows/{idflux}/returns",
        params={"nature": "61", "ops": "URSSAF"},
        content=body,
        headers={"Content-Type": content_type},
    )
    assert response.status_code == 201
    return str(response.json()["id"])


@pytest.mark.parametrize(
    "accept_encoding",
    [None, "gzip"],
    ids=["telecharger200TextPlainTest", "telecharger200AcceptEncodingGZIPTest"],
)
async def test_telecharger200TextPlain(
    client: httpx.AsyncClient, jeton: str, accept_encoding: str | None
) -> None:
    idflux = await _deposit(client, jeton)
    idretour = await _scripted(client, idflux, b"Ceci est un retour TXT", "text/plain")
    response = await _get(
        client, f"/telecharger-retour/1.0/{idflux}/{idretour}", jeton, accept_encoding
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-type"] == "text/plain"
    assert response.headers.get("content-encoding") == accept_encoding
    assert response.content == b"Ceci est un retour TXT"


async def test_telecharger200ApplicationXmlTest(client: httpx.AsyncClient, jeton: str) -> None:
    idflux = await _deposit(client, jeton)
    response = await _get(client, f"/telecharger-retour/1.0/{idflux}/1", jeton, None)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    assert "content-encoding" not in response.headers
    assert "transfer-encoding" not in response.headers
    assert etree.fromstring(response.content).get("type") == "AEE"


@pytest.mark.parametrize(
    ("path", "accept_encoding", "status"),
    [
        ("/telecharger-retour/1.0/FLOW/1", "deflate", 406),
        (f"/telecharger-retour/1.0/{'0' * 51}/purge", "gzip", 422),
        ("/telecharger-retour/1.0/0123456789/01234567891", "gzip", 422),
        ("/telecharger-retour/1.0/inconnu/23456", "gzip", 404),
        ("/telecharger-retour/1.0/FLOW/inconnu", "gzip", 404),
        ("/telecharger-retour/1.0/FLOW", "gzip", 404),
    ],
    ids=[
        "telecharger406AcceptEncodingMauvaisTest",
        "telecharger422IdFluxTropLongTest",
        "telecharger422IdRetourTropLongTest",
        "telecharger404IdFluxInconnuTest",
        "telecharger404IdRetourInconnuTest",
        "telecharger404ParametreManquantTest",
    ],
)
async def test_telecharger_errors(
    client: httpx.AsyncClient, jeton: str, path: str, accept_encoding: str, status: int
) -> None:
    idflux = await _deposit(client, jeton)
    response = await _get(client, path.replace("FLOW", idflux), jeton, accept_encoding)
    assert response.status_code == status
    assert_empty(response)


async def test_telecharger404RetourPurgeTest(
    client: httpx.AsyncClient, clock: ManualClock, jeton: str
) -> None:
    idflux = await _deposit(client, jeton)
    clock.advance(timedelta(days=91))
    fresh = f"DSNLogin jeton={await login(client, DECLARANT, '97')}"
    response = await _get(client, f"/telecharger-retour/1.0/{idflux}/1", fresh)
    assert response.status_code == 404
    assert_empty(response)


@BAD_AUTHORIZATIONS
async def test_telecharger401(
    client: httpx.AsyncClient, jeton: str, authorization: str | None, realm: str
) -> None:
    idflux = await _deposit(client, jeton)
    response = await _get(client, f"/telecharger-retour/1.0/{idflux}/1", authorization)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'DSNLogin realm="{realm}"'
    assert_empty(response)


# --- what is not a route ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nulle-part", 404),
        ("GET", "/lister-depots/3.0/20260310095100", 404),
        ("POST", "/authentifier/3.0/", 404),
        ("GET", "/deposer-dsn/1.0/", 405),
        ("DELETE", "/lister-retours-flux/1.0/abc", 405),
    ],
)
async def test_unknown_route_or_method_is_empty_like_the_platform(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert_empty(response)


async def test_the_admin_api_keeps_json_errors(client: httpx.AsyncClient) -> None:
    response = await client.get("/_mock/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize(
    "path",
    [
        "/lister-retours-flux/1.0/kaboom",
        "/lister-retours-flux/2.0/kaboom",
        "/telecharger-retour/1.0/kaboom/kaboom",
    ],
    ids=["rechercher500Test-1.0", "rechercher500Test-2.0", "telecharger500Test"],
)
async def test_kaboom_ids_are_500_after_the_token(
    client: httpx.AsyncClient, jeton: str, path: str
) -> None:
    assert (await _get(client, path, None)).status_code == 401
    response = await _get(client, path, jeton)
    assert response.status_code == 500
    assert_empty(response)


@BOTH
@pytest.mark.parametrize(
    ("mode", "accept_encoding"),
    [("jeton", None), ("ctr", None), ("jeton", "gzip")],
    ids=[
        "rechercher200ParDeclarantTest",
        "rechercher200ParConcentrateurTest",
        "rechercher200AcceptEncodingGZIPTest",
    ],
)
async def test_RechercherRetoursParFlux_200(
    client: httpx.AsyncClient,
    modes: dict[str, str],
    version: str,
    mode: str,
    accept_encoding: str | None,
) -> None:
    if mode == "ctr":
        idflux = await _deposit(client, modes["ctr_declarant"])
        authorization = f"DSNLogin concentrateur={modes['ctr']}"
    else:
        idflux = await _deposit(client, modes["jeton"])
        authorization = modes["jeton"]
    response = await _get(
        client, f"/lister-retours-flux/{version}/{idflux}", authorization, accept_encoding
    )
    _assert_listing_200(response, version, None)
    assert response.headers.get("content-encoding") == accept_encoding
    assert _flux(response, version) == [(idflux, ["10"])]
