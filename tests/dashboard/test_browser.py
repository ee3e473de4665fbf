"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)
against the real gateway served by uvicorn on loopback, with its in-process transmission worker
and the mock deposit point: sign in, upload a broken then a good file (by drag and drop), order
the transmission, watch the AEE and the certificate of conformity arrive, download a return,
confirm a late upload, use the pages without JavaScript. Screenshots of the main pages go to
artifacts/screenshots/.

Skipped when Chromium or Playwright is missing, except under CI=true, where that fails.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest

from api.cli import gateway, start_server
from dsnlink import db
from dsnlink.clock import SystemClock
from dsnlink.config import Settings
from dsnlink.norm.sample import sample_bytes
from dsnlink.tenants import service as tenants_service
from mock_netentreprises import MockConfig
from mock_netentreprises import create_app as create_mock
from tests.conftest import TEST_ENCRYPTION_KEY, TEST_SIGNING_KEY
from tests.dashboard.conftest import NIC_A, NIC_B, PASSWORD, SIREN_A, SIREN_B

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
EMAIL = "paie@cabinet-durand.example"
DECLARANT = {"siret": "73282932000074", "nom": "PAIE", "prenom": "SERVICE", "password": "s3cret"}

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None  # type: ignore[assignment]


def _missing() -> str | None:
    if sync_playwright is None:
        return "Playwright for Python is not installed (pip install playwright)"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is absent (apt-get install chromium chromium-driver)"
    return None


def _require_browser() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI=true: the browser tests must run")
    pytest.skip(reason)


@dataclass
class Stack:
    url: str
    key: str


def _month(offset: int) -> str:
    today = date.today()
    index = today.year * 12 + today.month - 1 + offset
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Gateway (SQLite, in-process worker) and mock deposit point, both on 127.0.0.1."""
    _require_browser()
    mock = start_server(
        create_mock(
            MockConfig(
                accept_unknown_declarants=True,
                return_delays={"10": 0.0, "11": 0.5, "60": 30.0, "61": 30.0, "92": 1.0, "94": 30.0},
                seed=7,
            )
        ),
        host="127.0.0.1",
        port=0,
        what="mock deposit point",
    )
    settings = Settings(
        environment="test",
        data_dir=tmp_path_factory.mktemp("gateway"),
        secret_key="browser-test-secret-key",
        encryption_keys=TEST_ENCRYPTION_KEY,
        receipt_signing_key=TEST_SIGNING_KEY,
        deposit_point_url=mock.url,
        worker_poll_seconds=0.2,
        returns_poll_seconds=0.5,
        returns_lag_seconds=0.0,
    )
    try:
        with gateway(settings, host="127.0.0.1", port=0, worker=True) as running:
            key = _set_up_tenant(settings, running.url)
            yield Stack(url=running.url, key=key)
    finally:
        mock.stop()


def _set_up_tenant(settings: Settings, url: str) -> str:
    engine = db.engine_from_settings(settings)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            created = tenants_service.create_tenant(
                session,
                name="Cabinet Durand",
                admin_email="admin@cabinet-durand.example",
                secret=settings.secret_key,
                clock=SystemClock(),
            )
    finally:
        engine.dispose()
    assert created.api_key
    headers = {"Authorization": f"Bearer {created.api_key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as api:
        declarant = api.post("/v1/declarants", json=DECLARANT).raise_for_status().json()
        for siren, nic, name, due_day in (
            (SIREN_A, NIC_A, "Boulangerie Martin", 15),
            (SIREN_B, NIC_B, "Transports Bravo", 5),
            ("356000000", "00048", "Bureau de poste de Lyon", 20),
        ):
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
        api.post(
            "/v1/users", json={"email": EMAIL, "role": "user", "password": PASSWORD}
        ).raise_for_status()
        # Something already filed for another company, so the list is not a single row.
        api.post(
            "/v1/declarations",
            params={"filename": "bravo.dsn"},
            content=sample_bytes(employees=4, month=_month(0), seed=5, siren=SIREN_B, nic=NIC_B),
            headers={"Content-Type": "application/octet-stream"},
        ).raise_for_status()
    return created.api_key


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


def _sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/app/declarations")
    expect(page).to_have_url(f"{url}/app/connexion?suivant=%2Fapp%2Fdeclarations")
    page.get_by_role("textbox", name="Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter", exact=True).click()
    expect(page).to_have_url(f"{url}/app/declarations")


def _drop_file(page: Page, name: str, content: bytes) -> None:
    """A real drop event carrying the file onto the upload frame (what a mouse drag does)."""
    page.evaluate(
        """([name, data]) => {
            const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type: "application/octet-stream"}));
            const zone = document.querySelector("[data-depot]");
            for (const type of ["dragenter", "dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true}));
            }
        }""",
        [name, base64.b64encode(content).decode()],
    )


def test_declarant_journey_in_chromium(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="fr-FR", accept_downloads=True
    )
    page = context.new_page()
    page.goto(f"{stack.url}/app/connexion")
    _shot(page, "01-connexion")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    _sign_in(page, stack.url)

    # A broken file: rejected, its anomalies grouped by rubric with their line numbers.
    month = _month(0)
    good = sample_bytes(employees=6, month=month, seed=21, siren=SIREN_A, nic=NIC_A)
    broken = good.replace(b"S21.G00.30.001,'", b"S21.G00.30.001,'X", 1)
    page.get_by_role("link", name="Déposer une DSN").click()
    page.get_by_label("Fichier DSN (texte ou .gz)").set_input_files(
        {"name": "casse.dsn", "mimeType": "application/octet-stream", "buffer": broken}
    )
    page.get_by_role("button", name="Contrôler le fichier").click()
    result = page.locator("#resultat")
    expect(result).to_contain_text("Rejetée")
    rubric = result.get_by_role("region", name="Rubrique S21.G00.30.001")
    expect(rubric).to_be_visible()
    expect(rubric.locator("td").first).to_have_text(str(_line_of(broken, b"S21.G00.30.001")))
    expect(result.get_by_role("button", name="Transmettre")).to_have_count(0)

    # The good file, dropped onto the frame: validated, nothing sent before "Transmettre".
    _drop_file(page, "novembre.dsn", good)
    assert page.evaluate("document.querySelector('#fichier').files[0].name") == "novembre.dsn"
    page.get_by_role("button", name="Contrôler le fichier").click()
    expect(result).to_contain_text("Validée, à transmettre")
    expect(result).to_contain_text("novembre.dsn")
    _shot(page, "03-depot-resultat")
    result.get_by_role("button", name="Transmettre").click()

    # The detail page follows the transmission by itself (htmx polling): AEE, then the CCO.
    expect(page.get_by_role("heading", name="Chronologie")).to_be_visible()
    returns = page.locator("table.retours")
    expect(returns).to_contain_text("Certificat de conformité (CCO)", timeout=30_000)
    expect(page.locator("#resume-titre")).to_contain_text("Conforme", timeout=15_000)
    expect(page.locator(".chronologie")).to_contain_text("Déposée (AEE reçu)")
    expect(page.locator(".chronologie")).to_contain_text(f"par {EMAIL}")
    _shot(page, "04-declaration")
    with page.expect_download() as download_info:
        returns.get_by_role("link", name="Télécharger Certificat de conformité (CCO) (XML)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xml")
    xml = Path(download.path()).read_text(encoding="utf-8")
    assert xml.lstrip().startswith("<") and "bilan" in xml.lower()

    # A late file needs the explicit confirmation; the file stays selected (htmx).
    late = sample_bytes(employees=2, month=_month(-3), seed=22, siren=SIREN_A, nic=NIC_A)
    page.get_by_role("link", name="Déposer une DSN").click()
    page.get_by_label("Fichier DSN (texte ou .gz)").set_input_files(
        {"name": "retard.dsn", "mimeType": "application/octet-stream", "buffer": late}
    )
    page.get_by_role("button", name="Contrôler le fichier").click()
    expect(result).to_contain_text("Heure limite dépassée")
    page.get_by_role("button", name="Confirmer le dépôt tardif").click()
    expect(page.get_by_label("Je confirme le dépôt")).to_be_focused()  # required, not ticked
    page.get_by_label("Je confirme le dépôt").check()
    page.get_by_role("button", name="Confirmer le dépôt tardif").click()
    expect(result).to_contain_text("Validée, à transmettre")
    expect(result).to_contain_text("sans garantie")

    # The list: filters without reloading, status badges, the deadlines per due day.
    page.get_by_role("link", name="Déclarations", exact=True).click()
    expect(page.get_by_role("heading", name="4 déclarations")).to_be_visible()
    expect(page.locator(".echeances")).to_contain_text("Échéance du 15")
    _shot(page, "02-declarations")
    page.get_by_label("Statut").select_option("conform")
    expect(page.get_by_role("heading", name="1 déclaration", exact=True)).to_be_visible()
    assert "statut=conform" in page.url

    page.get_by_role("link", name="Échéances", exact=True).click()
    expect(page.get_by_role("heading", name="3 entreprises")).to_be_visible()
    _shot(page, "05-echeances")
    page.get_by_label("Entreprise, SIREN ou SIRET").fill("Bureau de poste")
    expect(page.get_by_role("heading", name="1 entreprise", exact=True)).to_be_visible()

    page.get_by_role("link", name="État du service", exact=True).click()
    expect(page.get_by_role("heading", name="État du service DSN Link")).to_be_visible()
    _shot(page, "06-etat-du-service")
    context.close()


def _line_of(content: bytes, prefix: bytes) -> int:
    return next(i for i, line in enumerate(content.split(b"\n"), 1) if line.startswith(prefix))


def test_pages_work_without_javascript(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, stack.url)
    page.get_by_role("link", name="Déposer une DSN").click()
    body = sample_bytes(employees=1, month=_month(-1), seed=23, siren=SIREN_A, nic=NIC_A)
    page.get_by_label("Fichier DSN (texte ou .gz)").set_input_files(
        {"name": "sans-js.dsn", "mimeType": "application/octet-stream", "buffer": body}
    )
    page.get_by_role("button", name="Contrôler le fichier").click()
    expect(page.locator("#resultat")).to_contain_text("Validée, à transmettre")
    page.get_by_role("button", name="Transmettre").click()
    expect(page.locator("#resume-titre")).not_to_contain_text("Validée")
    page.get_by_role("link", name="Déclarations", exact=True).click()
    page.get_by_label("Statut").select_option("validated")
    page.get_by_role("button", name="Filtrer").click()
    assert "statut=validated" in page.url
    expect(page.locator("#liste tbody tr")).to_have_count(2)  # the late one and bravo.dsn
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion à DSN Link")).to_be_visible()
    context.close()
