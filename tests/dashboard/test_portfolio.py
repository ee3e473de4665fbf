"""Issue 17 over HTTP (both databases): "filed" means filed, urgency order, the portfolio grid,
bulk transmission with one confirmation, htmx session expiry, French 404, administration."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine

from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.declarations import timeline
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.norm.sample import sample_bytes
from tests.dashboard.conftest import Tenant, csrf_of, sign_in_with_key, upload

S = DeclarationStatus
PATHS = {
    S.TRANSMISSION_FAILED: [S.ORDERED, S.TRANSMISSION_FAILED],
    S.REJECTED_BY_DEPOSIT_POINT: [S.ORDERED, S.TRANSMITTING, S.REJECTED_BY_DEPOSIT_POINT],
    S.REFUSED_BY_DEPOSIT_POINT: [S.ORDERED, S.TRANSMITTING, S.REFUSED_BY_DEPOSIT_POINT],
    S.CONFORM: [S.ORDERED, S.TRANSMITTING, S.DEPOSITED, S.CONFORM],
    S.DEPOSITED: [S.ORDERED, S.TRANSMITTING, S.DEPOSITED],
}
# Valid SIRENs (Luhn) with their head office NIC.
COMPANIES = [
    ("732829320", "00074", "Alpha Boulangerie", 15),
    ("552100554", "00013", "Bravo Transports", 5),
    ("356000000", "00048", "Charlie Poste", 15),
    ("542107651", "00029", "Delta Énergie", 5),
    ("443061841", "00013", "Echo Conseil", 15),
]


def move(engine: Engine, declaration_id: str, to: DeclarationStatus, clock: FrozenClock) -> None:
    """Walk a validated declaration to `to` through the timeline (as the worker would)."""
    with db.unit_of_work(db.session_factory(engine)) as session:
        declaration = session.get(Declaration, uuid.UUID(declaration_id))
        assert declaration is not None and declaration.status == S.VALIDATED
        for step in PATHS[to]:
            timeline.advance(session, declaration, step, at=clock.now())


async def _companies(api: httpx.AsyncClient, tenant: Tenant) -> None:
    for siren, nic, name, due_day in COMPANIES:
        # A transmission can only be ordered for a company with a declarant.
        declarant = await api.post(
            "/v1/declarants",
            headers=tenant.headers,
            json={"siret": siren + nic, "nom": "PAIE", "prenom": "SERVICE", "password": "pw-1"},
        )
        assert declarant.status_code == 201, declarant.text
        response = await api.post(
            "/v1/companies",
            headers=tenant.headers,
            json={
                "siren": siren,
                "name": name,
                "due_day": due_day,
                "declarant_id": declarant.json()["id"],
                "establishments": [{"nic": nic, "name": "Siège"}],
            },
        )
        assert response.status_code == 201, response.text


def _rows(html: str) -> list[str]:
    """The companies of the Échéances table, in the order shown."""
    body = html.split('id="echeances"', 1)[1]
    return re.findall(r'<th scope="row" data-label="Entreprise">([^<]+)<br>', body)


async def test_failed_ban_are_and_unsent_files_are_still_to_do(
    api: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    tenant: Tenant,
    db_engine: Engine,
    clock: FrozenClock,
) -> None:
    await _companies(api, tenant)
    ids = {}
    for (siren, nic, name, _), seed in zip(COMPANIES, range(1, 6), strict=True):
        response = await upload(api, tenant, siren, nic, seed=seed)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    move(db_engine, ids["Alpha Boulangerie"], S.TRANSMISSION_FAILED, clock)
    move(db_engine, ids["Bravo Transports"], S.REJECTED_BY_DEPOSIT_POINT, clock)
    move(db_engine, ids["Charlie Poste"], S.REFUSED_BY_DEPOSIT_POINT, clock)
    move(db_engine, ids["Delta Énergie"], S.CONFORM, clock)
    # Echo Conseil stays validated: never sent.

    assert (await sign_in_with_key(browser, tenant.key)).status_code == 303
    page = await browser.get("/app/echeances", params={"mois": "2026-10", "a_faire": "oui"})
    assert page.status_code == 200
    assert "4 entreprises" in page.text
    assert sorted(_rows(page.text)) == [
        "Alpha Boulangerie",
        "Bravo Transports",
        "Charlie Poste",
        "Echo Conseil",
    ]
    everything = await browser.get("/app/echeances", params={"mois": "2026-10"})
    assert everything.text.count("À faire : 0 / 1") == 4
    assert everything.text.count("Déposée : 1 / 1") == 1
    # What is at risk first: the due-day-5 companies (earlier cut-off), the filed one last.
    assert _rows(everything.text) == [
        "Bravo Transports",
        "Alpha Boulangerie",
        "Charlie Poste",
        "Echo Conseil",
        "Delta Énergie",
    ]
    by_name = await browser.get("/app/echeances", params={"mois": "2026-10", "tri": "nom"})
    assert _rows(by_name.text)[0] == "Alpha Boulangerie"
    assert _rows(by_name.text)[-1] == "Echo Conseil"
    # SIRET prefix and due-day filters.
    prefix = await browser.get("/app/echeances", params={"mois": "2026-10", "q": "7328"})
    assert _rows(prefix.text) == ["Alpha Boulangerie"]
    day5 = await browser.get("/app/echeances", params={"mois": "2026-10", "jour": "5"})
    assert sorted(_rows(day5.text)) == ["Bravo Transports", "Delta Énergie"]

    # A rejected file sent again: the old one says it was replaced and links to the new one.
    clock.advance(timedelta(seconds=1))  # sent after the first one, not at the same instant
    again = await upload(api, tenant, "552100554", "00013", seed=11)
    assert again.status_code == 201
    replaced = await browser.get("/app/echeances", params={"mois": "2026-10", "q": "Bravo"})
    assert f'remplacée par <a href="/app/declarations/{again.json()["id"]}"' in replaced.text

    # After the deadline, a company filed on time shows no overdue countdown.
    clock.advance(timedelta(days=30))
    late = await browser.get("/app/echeances", params={"mois": "2026-10", "q": "Delta"})
    assert "dépassée" not in late.text.split('id="echeances"', 1)[1]
    overdue = await browser.get("/app/echeances", params={"mois": "2026-10", "q": "Echo"})
    assert "dépassée depuis" in overdue.text


async def test_grid_shows_twelve_months_with_a_state_per_cell(
    api: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    tenant: Tenant,
    db_engine: Engine,
    clock: FrozenClock,
) -> None:
    await _companies(api, tenant)
    late = await api.post(
        "/v1/declarations",
        params={"accept_late": "true"},
        headers={**tenant.headers, "Content-Type": "application/octet-stream"},
        content=sample_bytes(employees=2, month="2026-09", seed=1, siren="732829320", nic="00074"),
    )
    assert late.status_code == 201, late.text
    conform = late.json()
    move(db_engine, conform["id"], S.CONFORM, clock)
    failed = (await upload(api, tenant, "732829320", "00074", seed=2)).json()
    move(db_engine, failed["id"], S.TRANSMISSION_FAILED, clock)
    await sign_in_with_key(browser, tenant.key)
    grid = await browser.get("/app/portefeuille", params={"mois": "2026-10", "q": "Alpha"})
    assert grid.status_code == 200
    row = grid.text.split("Alpha Boulangerie<br>", 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="case (\w+)">', row)
    assert len(cells) == 12
    assert cells[-2:] == ["depose", "rejete"]  # September filed, October failed
    assert cells[0] == "non_suivi"  # November 2025: due before the company was added
    assert f"/app/declarations/{conform['id']}" in row
    all_rows = await browser.get("/app/portefeuille", params={"mois": "2026-10"})
    assert "5 entreprises" in all_rows.text

    def last_cell(html: str, name: str) -> str:
        row = html.split(f"{name}<br>", 1)[1].split("</tr>", 1)[0]
        return re.findall(r'<td class="case (\w+)">', row)[-1]

    assert last_cell(all_rows.text, "Bravo Transports") == "manquant"  # due on Nov 5
    clock.advance(timedelta(days=30))
    later = await browser.get("/app/portefeuille", params={"mois": "2026-10"})
    assert last_cell(later.text, "Bravo Transports") == "en_retard"
    assert last_cell(later.text, "Alpha Boulangerie") == "rejete"


async def test_bulk_transmission_asks_once_then_orders_each(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    await _companies(api, tenant)
    first = (await upload(api, tenant, "732829320", "00074", seed=1)).json()
    second = (await upload(api, tenant, "552100554", "00013", seed=2)).json()
    await sign_in_with_key(browser, tenant.key)
    listing = await browser.get("/app/declarations")
    assert listing.text.count('form="transmission-groupee"') == 2
    csrf = csrf_of(listing.text)
    confirm = await browser.post(
        "/app/declarations/transmettre",
        data={"csrf": csrf, "ids": [first["id"], second["id"], "pas-un-id"]},
    )
    assert confirm.status_code == 200
    assert "Confirmer la transmission de 2 déclarations" in confirm.text
    for declaration in (first, second):  # nothing ordered yet
        read = await api.get(f"/v1/declarations/{declaration['id']}", headers=tenant.headers)
        assert read.json()["status"] == "validated"
    done = await browser.post(
        "/app/declarations/transmettre",
        data={"csrf": csrf, "ids": [first["id"], second["id"]], "confirmer": "oui"},
    )
    assert "2 ordres donnés" in done.text
    for declaration in (first, second):
        read = await api.get(f"/v1/declarations/{declaration['id']}", headers=tenant.headers)
        assert read.json()["status"] == "ordered"
    twice = await browser.post(
        "/app/declarations/transmettre",
        data={"csrf": csrf, "ids": [first["id"]], "confirmer": "oui"},
    )
    assert "Aucune des déclarations choisies" in twice.text
    empty = await browser.post("/app/declarations/transmettre", data={"csrf": csrf})
    assert empty.status_code == 303
    assert "Cochez au moins" in (await browser.get(empty.headers["location"])).text


async def test_htmx_request_after_expiry_redirects_the_whole_page(
    browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in_with_key(browser, tenant.key)
    browser.cookies.clear()  # the session cookie is past its lifetime: it reads as expired
    fragment = await browser.get(
        "/app/declarations",
        params={"statut": "validated"},
        headers={
            "Cookie": "dsnlink_session=expired-or-forged",
            "HX-Request": "true",
            "HX-Current-URL": "http://localhost/app/echeances?mois=2026-10",
        },
    )
    assert fragment.status_code == 401  # never a 303 that htmx would follow and swap
    location = fragment.headers["HX-Redirect"]
    assert location.startswith("/app/connexion?")
    assert "suivant=%2Fapp%2Fecheances%3Fmois%3D2026-10" in location
    assert "raison=expiree" in location
    sign_in_page = await browser.get(location, headers={"Cookie": "dsnlink_session=x"})
    assert "Votre session a expiré" in sign_in_page.text
    plain = await browser.get("/app/declarations")
    assert plain.status_code == 303 and "HX-Redirect" not in plain.headers


async def test_unknown_dashboard_page_is_french(browser: httpx.AsyncClient) -> None:
    response = await browser.get("/app/nimporte/quoi")
    assert response.status_code == 404
    assert "Page introuvable" in response.text and "Not Found" not in response.text


async def test_admin_creates_a_key_shown_once_revokes_it_and_adds_a_declarant(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in_with_key(browser, tenant.key)
    page = await browser.get("/app/administration")
    assert page.status_code == 200
    created = await browser.post(
        "/app/administration/cles", data={"csrf": csrf_of(page.text), "nom": "paie"}
    )
    assert created.status_code == 200
    key = re.search(r'<code class="cle" id="nouvelle-cle">([^<]+)</code>', created.text)
    assert key is not None
    works = await api.get("/v1/companies", headers={"Authorization": f"Bearer {key.group(1)}"})
    assert works.status_code == 200
    again = await browser.get("/app/administration")
    assert key.group(1) not in again.text  # shown once
    keys = (await api.get("/v1/api-keys", headers=tenant.headers)).json()
    key_id = next(k["id"] for k in keys if k["name"] == "paie")
    assert f"/app/administration/cles/{key_id}/revoquer" in again.text
    revoked = await browser.post(
        f"/app/administration/cles/{key_id}/revoquer", data={"csrf": csrf_of(again.text)}
    )
    assert revoked.status_code == 303
    refused = await api.get("/v1/companies", headers={"Authorization": f"Bearer {key.group(1)}"})
    assert refused.status_code == 401
    bad = await browser.post(
        "/app/administration/declarants",
        data={
            "csrf": csrf_of(again.text),
            "siret": "123",
            "nom": "X",
            "prenom": "Y",
            "mot_de_passe": "z",
        },
    )
    assert bad.status_code == 422 and "Vérifiez le SIRET" in bad.text
    good = await browser.post(
        "/app/administration/declarants",
        data={
            "csrf": csrf_of(again.text),
            "siret": "73282932000074",
            "nom": "PAIE",
            "prenom": "SERVICE",
            "mot_de_passe": "s3cret",
        },
    )
    assert good.status_code == 303
    listed = await browser.get("/app/administration")
    assert "73282932000074" in listed.text and "s3cret" not in listed.text


def _valid_siren(index: int) -> tuple[str, str]:
    """A SIREN (Luhn) and a NIC making a valid SIRET, for the index-th test company."""
    from stdnum.fr import siren as siren_check
    from stdnum.fr import siret as siret_check

    base = f"{900000000 + index * 10:09d}"[:8]
    siren = next(base + str(d) for d in range(10) if siren_check.is_valid(base + str(d)))
    nic = next(f"{n:05d}" for n in range(10, 200) if siret_check.is_valid(siren + f"{n:05d}"))
    return siren, nic


async def test_a_portfolio_of_many_companies_pages_by_fifty_with_direct_links(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    for index in range(1, 56):
        siren, nic = _valid_siren(index)
        created = await api.post(
            "/v1/companies",
            headers=tenant.headers,
            json={
                "siren": siren,
                "name": f"Société {index:03d}",
                "due_day": 5 if index % 2 else 15,
                "establishments": [{"nic": nic, "name": "Siège"}],
            },
        )
        assert created.status_code == 201, created.text
    await sign_in_with_key(browser, tenant.key)
    for path in ("/app/portefeuille", "/app/echeances"):
        first = await browser.get(path, params={"mois": "2026-10", "tri": "nom"})
        assert "55 entreprises" in first.text
        assert "Société 050" in first.text and "Société 051" not in first.text
        assert 'aria-label="Page 2"' in first.text
        assert 'class="page-courante">1<' in first.text
        second = await browser.get(path, params={"mois": "2026-10", "tri": "nom", "page": "2"})
        assert "Société 051" in second.text and "Société 001" not in second.text
    day15 = await browser.get("/app/portefeuille", params={"mois": "2026-10", "jour": "15"})
    assert "27 entreprises" in day15.text


async def test_status_pages_write_numbers_and_months_the_french_way(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    public = (await api.get("/status")).text
    assert "Disponibilité de novembre 2026" in public
    assert "<strong>100,00 %</strong>" in public and "100.00" not in public
    await sign_in_with_key(browser, tenant.key)
    framed = await browser.get("/app/etat")
    assert framed.status_code == 200
    assert 'href="/app/declarations"' in framed.text  # inside the dashboard's frame
    assert "Disponibilité de novembre 2026" in framed.text and "100,00 %" in framed.text


async def test_the_months_zip_holds_each_signed_receipt_and_a_french_summary(
    api: httpx.AsyncClient, browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    import io
    import json
    import zipfile

    await _companies(api, tenant)
    first = (await upload(api, tenant, "732829320", "00074", seed=1)).json()
    await upload(api, tenant, "552100554", "00013", seed=2)
    await sign_in_with_key(browser, tenant.key)
    export = await browser.get("/app/echeances/export", params={"mois": "2026-10"})
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    assert "dsn-2026-10-retours-et-recus.zip" in export.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    receipts = [n for n in archive.namelist() if n.endswith("/recu.json")]
    assert len(receipts) == 2
    mine = next(n for n in receipts if first["id"] in n)
    signed = json.loads(archive.read(mine))
    assert signed["payload"]["declaration_id"] == first["id"] and signed["signature"]
    summary = archive.read("sommaire.csv").decode("utf-8-sig")
    assert summary.splitlines()[0] == "Déclaration;Entreprise;SIRET;Statut;Retours"
    assert "Validée, à transmettre" in summary and "validated" not in summary
    other_month = await browser.get("/app/echeances/export", params={"mois": "2026-09"})
    assert zipfile.ZipFile(io.BytesIO(other_month.content)).namelist() == ["sommaire.csv"]


async def test_a_ko_crm_reads_as_a_page_by_employee_with_csv(
    api: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    tenant: Tenant,
    settings: Settings,
    db_engine: Engine,
    clock: FrozenClock,
) -> None:
    """An organism's KO CRM (official sample): by employee, NIR masked, next step, CSV."""
    import io
    import zipfile
    from pathlib import Path

    from dsnlink.security.keys import keyring_from_settings
    from dsnlink.transmission.models import DepositReturn

    await _companies(api, tenant)
    declaration = (await upload(api, tenant, "732829320", "00074", seed=1)).json()
    move(db_engine, declaration["id"], S.CONFORM, clock)
    xml = (
        Path(__file__).resolve().parents[1]
        / "fixtures"
        / "returns"
        / "exemple_retour_121_CRM_ID_KO.xml"
    ).read_bytes()
    keyring = keyring_from_settings(settings)
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        session.add(
            DepositReturn(
                declaration_id=uuid.UUID(declaration["id"]),
                idflux="FLUX121",
                nature="121",
                ops="CNAV",
                status="KO",
                return_id="R121",
                kind="CRM",
                label="CNAV - compte rendu métier",
                published_at=clock.now(),
                downloaded_at=clock.now(),
                xml_sealed=keyring.encrypt(xml),
                parsed_sealed=keyring.seal_json({"anomalies": []}),
            )
        )
    await sign_in_with_key(browser, tenant.key)
    detail = await browser.get(f"/app/declarations/{declaration['id']}")
    link = f"/app/declarations/{declaration['id']}/retours/R121/lecture"
    assert link in detail.text
    page = await browser.get(link)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Compte rendu métier d'un organisme (CRM) : anomalies bloquantes" in text
    assert "contactez l'organisme" in text
    assert "XXX XXX" in text and "YYY YYY" in text  # one section per employee
    assert "NIR •••••••••0123" in text and "1232067090123" not in text
    csv_file = await browser.get(
        f"/app/declarations/{declaration['id']}/retours/R121/anomalies.csv"
    )
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert csv_file.text.lstrip("\ufeff").count("\r\n") == 3  # header and two anomalies
    printable = await browser.get(link, params={"telecharger": "html"})
    assert printable.status_code == 200, printable.text[:300]
    assert "attachment" in printable.headers["content-disposition"]
    assert "<style>" in printable.text and "/app/static" not in printable.text
    export = await browser.get("/app/echeances/export", params={"mois": "2026-10"})
    assert export.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert {n.rsplit("/", 1)[1] for n in names if "R121" in n} == {
        "retour-R121.xml",
        "retour-R121.html",
        "retour-R121-anomalies.csv",
    }
    missing = await browser.get(f"/app/declarations/{declaration['id']}/retours/NOPE/lecture")
    assert missing.status_code == 404 and "Introuvable" in missing.text
