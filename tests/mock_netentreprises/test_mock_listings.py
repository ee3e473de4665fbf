"""lister-depots, lister-retours-*, telecharger-retour: windows, dates, ownership, XML shapes."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from lxml import etree
from mock_helpers import CONCENTRATOR, Session, build_dsn, identifiants

from mock_netentreprises import ManualClock

# START is 09:00 UTC = 10:00 in Paris, the zone of dates in paths.
AT_START = "20260310100000"


def _idflux(response: httpx.Response) -> str:
    found = etree.fromstring(response.content).find("envoi/envoi_identification/idflux")
    assert found is not None and found.text
    return found.text


async def test_lister_depots_shape_and_cache_headers(concentrator: Session) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    refused = _idflux(await concentrator.deposit(b"garbage"))
    response = await concentrator.get("/lister-depots/1.0/20260310095500/20260310100500")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-encoding"] == "gzip"
    assert "expires" in response.headers
    assert response.text == (
        "<depots><declarant><siret>99900000300015</siret><nom>declarant</nom>"
        "<prenom>declarant</prenom>"
        f"<depot><idflux>{idflux}</idflux><date>{AT_START}</date><statut>OK</statut></depot>"
        f"<depot><idflux>{refused}</idflux><date>{AT_START}</date><statut>KO</statut></depot>"
        "</declarant></depots>"
    )


async def test_lister_depots_outside_the_window_is_empty(concentrator: Session) -> None:
    await concentrator.deposit(build_dsn())
    response = await concentrator.get("/lister-depots/1.0/20260310095000/20260310095900")
    assert "<depot>" not in response.text


async def test_omitted_end_means_now(concentrator: Session, clock: ManualClock) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    clock.advance(timedelta(minutes=5))
    response = await concentrator.get("/lister-depots/1.0/20260310095900")
    assert idflux in response.text


@pytest.mark.parametrize(
    ("session", "path", "status", "ranges"),
    [
        ("concentrator", "/lister-depots/1.0/20260310090000/20260310091000", 200, "0-10"),
        ("concentrator", "/lister-depots/1.0/20260310090000/20260310091001", 429, "0-10"),
        ("declarant", "/lister-depots/1.0/20260310090000/20260310100000", 200, "0-60"),
        ("declarant", "/lister-depots/1.0/20260310090000/20260310100001", 429, "0-60"),
        ("declarant", "/lister-retours-declarant/1.0/20260310090000/20260310100001", 429, "0-60"),
        (
            "concentrator",
            "/lister-retours-declarant/1.0/20260310090000/20260310100000",
            200,
            "0-60",
        ),
        (
            "concentrator",
            "/lister-retours-concentrateur/1.0/20260310090000/20260310091001",
            429,
            "0-10",
        ),
        ("concentrator", "/lister-depots/1.0/20260310080000", 429, "0-10"),
    ],
)
async def test_search_windows(
    concentrator: Session,
    declarant: Session,
    session: str,
    path: str,
    status: int,
    ranges: str | None,
) -> None:
    caller = concentrator if session == "concentrator" else declarant
    response = await caller.get(path)
    assert response.status_code == status
    assert response.headers.get("accept-ranges") == (f"minutes={ranges}" if ranges else None)


@pytest.mark.parametrize(
    "path",
    [
        "/lister-depots/1.0/2026031010000",
        "/lister-depots/1.0/20261310100000",
        "/lister-depots/1.0/2026-03-10T10",
        "/lister-depots/1.0/20260310100000/20260310095000",
        "/lister-retours-declarant/1.0/20260230100000",
        "/lister-retours-concentrateur/1.0/20260310250000",
    ],
    ids=["13-digits", "month-13", "iso", "end-before-start", "feb-30", "hour-25"],
)
async def test_bad_dates_are_422(
    concentrator: Session, concentrator_only: Session, path: str
) -> None:
    caller = concentrator_only if "concentrateur" in path else concentrator
    assert (await caller.get(path)).status_code == 422


@pytest.mark.parametrize(
    "path", ["/lister-depots/1.0/", "/lister-retours-declarant/1.0/", "/lister-retours-flux/1.0/"]
)
async def test_missing_range_is_404(concentrator: Session, path: str) -> None:
    assert (await concentrator.get(path)).status_code == 404


async def test_listing_needs_gzip_and_a_token(concentrator: Session) -> None:
    path = "/lister-depots/1.0/20260310095500"
    response = await concentrator.http.get(
        path, headers=concentrator.headers(**{"Accept-Encoding": "identity"})
    )
    assert response.status_code == 406
    assert (await concentrator.http.get(path)).status_code == 401


async def test_lister_depots_and_retours_declarant_need_the_declarant_part(
    concentrator_only: Session,
) -> None:
    for path in (
        "/lister-depots/1.0/20260310095500",
        "/lister-retours-declarant/1.0/20260310095500",
    ):
        response = await concentrator_only.get(path)
        assert response.status_code == 401


async def test_lister_retours_concentrateur_refuses_a_declarant_token(declarant: Session) -> None:
    response = await declarant.get("/lister-retours-concentrateur/1.0/20260310095500")
    assert response.status_code == 401


async def test_lister_retours_flux_and_telecharger_need_only_concentrateur(
    concentrator: Session, concentrator_only: Session
) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    listing = await concentrator_only.get(f"/lister-retours-flux/1.0/{idflux}")
    assert listing.status_code == 200
    assert listing.headers["cache-control"] == "no-cache"
    document = etree.fromstring(listing.content)
    assert document.findtext("flux/id") == idflux
    retour = document.find("flux/retour")
    assert retour is not None
    assert [child.tag for child in retour] == [
        "publication",
        "production",
        "nature",
        "statut",
        "id",
        "url",
    ]
    assert retour.findtext("nature") == "10"
    assert retour.findtext("statut") == "OK"
    assert retour.findtext("publication") == AT_START
    url = retour.findtext("url")
    assert url == f"http://mock/telecharger-retour/1.0/{idflux}/{retour.findtext('id')}"
    download = await concentrator_only.get(url.removeprefix("http://mock"))
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("application/xml")
    assert etree.fromstring(download.content).get("type") == "AEE"


async def test_flow_without_published_returns_lists_empty_retours(concentrator: Session) -> None:
    await concentrator.http.post("/_mock/config", json={"return_delays": {"10": 30}})
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    response = await concentrator.get(f"/lister-retours-flux/1.0/{idflux}")
    assert response.status_code == 200
    assert response.text == "<retours></retours>"


async def test_unknown_flow_and_return_are_404(concentrator: Session) -> None:
    assert (await concentrator.get("/lister-retours-flux/1.0/unknownflux")).status_code == 404
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    assert (await concentrator.get(f"/telecharger-retour/1.0/{idflux}/999")).status_code == 404
    assert (await concentrator.get("/telecharger-retour/1.0/unknown/1")).status_code == 404


async def test_return_not_yet_published_is_404(concentrator: Session, clock: ManualClock) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    assert (await concentrator.get(f"/telecharger-retour/1.0/{idflux}/2")).status_code == 404
    clock.advance(timedelta(seconds=2))
    assert (await concentrator.get(f"/telecharger-retour/1.0/{idflux}/2")).status_code == 200


async def test_overlong_ids_are_422(concentrator: Session) -> None:
    long_flux = "x" * 51
    assert (await concentrator.get(f"/lister-retours-flux/1.0/{long_flux}")).status_code == 422
    assert (await concentrator.get(f"/telecharger-retour/1.0/{long_flux}/1")).status_code == 422
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    response = await concentrator.get(f"/telecharger-retour/1.0/{idflux}/12345678901")
    assert response.status_code == 422


async def test_someone_elses_flow_is_403(
    client: httpx.AsyncClient, concentrator: Session, declarant: Session
) -> None:
    other = {
        "siret": "55555555555555",
        "nom": "AUTRE",
        "prenom": "concentrateur",
        "motdepasse": "pw",
        "services": ["98"],
    }
    await client.post("/_mock/accounts", json=other)
    response = await client.post(
        "/authentifier/1.0/",
        content=identifiants("55555555555555", "AUTRE", "concentrateur", "pw", "98"),
    )
    stranger = Session(client, f"DSNLogin concentrateur={response.text}")
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    assert (await stranger.get(f"/lister-retours-flux/1.0/{idflux}")).status_code == 403
    assert (await stranger.get(f"/telecharger-retour/1.0/{idflux}/1")).status_code == 403
    # The declarant itself may follow a flow deposited on its behalf.
    assert (await declarant.get(f"/lister-retours-flux/1.0/{idflux}")).status_code == 200


async def test_listings_are_scoped_to_their_caller(
    client: httpx.AsyncClient, concentrator: Session, declarant: Session, concentrator_only: Session
) -> None:
    through_concentrator = _idflux(await concentrator.deposit(build_dsn()))
    direct = _idflux(await declarant.deposit(build_dsn()))
    window = "20260310095500/20260310100500"
    as_declarant = (await declarant.get(f"/lister-depots/1.0/{window}")).text
    assert through_concentrator in as_declarant and direct in as_declarant
    as_concentrator = (await concentrator.get(f"/lister-depots/1.0/{window}")).text
    assert through_concentrator in as_concentrator and direct not in as_concentrator
    returns = (await concentrator_only.get(f"/lister-retours-concentrateur/1.0/{window}")).text
    assert through_concentrator in returns and direct not in returns
    mine = (await declarant.get(f"/lister-retours-declarant/1.0/{window}")).text
    assert through_concentrator in mine and direct in mine
    assert CONCENTRATOR[0] not in mine
