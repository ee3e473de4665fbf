"""Accessibility of the dashboard, checked by axe-core (WCAG 2.0/2.1, levels A and AA) in the real
headless Chromium of the browser tests, against the real gateway of `test_browser.py` (its
`stack` and `browser` fixtures, reused): the sign-in page, and every page a signed-in user or
administrator sees, with real data (a conform declaration with its timeline and returns, a
rejected one with its anomalies, a readable return, upload results), at desktop and phone widths.

axe-core is vendored in tests/fixtures/axe/ (see its README): nothing is downloaded.
Skipped when Chromium or Playwright is missing, except under CI=true, where that fails.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from dsnlink.norm.sample import sample_bytes
from tests.dashboard import test_browser as browser_tests
from tests.dashboard.conftest import NIC_A, PASSWORD, SIREN_A
from tests.dashboard.test_browser import EMAIL, Stack, _month, _sign_in

try:
    from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect
except ImportError:  # pragma: no cover - depends on the machine; the fixtures skip
    expect = None  # type: ignore[assignment]

AXE = Path(__file__).resolve().parents[1] / "fixtures" / "axe" / "axe.min.js"
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
ADMIN_EMAIL = "admin@cabinet-durand.example"  # created with the tenant by test_browser.stack
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}

# The gateway and the browser of the Chromium tests, one of each for this module.
stack = browser_tests.stack
browser = browser_tests.browser


@dataclass
class Data:
    """Ids of declarations in distinct states, for the pages to show."""

    conform: str
    rejected: str


def _upload(api: httpx.Client, name: str, content: bytes, **params: str) -> str:
    answer = api.post(
        "/v1/declarations",
        params={"filename": name, "accept_late": "true", **params},
        content=content,
        headers={"Content-Type": "application/octet-stream"},
    )
    answer.raise_for_status()
    return str(answer.json()["id"])


@pytest.fixture(scope="module")
def data(stack: Stack) -> Data:
    """On top of the tenant of `stack`: an administrator who can sign in, a declaration
    transmitted until its certificate of conformity arrives, one rejected by the norm."""
    headers = {"Authorization": f"Bearer {stack.key}"}
    with httpx.Client(base_url=stack.url, headers=headers, timeout=30) as api:
        admin = next(
            u for u in api.get("/v1/users").raise_for_status().json() if u["email"] == ADMIN_EMAIL
        )
        api.patch(f"/v1/users/{admin['id']}", json={"password": PASSWORD}).raise_for_status()
        good = sample_bytes(employees=3, month=_month(0), seed=31, siren=SIREN_A, nic=NIC_A)
        conform = _upload(api, "conforme.dsn", good, transmit="true")
        old = sample_bytes(employees=2, month=_month(-1), seed=32, siren=SIREN_A, nic=NIC_A)
        broken = old.replace(b"S21.G00.30.001,'", b"S21.G00.30.001,'X", 1)
        rejected = _upload(api, "casse.dsn", broken)
        deadline = time.monotonic() + 45
        status = ""
        while time.monotonic() < deadline:
            status = api.get(f"/v1/declarations/{conform}").raise_for_status().json()["status"]
            if status == "conform":
                break
            time.sleep(0.3)
        assert status == "conform", f"the declaration never became conform ({status})"
    return Data(conform=conform, rejected=rejected)


def _axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.x A/AA violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol, which the page's Content-Security-
        # Policy (script-src 'self', no eval) does not govern: the policy stays in force.
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(
        """async (options) => {
            const results = await axe.run(document, options);
            return results.violations.map(v => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                helpUrl: v.helpUrl,
                count: v.nodes.length,
                targets: v.nodes.slice(0, 4).map(n => n.target.join(" ")),
                summary: v.nodes.length ? v.nodes[0].failureSummary : "",
            }));
        }""",
        WCAG,
    )


def _report(where: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{where}: {len(violations)} axe violation(s)"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['count']} element(s))")
        lines.append(f"    {v['helpUrl']}")
        lines.extend(f"    at {target}" for target in v["targets"])
        summary = " ".join(str(v["summary"]).split())
        if summary:
            lines.append(f"    {summary[:300]}")
    return "\n".join(lines)


def _check(page: Page, where: str) -> None:
    violations = _axe_violations(page)
    assert not violations, _report(where, violations)


def _visit(page: Page, url: str) -> None:
    page.goto(url, wait_until="networkidle")


def _context(browser: Browser, **options: Any) -> BrowserContext:
    return browser.new_context(locale="fr-FR", **options)


def _signed_in(browser: Browser, stack: Stack, email: str, **options: Any) -> BrowserContext:
    context = _context(browser, **options)
    page = context.new_page()
    if email == EMAIL:
        _sign_in(page, stack.url)
    else:
        page.goto(f"{stack.url}/app/connexion")
        page.get_by_role("textbox", name="Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Se connecter", exact=True).click()
        expect(page).to_have_url(f"{stack.url}/app/declarations")
    return context


@pytest.fixture(scope="module")
def user_page(browser: Browser, stack: Stack, data: Data) -> Iterator[Page]:
    """A user (not an administrator) signed in, desktop width."""
    context = _signed_in(browser, stack, EMAIL, viewport=DESKTOP)
    yield context.pages[0]
    context.close()


@pytest.fixture(scope="module")
def admin_page(browser: Browser, stack: Stack, data: Data) -> Iterator[Page]:
    context = _signed_in(browser, stack, ADMIN_EMAIL, viewport=DESKTOP)
    yield context.pages[0]
    context.close()


@pytest.fixture(scope="module")
def phone_page(browser: Browser, stack: Stack, data: Data) -> Iterator[Page]:
    context = _signed_in(
        browser,
        stack,
        EMAIL,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield context.pages[0]
    context.close()


# The pages of a signed-in user, by name: {conform} and {rejected} are declaration ids.
USER_PAGES = {
    "declarations": "/app/declarations",
    "declarations-filtrees": "/app/declarations?statut=conform",
    "declaration-conforme": "/app/declarations/{conform}",
    "declaration-rejetee": "/app/declarations/{rejected}",
    "depot": "/app/depot",
    "echeances": "/app/echeances",
    "portefeuille": "/app/portefeuille",
    "etat": "/app/etat",
    "page-introuvable": "/app/nulle-part",
}
ADMIN_PAGES = {
    "administration": "/app/administration",
    "alertes": "/app/alertes",
    "declarations-admin": "/app/declarations",
}
PHONE_PAGES = {
    "declarations": "/app/declarations",
    "declaration-conforme": "/app/declarations/{conform}",
    "declaration-rejetee": "/app/declarations/{rejected}",
    "echeances": "/app/echeances",
    "portefeuille": "/app/portefeuille",
    "depot": "/app/depot",
}


def _path(template: str, data: Data) -> str:
    return template.format(conform=data.conform, rejected=data.rejected)


@pytest.mark.parametrize("name", list(USER_PAGES))
def test_user_pages(name: str, user_page: Page, stack: Stack, data: Data) -> None:
    _visit(user_page, f"{stack.url}{_path(USER_PAGES[name], data)}")
    _check(user_page, f"{name} ({USER_PAGES[name]})")


@pytest.mark.parametrize("name", list(ADMIN_PAGES))
def test_administrator_pages(name: str, admin_page: Page, stack: Stack, data: Data) -> None:
    _visit(admin_page, f"{stack.url}{ADMIN_PAGES[name]}")
    _check(admin_page, f"{name} ({ADMIN_PAGES[name]}, administrator)")


@pytest.mark.parametrize("name", list(PHONE_PAGES))
def test_phone_pages(name: str, phone_page: Page, stack: Stack, data: Data) -> None:
    _visit(phone_page, f"{stack.url}{_path(PHONE_PAGES[name], data)}")
    _check(phone_page, f"{name} ({PHONE_PAGES[name]}, 390x844)")


def test_sign_in_page(browser: Browser, stack: Stack) -> None:
    """Empty, then with the error a wrong password gives; at desktop and phone widths."""
    context = _context(browser, viewport=DESKTOP)
    page = context.new_page()
    _visit(page, f"{stack.url}/app/connexion")
    _check(page, "connexion")
    _visit(page, f"{stack.url}/app/connexion?suivant=%2Fapp%2Fdeclarations&raison=expiree")
    expect(page.get_by_role("status")).to_contain_text("Votre session a expiré")
    _check(page, "connexion, session expirée")
    page.get_by_role("textbox", name="Adresse e-mail").fill(EMAIL)
    page.get_by_label("Mot de passe", exact=True).fill("not the password")
    page.get_by_role("button", name="Se connecter", exact=True).click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("alert")).to_be_visible()
    _check(page, "connexion, mot de passe erroné")
    page.set_viewport_size(PHONE)
    _visit(page, f"{stack.url}/app/connexion")
    _check(page, "connexion (390x844)")
    context.close()


def test_declaration_timeline_and_readable_return(
    user_page: Page, stack: Stack, data: Data
) -> None:
    """The conform declaration, its returns listed, then one of them as a readable page."""
    _visit(user_page, f"{stack.url}/app/declarations/{data.conform}")
    returns = user_page.locator("table.retours")
    expect(returns).to_contain_text("Certificat de conformité (CCO)")
    expect(user_page.get_by_role("heading", name="Chronologie")).to_be_visible()
    link = returns.get_by_role("link", name="Lire Certificat de conformité (CCO)")
    href = link.get_attribute("href")
    assert href
    _visit(user_page, f"{stack.url}{href}")
    expect(user_page.get_by_role("heading", level=1)).to_contain_text("Certificat de conformité")
    _check(user_page, f"retour lisible ({href})")


def test_upload_results(user_page: Page, stack: Stack) -> None:
    """The upload page once it shows a rejected file (anomalies by rubric) and a late one."""
    _visit(user_page, f"{stack.url}/app/depot")
    good = sample_bytes(employees=2, month=_month(0), seed=33, siren=SIREN_A, nic=NIC_A)
    broken = good.replace(b"S21.G00.30.001,'", b"S21.G00.30.001,'X", 1)
    user_page.get_by_label("Fichier DSN (texte ou .gz)").set_input_files(
        {"name": "casse.dsn", "mimeType": "application/octet-stream", "buffer": broken}
    )
    user_page.get_by_role("button", name="Contrôler le fichier").click()
    result = user_page.locator("#resultat")
    expect(result).to_contain_text("Rejetée")
    _check(user_page, "depot, fichier rejeté")

    late = sample_bytes(employees=2, month=_month(-3), seed=34, siren=SIREN_A, nic=NIC_A)
    user_page.get_by_label("Fichier DSN (texte ou .gz)").set_input_files(
        {"name": "retard.dsn", "mimeType": "application/octet-stream", "buffer": late}
    )
    user_page.get_by_role("button", name="Contrôler le fichier").click()
    expect(result).to_contain_text("Heure limite dépassée")
    _check(user_page, "depot, dépôt tardif à confirmer")


def test_bulk_transmission_confirmation(admin_page: Page, stack: Stack, data: Data) -> None:
    """The confirmation page of "Transmettre la sélection" (not confirmed: nothing is sent)."""
    _visit(admin_page, f"{stack.url}/app/declarations")
    admin_page.get_by_role("button", name="(toutes)").click()
    admin_page.get_by_role("button", name="Transmettre la sélection").click()
    heading = admin_page.get_by_role("heading", name=re.compile(r"^Transmettre \d+ déclaration"))
    expect(heading).to_be_visible()
    _check(admin_page, f"transmission groupée, confirmation ({heading.inner_text()})")


def test_axe_reports_what_it_finds(user_page: Page, stack: Stack) -> None:
    """The check itself: a nameless button and an image without text are reported, by id."""
    _visit(user_page, f"{stack.url}/app/etat")
    user_page.evaluate(
        """() => {
            const main = document.querySelector("main") || document.body;
            main.insertAdjacentHTML("beforeend",
                '<button id="sans-nom"></button><img id="sans-alt" src="/app/static/x.png">');
        }"""
    )
    violations = _axe_violations(user_page)
    found = {v["id"]: v["targets"] for v in violations}
    assert found.get("button-name") == ["#sans-nom"], _report("self-check", violations)
    assert found.get("image-alt") == ["#sans-alt"], _report("self-check", violations)
    assert "button-name [critical]" in _report("self-check", violations)
