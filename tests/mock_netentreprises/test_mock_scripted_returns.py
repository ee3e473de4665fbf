"""POST /_mock/flows/{idflux}/returns: any document attached to a flow, then listed and served."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from lxml import etree
from mock_helpers import DECLARANT, START, build_dsn, login

from mock_netentreprises import ManualClock, MockConfig, create_app

NEORES_CRM = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<GIPMDS xmlns="https://gipmds/1.0"><CRM><Nature>61</Nature>'
    "<Etat>ANO</Etat><Message>Cotisation recalculée</Message></CRM></GIPMDS>"
).encode()
OC_CRM = (
    '<?xml version="1.0" encoding="ISO-8859-1"?>'
    '<Fichier VersionCRM="P26V01" TypCRM="71"><Entete><Emetteur>Caisse Agirc-Arrco</Emetteur>'
    "<Libelle>Période déclarée réglée</Libelle></Entete></Fichier>"
).encode("iso-8859-1")
PLAIN_TEXT = "Bilan de l'organisme : déclaration prise en compte.\n".encode("iso-8859-1")
HOSTILE = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    b"<retours></flux></retours><lolz>&lol2;</lolz>\x00\xff"
)


@pytest.fixture
async def jeton(client: httpx.AsyncClient) -> str:
    return f"DSNLogin jeton={await login(client, DECLARANT, '97')}"


@pytest.fixture
async def idflux(client: httpx.AsyncClient, jeton: str) -> str:
    response = await client.post(
        "/deposer-dsn/1.0/",
        content=gzip.compress(build_dsn()),
        headers={"Authorization": jeton, "Content-Encoding": "gzip", "Content-Type": "text/plain"},
    )
    assert response.status_code == 200
    value = etree.fromstring(response.content).findtext(".//idflux")
    assert value
    return value


async def _attach(
    client: httpx.AsyncClient,
    idflux: str,
    body: bytes,
    content_type: str | None = "application/xml",
    **params: str,
) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return await client.post(
        f"/_mock/flows/{idflux}/returns",
        params={"nature": "61", "ops": "URSSAF", **params},
        content=body,
        headers=headers,
    )


async def _listed(client: httpx.AsyncClient, jeton: str, idflux: str) -> dict[str, dict]:
    """The flow's returns by id, from the /2.0/ listing."""
    response = await client.get(
        f"/lister-retours-flux/2.0/{idflux}", headers={"Authorization": jeton}
    )
    assert response.status_code == 200
    entries = json.loads(response.content)["flux"]
    return {r["id"]: r for f in entries for r in f["Retour"]}


@pytest.mark.parametrize(
    ("body", "content_type", "nature", "statut"),
    [
        (NEORES_CRM, "application/xml", "61", "ANO"),
        (OC_CRM, "application/xml; charset=ISO-8859-1", "71", "OK"),
        (PLAIN_TEXT, "text/plain", "51", "OK"),
        (HOSTILE, "application/xml", "93", "KO"),
    ],
    ids=["neores-crm", "oc-crm-latin1", "plain-text", "hostile"],
)
async def test_an_attached_document_is_listed_and_served_byte_for_byte(
    client: httpx.AsyncClient,
    jeton: str,
    idflux: str,
    body: bytes,
    content_type: str,
    nature: str,
    statut: str,
) -> None:
    attached = await _attach(client, idflux, body, content_type, nature=nature, statut=statut)
    assert attached.status_code == 201
    created = attached.json()
    assert (created["nature"], created["statut"], created["media_type"]) == (
        nature,
        statut,
        content_type,
    )
    listed = (await _listed(client, jeton, idflux))[created["id"]]
    assert (listed["nature"], listed["statut"], listed["ops"]) == (nature, statut, "URSSAF")
    declarant_listing = await client.get(
        "/lister-retours-declarant/1.0/20260310095500", headers={"Authorization": jeton}
    )
    ids = etree.fromstring(declarant_listing.content).xpath("//retour/id/text()")
    assert created["id"] in ids
    download = await client.get(listed["url"], headers={"Authorization": jeton})
    assert download.status_code == 200
    assert download.content == body
    assert download.headers["content-type"] == content_type


async def test_no_content_type_is_served_as_xml(
    client: httpx.AsyncClient, jeton: str, idflux: str
) -> None:
    created = (await _attach(client, idflux, NEORES_CRM, None)).json()
    download = await client.get(
        f"/telecharger-retour/1.0/{idflux}/{created['id']}", headers={"Authorization": jeton}
    )
    assert download.headers["content-type"] == "application/xml"


async def test_a_delayed_return_appears_only_when_published(
    client: httpx.AsyncClient, clock: ManualClock, jeton: str, idflux: str
) -> None:
    created = (await _attach(client, idflux, NEORES_CRM, nature="62", delay="300")).json()
    assert created["published_at"] == (START + timedelta(seconds=300)).isoformat()
    assert created["id"] not in await _listed(client, jeton, idflux)
    clock.advance(timedelta(seconds=300))
    assert created["id"] in await _listed(client, jeton, idflux)


async def test_same_nature_and_ops_overwrites_under_the_same_id(
    client: httpx.AsyncClient, clock: ManualClock, jeton: str, idflux: str
) -> None:
    first = (await _attach(client, idflux, NEORES_CRM, nature="62")).json()
    clock.advance(timedelta(seconds=1))
    second = (await _attach(client, idflux, OC_CRM, nature="62", statut="KO")).json()
    assert first["id"] == second["id"]
    listed = (await _listed(client, jeton, idflux))[first["id"]]
    assert listed["statut"] == "KO"
    download = await client.get(listed["url"], headers={"Authorization": jeton})
    assert download.content == OC_CRM


@pytest.mark.parametrize(("replace", "mocks_own_wins"), [("false", True), ("true", False)])
async def test_replace_drops_the_mocks_own_scheduled_versions(
    client: httpx.AsyncClient,
    clock: ManualClock,
    jeton: str,
    idflux: str,
    replace: str,
    mocks_own_wins: bool,
) -> None:
    created = (await _attach(client, idflux, NEORES_CRM, replace=replace)).json()
    clock.advance(timedelta(minutes=5))  # past the mock's own 61 and its overwrite
    listed = (await _listed(client, jeton, idflux))[created["id"]]
    download = await client.get(listed["url"], headers={"Authorization": jeton})
    assert (download.content != NEORES_CRM) is mocks_own_wins


@pytest.mark.parametrize(
    ("flow", "params", "body", "status"),
    [
        ("unknown-flow", {}, NEORES_CRM, 404),
        (None, {"nature": "99"}, NEORES_CRM, 422),
        (None, {"statut": "MAYBE"}, NEORES_CRM, 422),
        (None, {"delay": "-1"}, NEORES_CRM, 422),
        (None, {}, b"", 422),
    ],
    ids=["unknown-flow", "unknown-nature", "bad-statut", "negative-delay", "empty-body"],
)
async def test_bad_scripts_are_refused_with_a_json_reason(
    client: httpx.AsyncClient,
    idflux: str,
    flow: str | None,
    params: dict[str, str],
    body: bytes,
    status: int,
) -> None:
    response = await _attach(client, flow or idflux, body, **params)
    assert response.status_code == status
    assert "detail" in response.json()


async def test_attached_returns_survive_a_restart_on_the_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    clock = ManualClock(START)
    first = create_app(MockConfig(), clock=clock, state_file=state)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=first), base_url="http://mock"
    ) as http:
        token = await login(http, DECLARANT, "97")
        deposit = await http.post(
            "/deposer-dsn/1.0/",
            content=gzip.compress(build_dsn()),
            headers={
                "Authorization": f"DSNLogin jeton={token}",
                "Content-Encoding": "gzip",
                "Content-Type": "text/plain",
            },
        )
        idflux = etree.fromstring(deposit.content).findtext(".//idflux")
        assert idflux
        created = (await _attach(http, idflux, PLAIN_TEXT, "text/plain", nature="51")).json()
    second = create_app(MockConfig(), clock=clock, state_file=state)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=second), base_url="http://mock"
    ) as http:
        download = await http.get(
            f"/telecharger-retour/1.0/{idflux}/{created['id']}",
            headers={"Authorization": f"DSNLogin jeton={token}"},
        )
        assert download.status_code == 200
        assert download.content == PLAIN_TEXT
        assert download.headers["content-type"] == "text/plain"
