"""Issue 17 in a real headless Chromium (Debian's, through Playwright) against the real gateway,
its in-process worker, the mock deposit point and a real SMTP server, all on loopback: what is
"à faire" (failed, BAN and never-sent files are), urgency order, the portfolio grid, bulk
transmission, readable returns downloaded as CSV/HTML and printed to PDF, the month's zip, session
expiry on an htmx action, the 390 px phone layout, and an alert e-mail received.

Skipped when Chromium or Playwright is missing, except under CI=true, where that fails.
"""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from api.cli import gateway, start_server
from dsnlink import db
from dsnlink.clock import SystemClock
from dsnlink.config import Settings
from dsnlink.declarations import monthly, timeline
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.norm.sample import sample_bytes
from dsnlink.tenants import service as tenants_service
from mock_netentreprises import MockConfig
from mock_netentreprises import create_app as create_mock
from tests.alerts.conftest import Inbox, free_port
from tests.conftest import TEST_ENCRYPTION_KEY, TEST_SIGNING_KEY
from tests.dashboard.conftest import PASSWORD
from tests.dashboard.test_browser import CHROMIUM, SCREENSHOTS, _require_browser

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None  # type: ignore[assignment]

S = DeclarationStatus
EMAIL = "admin@cabinet-martin.example"
ALERTS_TO = "alertes@cabinet-martin.example"
# (SIREN, NIC, name, due day); all valid (Luhn).
COMPANIES = [
    ("732829320", "00074", "Alpha Boulangerie", 15),
    ("552100554", "00013", "Bravo Transports", 5),
    ("356000000", "00048", "Charlie Poste", 20),
    ("542107651", "00029", "Delta Énergie", 5),
    ("443061841", "00013", "Echo Conseil", 15),
    ("812345676", "00017", "Foxtrot Menuiserie", 15),
]


@dataclass
class Stack:
    url: str
    settings: Settings
    inbox: Inbox
    month: str
    ids: dict[str, str]


def _walk(settings: Settings, declaration_id: str, steps: list[DeclarationStatus]) -> None:
    """Move a validated declaration as the worker would (the mock cannot be told to fail)."""
    engine = db.engine_from_settings(settings)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            declaration = session.get(Declaration, uuid.UUID(declaration_id))
            assert declaration is not None
            for step in steps:
                timeline.advance(session, declaration, step, at=datetime.now(UTC))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _require_browser()
    inbox = Inbox(host="127.0.0.1", port=free_port())
    smtp = Controller(inbox, hostname=inbox.host, port=inbox.port)
    smtp.start()
    mock = start_server(
        create_mock(
            MockConfig(
                accept_unknown_declarants=True,
                return_delays={"10": 0.0, "11": 0.5, "60": 30.0, "61": 30.0, "92": 1.0},
                seed=11,
            )
        ),
        host="127.0.0.1",
        port=0,
        what="mock deposit point",
    )
    settings = Settings(
        environment="test",
        data_dir=tmp_path_factory.mktemp("gateway17"),
        secret_key="browser-test-secret-key-issue-17",
        encryption_keys=TEST_ENCRYPTION_KEY,
        receipt_signing_key=TEST_SIGNING_KEY,
        deposit_point_url=mock.url,
        worker_poll_seconds=0.2,
        returns_poll_seconds=0.5,
        returns_lag_seconds=0.0,
        smtp_host=inbox.host,
        smtp_port=inbox.port,
        smtp_security="none",
        alerts_every_seconds=0.5,
    )
    try:
        with gateway(settings, host="127.0.0.1", port=0, worker=True) as running:
            month = monthly.declaring_month(now=datetime.now(UTC))
            ids = _set_up(settings, running.url, month)
            yield Stack(url=running.url, settings=settings, inbox=inbox, month=month, ids=ids)
    finally:
        mock.stop()
        smtp.stop()


def _set_up(settings: Settings, url: str, month: str) -> dict[str, str]:
    engine = db.engine_from_settings(settings)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            created = tenants_service.create_tenant(
                session,
                name="Cabinet Martin",
                admin_email=EMAIL,
                secret=settings.secret_key,
                clock=SystemClock(),
            )
    finally:
        engine.dispose()
    assert created.api_key
    ids = {}
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {created.api_key}"}, timeout=30
    ) as api:
        declarant = (
            api.post(
                "/v1/declarants",
                json={
                    "siret": "73282932000074",
                    "nom": "PAIE",
                    "prenom": "SERVICE",
                    "password": "x",
                },
            )
            .raise_for_status()
            .json()
        )
        api.patch(f"/v1/users/{created.admin.id}", json={"password": PASSWORD}).raise_for_status()
        for seed, (siren, nic, name, due_day) in enumerate(COMPANIES, start=40):
            api.post(
                "/v1/companies",
                json={
                    "siren": siren,
                    "name": name,
                    "due_day": due_day,
                    "declarant_id": declarant["id"],
                    "establishments": [{"nic": nic, "name": "Siège"}],
                },
            ).raise_for_status()
            uploaded = api.post(
                "/v1/declarations",
                params={"filename": f"{name.split()[0].lower()}.dsn", "accept_late": "true"},
                content=sample_bytes(employees=3, month=month, seed=seed, siren=siren, nic=nic),
                headers={"Content-Type": "application/octet-stream"},
            )
            uploaded.raise_for_status()
            ids[name] = uploaded.json()["id"]
    return ids


@pytest.fixture(scope="module")
def browser(stack: Stack) -> Iterator[Browser]:
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _sign_in(page: Page, url: str, target: str = "/app/declarations") -> None:
    page.goto(f"{url}{target}")
    page.get_by_role("textbox", name="Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page).to_have_url(f"{url}{target}")


def _rows(page: Page) -> list[str]:
    names = page.locator("#echeances tbody th[scope=row]").all_inner_texts()
    return [n.split("\n")[0].strip() for n in names]


def test_portfolio_journey_in_chromium(stack: Stack, browser: Browser, tmp_path: Path) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR", accept_downloads=True
    )
    page = context.new_page()
    _sign_in(page, stack.url, "/app/alertes")

    # Alerts: the administrator chooses the address before anything goes wrong.
    page.get_by_label("Adresses e-mail").fill(ALERTS_TO)
    page.get_by_label("Rappels avant l'heure limite").fill("48, 12")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".message.succes")).to_have_text("Réglages enregistrés.")
    expect(page.get_by_label("Adresses e-mail")).to_have_value(ALERTS_TO)

    # What the worker would do: one transmission fails, one file gets a BAN, one is conform.
    ids = stack.ids
    _walk(stack.settings, ids["Alpha Boulangerie"], [S.ORDERED, S.TRANSMISSION_FAILED])
    _walk(
        stack.settings,
        ids["Bravo Transports"],
        [S.ORDERED, S.TRANSMITTING, S.REJECTED_BY_DEPOSIT_POINT],
    )
    _walk(stack.settings, ids["Delta Énergie"], [S.ORDERED, S.TRANSMITTING, S.DEPOSITED, S.CONFORM])

    # Échéances: failed, BAN-rejected and never-sent files are "à faire"; urgency first.
    page.get_by_role("link", name="Échéances", exact=True).click()
    expect(page.get_by_role("heading", name="6 entreprises")).to_be_visible()
    assert _rows(page) == [
        "Bravo Transports",  # due on the 5th: the earliest cut-off
        "Alpha Boulangerie",
        "Echo Conseil",
        "Foxtrot Menuiserie",
        "Charlie Poste",  # due on the 20th
        "Delta Énergie",  # filed: last
    ]
    bravo = page.locator("#echeances tbody tr").first
    expect(bravo).to_contain_text("À faire : 0 / 1")
    expect(bravo.locator(".compte-a-rebours").first).to_be_visible()
    expect(page.locator("#echeances tbody tr").last).to_contain_text("Déposée : 1 / 1")
    _shot(page, "05-echeances")
    page.get_by_label("Seulement les entreprises dont un établissement n'a pas déposé").check()
    expect(page.get_by_role("heading", name="5 entreprises")).to_be_visible()
    assert "Delta Énergie" not in _rows(page)
    page.get_by_label("Entreprise, SIREN ou SIRET").fill("5521")
    expect(page.get_by_role("heading", name="1 entreprise", exact=True)).to_be_visible()
    assert _rows(page) == ["Bravo Transports"]

    # The alert e-mails, sent by the worker through the SMTP server.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(stack.inbox.messages) < 2:
        time.sleep(0.2)
    subjects = sorted(m["Subject"] for m in stack.inbox.messages)
    assert any("Échec de transmission — Alpha Boulangerie" in s for s in subjects), subjects
    assert any("Rejet par le point de dépôt (BAN) — Bravo Transports" in s for s in subjects)
    assert all(m["To"] == ALERTS_TO for m in stack.inbox.messages)
    page.get_by_role("link", name="Alertes", exact=True).click()
    expect(page.locator("table").first).to_contain_text("Échec de transmission")
    expect(page.locator("table").first).to_contain_text("envoyée")
    _shot(page, "09-alertes")

    # The grid: a colour per company and month, linking to the declaration.
    page.get_by_role("link", name="Portefeuille", exact=True).click()
    expect(page.get_by_role("heading", name="6 entreprises")).to_be_visible()
    alpha = page.locator("tr", has=page.get_by_role("rowheader", name="Alpha Boulangerie"))
    expect(alpha.locator("td.case")).to_have_count(12)
    expect(alpha.locator("td.case").last).to_have_class("case rejete")
    delta = page.locator("tr", has=page.get_by_role("rowheader", name="Delta Énergie"))
    expect(delta.locator("td.case").last).to_have_class("case depose")
    _shot(page, "07-portefeuille")
    delta.locator("td.case").last.get_by_role("link").click()
    expect(page.locator("#resume-titre")).to_contain_text("Conforme")

    # Bulk "Transmettre": two validated files ticked, one confirmation, both ordered.
    page.get_by_role("link", name="Déclarations", exact=True).click()
    page.get_by_role("button", name="(toutes)").click()  # the page's validated ones
    page.get_by_label("Choisir Charlie Poste", exact=False).uncheck()
    expect(page.get_by_label("Choisir Echo Conseil", exact=False)).to_be_checked()
    expect(page.get_by_label("Choisir Foxtrot Menuiserie", exact=False)).to_be_checked()
    page.get_by_role("button", name="Transmettre la sélection").click()
    expect(page.get_by_role("heading", name="Transmettre 2 déclarations")).to_be_visible()
    page.get_by_role("button", name="Confirmer la transmission de 2 déclarations").click()
    expect(
        page.get_by_role("heading", name="Transmission groupée : 2 ordres donnés")
    ).to_be_visible()

    # A return as a page, its CSV, its printable HTML and a PDF of it; the month's zip.
    page.get_by_role("link", name="Echo Conseil", exact=False).click()
    returns = page.locator("table.retours")
    expect(returns).to_contain_text("Certificat de conformité (CCO)", timeout=30_000)
    returns.get_by_role("link", name="Lire Certificat de conformité (CCO)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Certificat de conformité")
    expect(page.locator(".message")).to_contain_text("Et maintenant ?")
    _shot(page, "08-retour")
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Télécharger les anomalies (CSV)").click()
    csv_text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    assert csv_download.value.suggested_filename.endswith(".csv")
    assert csv_text.splitlines()[0].count(";") >= 4  # French headers, `;`-separated
    with page.expect_download() as html_download:
        page.get_by_role("link", name="Télécharger cette page (HTML imprimable)").click()
    printable = Path(html_download.value.path()).read_text(encoding="utf-8")
    assert "Et maintenant ?" in printable and "<style>" in printable
    pdf = tmp_path / "retour.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf))
    page.emulate_media(media="screen")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    with page.expect_download() as receipt_download:
        page.goto(f"{stack.url}/app/declarations/{ids['Echo Conseil']}")
        page.get_by_role("link", name="Télécharger le reçu de dépôt signé").click()
    assert b'"signature"' in Path(receipt_download.value.path()).read_bytes()
    with page.expect_download() as zip_download:
        page.goto(f"{stack.url}/app/echeances?mois={stack.month}")
        page.get_by_role("link", name="Retours et reçus du mois (zip)").click()
    names = zipfile.ZipFile(io.BytesIO(Path(zip_download.value.path()).read_bytes())).namelist()
    assert "sommaire.csv" in names
    assert sum(n.endswith("recu.json") for n in names) == 6
    assert any(n.endswith(".html") for n in names) and any(n.endswith(".csv") for n in names)

    # Session expiry on an htmx action: the sign-in page, saying why, never an emptied list.
    page.get_by_role("link", name="Déclarations", exact=True).click()
    context.clear_cookies()
    page.get_by_label("Statut").select_option("validated")
    expect(page).to_have_url(
        f"{stack.url}/app/connexion?suivant=%2Fapp%2Fdeclarations&raison=expiree"
    )
    expect(page.get_by_role("status")).to_contain_text("Votre session a expiré")
    page.get_by_role("textbox", name="Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page).to_have_url(f"{stack.url}/app/declarations")

    page.get_by_role("link", name="État du service", exact=True).click()
    expect(page.get_by_role("heading", name="État du service DSN Link")).to_be_visible()
    expect(page.get_by_role("link", name="Déclarations", exact=True)).to_be_visible()  # framed
    _shot(page, "06-etat-du-service")
    context.close()


def test_phone_layout_never_scrolls_sideways(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="fr-FR",
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    _sign_in(page, stack.url)
    pages = [
        "/app/declarations",
        "/app/echeances",
        "/app/portefeuille",
        f"/app/declarations/{stack.ids['Alpha Boulangerie']}",
        f"/app/declarations/{stack.ids['Echo Conseil']}",  # transmitted: attempts and returns
        "/app/alertes",
        "/app/administration",
        "/app/etat",
        "/app/depot",
    ]
    for path in pages:
        page.goto(f"{stack.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        # What sticks out, if anything: named in the failure.
        wide = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > 391 && !e.closest('.defilement'))
                .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
        )
        assert width <= 390, f"{path} is {width}px wide at 390px: {wide}"
    page.goto(f"{stack.url}/app/echeances")
    first = page.locator("#echeances tbody tr").first
    # The key facts of a card are in view without scrolling sideways.
    for label in ("Bravo Transports", "À faire", "dans"):
        expect(first).to_contain_text(label)
    box = first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    _shot(page, "10-telephone-echeances")
    page.goto(f"{stack.url}/app/declarations")
    _shot(page, "11-telephone-declarations")
    page.goto(f"{stack.url}/app/declarations/{stack.ids['Echo Conseil']}")
    _shot(page, "12-telephone-declaration")
    context.close()
