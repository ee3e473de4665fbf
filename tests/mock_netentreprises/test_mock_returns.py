"""Returns over time: CCO or BAN, bodies' CRMs for monthly DSN, overwrite, purge, XSD validity."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from lxml import etree
from mock_helpers import CONCENTRATOR, FIXTURES, Session, build_dsn, login

from mock_netentreprises import ManualClock
from mock_netentreprises.reports import validation_errors


def _idflux(response: httpx.Response) -> str:
    return etree.fromstring(response.content).findtext("envoi/envoi_identification/idflux") or ""


async def _returns(session: Session, idflux: str) -> list[dict[str, str]]:
    response = await session.get(f"/lister-retours-flux/1.0/{idflux}")
    assert response.status_code == 200
    return [
        {child.tag: child.text or "" for child in retour}
        for retour in etree.fromstring(response.content).iterfind("flux/retour")
    ]


async def _download(session: Session, idflux: str, retour: dict[str, str]) -> etree._Element:
    response = await session.get(f"/telecharger-retour/1.0/{idflux}/{retour['id']}")
    assert response.status_code == 200
    assert validation_errors(response.content) == []
    return etree.fromstring(response.content)


async def test_monthly_dsn_lifecycle(concentrator: Session, clock: ManualClock) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    assert [r["nature"] for r in await _returns(concentrator, idflux)] == ["10"]
    clock.advance(timedelta(seconds=2))
    natures = [(r["nature"], r["statut"]) for r in await _returns(concentrator, idflux)]
    assert natures == [("10", "OK"), ("11", "OK")]
    clock.advance(timedelta(seconds=13))
    listed = await _returns(concentrator, idflux)
    assert [r["nature"] for r in listed] == ["10", "11", "60", "92", "61", "94"]
    assert {r["nature"]: r.get("ops") for r in listed} == {
        "10": None,
        "11": None,
        "60": "URSSAF",
        "61": "URSSAF",
        "92": "DGFIP",
        "94": "DGFIP",
    }
    kinds = [(await _download(concentrator, idflux, r)).get("type") for r in listed]
    assert kinds == ["AEE", "CCO", "60", "92", "CRACOSS", "CRM nominatif"]


async def test_urssaf_crm_is_overwritten_under_the_same_id(
    concentrator: Session, clock: ManualClock
) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    clock.advance(timedelta(seconds=10))
    first = next(r for r in await _returns(concentrator, idflux) if r["nature"] == "61")
    first_body = await _download(concentrator, idflux, first)
    assert first["statut"] == "OK"
    assert first_body.find("declaration/declaration_anomalie") is None
    clock.advance(timedelta(seconds=20))
    second = next(r for r in await _returns(concentrator, idflux) if r["nature"] == "61")
    assert second["id"] == first["id"]
    assert second["statut"] == "ANO"
    assert second["publication"] > first["publication"]
    second_body = await _download(concentrator, idflux, second)
    assert second_body.findtext("declaration/declaration_anomalie/description/code") == "BA-210-01"
    assert second_body.findtext("declaration/declaration_bilan/etat") == "ANO"


async def test_overwrite_can_be_disabled(concentrator: Session, clock: ManualClock) -> None:
    await concentrator.http.post("/_mock/config", json={"overwrite_after": None})
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    clock.advance(timedelta(minutes=30))
    crm = next(r for r in await _returns(concentrator, idflux) if r["nature"] == "61")
    assert crm["statut"] == "OK"


async def test_overwritten_return_shows_in_the_window_of_its_new_publication(
    concentrator_only: Session, concentrator: Session, clock: ManualClock
) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    clock.advance(timedelta(minutes=1))
    # Deposit at 10:00:00 Paris; 61 first published 10:00:10, overwritten 10:00:30.
    late = await concentrator_only.get("/lister-retours-concentrateur/1.0/20260310100020")
    natures = [r.findtext("nature") for r in etree.fromstring(late.content).iter("retour")]
    assert natures == ["61"]
    assert idflux in late.text


async def test_non_monthly_declaration_gets_only_10_and_11(
    concentrator: Session, clock: ManualClock
) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn(nature="04")))
    clock.advance(timedelta(minutes=30))
    assert [r["nature"] for r in await _returns(concentrator, idflux)] == ["10", "11"]


@pytest.mark.parametrize(
    ("raw", "code", "identifiant", "ligne"),
    [
        (build_dsn(total=99), "CCH-11", "S90.G00.90.001", 37),
        (build_dsn(siren="732829321"), "CSL-11", "S10.G00.01.001", 8),
        (build_dsn(nic="00001"), "CSL-11", "S10.G00.01.002", 9),
        (build_dsn(extra=("S21.G00.30.005,'03'",)), "CSL-02", "S21.G00.30.005", 37),
        (build_dsn(extra=("garbage line",)), "CSL-00", None, 37),
        (build_dsn(extra=("S21.G00.30.002,''",)), "CSL-01", "S21.G00.30.002", 37),
        (build_dsn().replace(b"Jean", "Jéan".encode()), "CSL-00", None, 25),
    ],
    ids=["s90-total", "siren-key", "nic-key", "enum", "grammar", "empty-value", "utf8"],
)
async def test_ban_lists_the_anomalies(
    concentrator: Session,
    clock: ManualClock,
    raw: bytes,
    code: str,
    identifiant: str | None,
    ligne: int,
) -> None:
    response = await concentrator.deposit(raw)
    assert response.status_code == 200  # the AEE: anomalies come with nature 11
    idflux = _idflux(response)
    clock.advance(timedelta(minutes=5))
    listed = await _returns(concentrator, idflux)
    assert [(r["nature"], r["statut"]) for r in listed] == [("10", "OK"), ("11", "KO")]
    ban = await _download(concentrator, idflux, listed[1])
    assert ban.get("type") == "BAN"
    anomalies = list(ban.iter("envoi_anomalie")) + list(ban.iter("declaration_anomalie"))
    matching = [a for a in anomalies if a.findtext("description/code") == code]
    assert matching, [a.findtext("description/code") for a in anomalies]
    anomaly = matching[0]
    assert anomaly.findtext("description/categorie") == "bloquant"
    assert anomaly.findtext("description/numero_ligne") == str(ligne)
    assert anomaly.findtext("valeurs/rubrique_declenchante/identifiant") == identifiant
    ident = ban.find("declaration/declaration_identification")
    assert ident is not None
    assert [child.tag for child in ident] == [
        "rang",
        "nature",
        "type",
        "fraction",
        "ordre",
        "mois",
        "SIREN",
        "nic_siege",
        "nic_affectation",
    ]
    assert ban.findtext("declaration/declaration_bilan/niveau_conformite/etat_conformite") == "KO"


async def test_ban_counters_and_rubric_details(concentrator: Session, clock: ManualClock) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn(total=99, siren="732829321")))
    clock.advance(timedelta(seconds=2))
    ban = await _download(concentrator, idflux, (await _returns(concentrator, idflux))[1])
    counters = {
        c.findtext("envoi_categorie"): c.findtext("nombre") for c in ban.iter("envoi_compteurs")
    }
    assert counters == {"generale": "2", "declaration": "1", "total": "3"}
    siren = next(
        a
        for a in ban.iter("declaration_anomalie")
        if a.findtext("valeurs/rubrique_declenchante/identifiant") == "S21.G00.06.001"
    )
    assert siren.findtext("valeurs/rubrique_declenchante/libelle") == "SIREN"
    assert siren.findtext("valeurs/rubrique_declenchante/valeur") == "732829321"
    assert siren.findtext("description/message") == (
        "Le SIREN de l'entreprise ne respecte pas la clé SIREN."
    )


async def test_ban_stops_the_lifecycle(concentrator: Session, clock: ManualClock) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn(total=3)))
    clock.advance(timedelta(minutes=30))
    assert [r["nature"] for r in await _returns(concentrator, idflux)] == ["10", "11"]


async def test_forced_ban(concentrator: Session, clock: ManualClock) -> None:
    await concentrator.http.post("/_mock/config", json={"force": "BAN"})
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    clock.advance(timedelta(seconds=2))
    ban = await _download(concentrator, idflux, (await _returns(concentrator, idflux))[1])
    assert ban.get("type") == "BAN"
    assert ban.findtext("envoi/envoi_anomalie/description/code") == "MOCK-01"


async def test_return_delays_are_configurable(concentrator: Session, clock: ManualClock) -> None:
    await concentrator.http.post("/_mock/config", json={"return_delays": {"11": 600}})
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    clock.advance(timedelta(seconds=599))
    assert "11" not in [r["nature"] for r in await _returns(concentrator, idflux)]
    clock.advance(timedelta(seconds=1))
    assert "11" in [r["nature"] for r in await _returns(concentrator, idflux)]


async def test_clock_can_be_advanced_through_the_admin_api(concentrator: Session) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    response = await concentrator.http.post("/_mock/clock", json={"seconds": 120})
    assert response.json()["now"] == "2026-03-10T09:02:00+00:00"
    assert len(await _returns(concentrator, idflux)) == 6


async def _fresh_token(session: Session) -> None:
    token = await login(session.http, CONCENTRATOR, "98")
    session.authorization = f"DSNLogin concentrateur={token}"


async def test_returns_are_purged_after_retention(
    concentrator: Session, clock: ManualClock
) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    clock.advance(timedelta(days=89))
    await _fresh_token(concentrator)
    assert (await concentrator.get(f"/telecharger-retour/1.0/{idflux}/1")).status_code == 200
    clock.advance(timedelta(days=2))
    await _fresh_token(concentrator)
    assert (await concentrator.get(f"/lister-retours-flux/1.0/{idflux}")).status_code == 404
    assert (await concentrator.get(f"/telecharger-retour/1.0/{idflux}/1")).status_code == 404


async def test_dgfip_crm_carries_each_employee_rate(
    concentrator: Session, clock: ManualClock
) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn(individuals=3)))
    clock.advance(timedelta(minutes=1))
    crm = next(r for r in await _returns(concentrator, idflux) if r["nature"] == "94")
    body = await _download(concentrator, idflux, crm)
    salaries = list(body.iterfind("declaration/declaration_bilan/salarie"))
    assert [s.findtext("NIR") for s in salaries] == [
        "1850775123400",
        "1850775123401",
        "1850775123402",
    ]
    assert all(s.findtext("taux_imposition_PAS") for s in salaries)
    assert body.get("message", "").startswith("En cas d'absence de taux")


async def test_urssaf_crm_certificate_quotes_the_amounts(
    concentrator: Session, clock: ManualClock
) -> None:
    idflux = _idflux(await concentrator.deposit(build_dsn()))
    clock.advance(timedelta(seconds=10))
    crm = next(r for r in await _returns(concentrator, idflux) if r["nature"] == "61")
    body = await _download(concentrator, idflux, crm)
    certificate = body.findtext(
        "declaration/declaration_bilan/niveau_conformite/certificat_conformite"
    )
    assert certificate is not None
    assert "1234,56 euros" in certificate and "10/03/2026 à 10:00" in certificate
    assert body.findtext("declaration/declaration_identification/mois") == "2026-02-01"


def _bilans_family(path: Path) -> bool:
    """The official samples of the bilans family (`gipmds:rapport`): the ones this XSD is for;
    the NEOReS and OC CRMs have their own schemas."""
    return b"gip-mds.fr/" in path.read_bytes()[:600] and b"rapport" in path.read_bytes()[:600]


@pytest.mark.parametrize(
    "path", sorted(p.name for p in FIXTURES.glob("*.xml") if _bilans_family(p))
)
def test_official_samples_validate_against_v02r03(path: str) -> None:
    assert validation_errors((FIXTURES / path).read_bytes()) == []


def test_dgfip_sample_is_not_valid_against_v01r06() -> None:
    """The DGFiP 94 sample is of another, later format: only v02r03 accepts it."""
    errors = validation_errors(
        (FIXTURES / "Exemple-94-DGFIP-crm-nominatif.xml").read_bytes(), "v01r06"
    )
    assert any("salarie" in error for error in errors)
