"""E-mail alerts through a real SMTP server on loopback (aiosmtpd), on SQLite and PostgreSQL:
chosen on the dashboard, sent once per event or cut-off warning, recorded with their delivery."""

from __future__ import annotations

import html
import threading
import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from dsnlink import db
from dsnlink.alerts.models import Alert, Delivery
from dsnlink.alerts.service import AlertDispatcher, dispatcher_from_settings
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.declarations import monthly, timeline
from dsnlink.declarations.models import Declaration, DeclarationStatus
from dsnlink.tenants.models import Role
from dsnlink.tenants.schemas import Principal
from tests.alerts.conftest import Inbox, free_port
from tests.dashboard.conftest import (
    NIC_A,
    NIC_B,
    PASSWORD,
    SIREN_A,
    SIREN_B,
    Tenant,
    _client,
    csrf_of,
    register_company,
    sign_in,
    sign_in_with_key,
    upload,
)

S = DeclarationStatus


def dispatcher(
    settings: Settings, engine: Engine, clock: FrozenClock, host: str, port: int
) -> AlertDispatcher:
    smtp = settings.model_copy(
        update={
            "smtp_host": host,
            "smtp_port": port,
            "smtp_security": "none",
            "smtp_timeout_seconds": 5.0,
            "dashboard_url": "https://dsn.example.fr",
        }
    )
    return dispatcher_from_settings(smtp, sessions=db.session_factory(engine), clock=clock)


async def choose(browser: httpx.AsyncClient, recipients: str, hours: str = "48, 12") -> None:
    page = await browser.get("/app/alertes")
    saved = await browser.post(
        "/app/alertes",
        data={
            "csrf": csrf_of(page.text),
            "adresses": recipients,
            "heures": hours,
            "evenements": "oui",
        },
    )
    assert saved.status_code == 303, saved.text


def walk(engine: Engine, declaration_id: str, steps: list[S], clock: FrozenClock) -> None:
    with db.unit_of_work(db.session_factory(engine)) as session:
        declaration = session.get(Declaration, uuid.UUID(declaration_id))
        assert declaration is not None
        for step in steps:
            timeline.advance(session, declaration, step, at=clock.now())


def alerts(engine: Engine) -> list[Alert]:
    with db.unit_of_work(db.session_factory(engine)) as session:
        return list(session.exec(select(Alert).order_by(col(Alert.created_at))).all())


async def test_a_failed_transmission_and_a_ban_are_mailed_at_once_and_only_once(
    app: FastAPI,
    api: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    tenant: Tenant,
    settings: Settings,
    db_engine: Engine,
    clock: FrozenClock,
    smtp_server: Inbox,
) -> None:
    await register_company(api, tenant, SIREN_A, NIC_A, "Alpha Boulangerie")
    await register_company(api, tenant, SIREN_B, NIC_B, "Bravo Transports")
    failed = (await upload(api, tenant, SIREN_A, NIC_A, seed=1)).json()
    banned = (await upload(api, tenant, SIREN_B, NIC_B, seed=2)).json()
    await sign_in_with_key(browser, tenant.key)
    await choose(browser, "paie@cabinet.example\nexpert@cabinet.example")
    walk(db_engine, failed["id"], [S.ORDERED, S.TRANSMISSION_FAILED], clock)
    walk(db_engine, banned["id"], [S.ORDERED, S.TRANSMITTING, S.REJECTED_BY_DEPOSIT_POINT], clock)

    sender = dispatcher(settings, db_engine, clock, smtp_server.host, smtp_server.port)
    delivered = sender.run()
    assert delivered == 2, [(a.kind, a.delivery, a.error) for a in alerts(db_engine)]
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert subjects == [
        "[DSN Link] Rejet par le point de dépôt (BAN) — Bravo Transports — octobre 2026",
        "[DSN Link] Échec de transmission — Alpha Boulangerie — octobre 2026",
    ]
    mail = next(m for m in smtp_server.messages if "BAN" in m["Subject"])
    assert mail["To"] == "paie@cabinet.example, expert@cabinet.example"
    body = mail.get_content()
    assert "envoyez-la de nouveau comme une déclaration normale" in body
    assert f"https://dsn.example.fr/app/declarations/{banned['id']}" in body
    assert "Heure limite DSN Link" in body

    # Nothing new: nothing sent again, even by another worker.
    assert sender.run() == 0
    assert dispatcher(settings, db_engine, clock, smtp_server.host, smtp_server.port).run() == 0
    assert len(smtp_server.messages) == 2
    # Recorded and shown: who, what, when, delivery.
    page = await browser.get("/app/alertes")
    assert page.text.count("envoyée") >= 2
    assert "paie@cabinet.example, expert@cabinet.example" in page.text
    assert all(a.delivery == Delivery.SENT and a.sent_at is not None for a in alerts(db_engine))

    # A client company's user sees only the alerts about its company, and no administration.
    company_a = next(
        c
        for c in (await api.get("/v1/companies", headers=tenant.headers)).json()
        if c["siren"] == SIREN_A
    )
    created = await api.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": "gerant@alpha.example",
            "role": "user",
            "company_ids": [company_a["id"]],
            "password": PASSWORD,
        },
    )
    assert created.status_code == 201, created.text
    async with _client(app) as gerant:
        assert (await sign_in(gerant, "gerant@alpha.example")).status_code == 303
        own = await gerant.get("/app/alertes")
        assert "Alpha Boulangerie" in own.text and "Bravo Transports" not in own.text
        assert (await gerant.get("/app/administration")).status_code == 403


async def test_before_the_cutoff_one_mail_per_warning_lists_what_is_still_to_do(
    api: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    tenant: Tenant,
    settings: Settings,
    db_engine: Engine,
    clock: FrozenClock,
    smtp_server: Inbox,
) -> None:
    await register_company(api, tenant, SIREN_A, NIC_A, "Alpha Boulangerie")
    await register_company(api, tenant, SIREN_B, NIC_B, "Bravo Transports")
    filed = (await upload(api, tenant, SIREN_B, NIC_B, seed=2)).json()
    walk(db_engine, filed["id"], [S.ORDERED, S.TRANSMITTING, S.DEPOSITED, S.CONFORM], clock)
    await sign_in_with_key(browser, tenant.key)
    await choose(browser, "paie@cabinet.example", hours="48, 12")
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        deadlines = monthly.month_deadlines(
            session,
            principal=Principal(
                tenant_id=uuid.UUID(tenant.id), user_id=uuid.uuid4(), role=Role.SAAS_ADMIN
            ),
            month="2026-10",
        )
    cutoff = deadlines.companies[0].cutoff  # both companies are due on the 5th
    assert cutoff is not None
    sender = dispatcher(settings, db_engine, clock, smtp_server.host, smtp_server.port)

    clock.set(cutoff - timedelta(hours=60))
    assert sender.run() == 0  # too early
    clock.set(cutoff - timedelta(hours=30))
    assert sender.run() == 1
    clock.set(cutoff - timedelta(hours=20))
    assert sender.run() == 0  # the 48 h warning is given once
    clock.set(cutoff - timedelta(hours=10))
    assert sender.run() == 1
    first, second = smtp_server.messages
    assert first["Subject"].startswith("[DSN Link] 1 entreprise à déposer avant ")
    body = first.get_content()
    assert "Alpha Boulangerie (SIREN 732829320) : 0/1" in body
    assert "SIRET 73282932000074 : aucun fichier reçu" in body
    assert "Bravo" not in body  # filed: not to do
    assert "rappel 48 h avant" in body and "rappel 12 h avant" in second.get_content()
    assert "heure de Paris" in body


async def test_an_unreachable_server_is_recorded_and_tried_again(
    api: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    tenant: Tenant,
    settings: Settings,
    db_engine: Engine,
    clock: FrozenClock,
    smtp_server: Inbox,
) -> None:
    await register_company(api, tenant, SIREN_A, NIC_A, "Alpha Boulangerie")
    refused = (await upload(api, tenant, SIREN_A, NIC_A, seed=1)).json()
    await sign_in_with_key(browser, tenant.key)
    await choose(browser, "paie@cabinet.example")
    walk(db_engine, refused["id"], [S.ORDERED, S.TRANSMITTING, S.REFUSED_BY_DEPOSIT_POINT], clock)

    down = dispatcher(settings, db_engine, clock, "127.0.0.1", free_port())
    assert down.run() == 0
    (alert,) = alerts(db_engine)
    assert alert.delivery == Delivery.PENDING and alert.attempts == 1
    assert alert.error is not None and alert.error.startswith("envoi impossible")
    page = html.unescape((await browser.get("/app/alertes")).text)
    assert "en attente d'envoi" in page and "envoi impossible" in page

    assert dispatcher(settings, db_engine, clock, smtp_server.host, smtp_server.port).run() == 1
    (alert,) = alerts(db_engine)
    assert alert.delivery == Delivery.SENT and alert.attempts == 2
    assert "Refus du point de dépôt (ARE)" in smtp_server.messages[0]["Subject"]


async def test_two_workers_at_once_send_each_alert_once(
    api: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    tenant: Tenant,
    settings: Settings,
    db_engine: Engine,
    clock: FrozenClock,
    smtp_server: Inbox,
) -> None:
    await register_company(api, tenant, SIREN_A, NIC_A, "Alpha Boulangerie")
    ids = [
        (await upload(api, tenant, SIREN_A, NIC_A, seed=seed, month=month)).json()["id"]
        for seed, month in ((1, "2026-10"), (2, "2026-11"), (3, "2026-12"))
    ]
    await sign_in_with_key(browser, tenant.key)
    await choose(browser, "paie@cabinet.example")
    for declaration_id in ids:
        walk(db_engine, declaration_id, [S.ORDERED, S.TRANSMISSION_FAILED], clock)

    workers = [
        dispatcher(settings, db_engine, clock, smtp_server.host, smtp_server.port) for _ in range(4)
    ]
    start = threading.Barrier(len(workers))

    def work(one: AlertDispatcher) -> None:
        start.wait()
        one.run_if_due()  # never raises: a lock timeout only delays the sending

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    # Whatever the interleaving, a last pass sends what is left: each alert exactly once.
    workers[0].run()
    assert len(smtp_server.messages) == 3
    assert len(alerts(db_engine)) == 3


async def test_the_choices_are_checked_in_french(
    browser: httpx.AsyncClient, tenant: Tenant
) -> None:
    await sign_in_with_key(browser, tenant.key)
    page = await browser.get("/app/alertes")
    refused = await browser.post(
        "/app/alertes",
        data={"csrf": csrf_of(page.text), "adresses": "pas-une-adresse", "heures": "48"},
    )
    assert refused.status_code == 422
    assert "« pas-une-adresse » n'est pas une adresse e-mail." in html.unescape(refused.text)
    hours = await browser.post(
        "/app/alertes",
        data={"csrf": csrf_of(page.text), "adresses": "a@b.fr", "heures": "48, mille"},
    )
    assert hours.status_code == 422
    assert "n'est pas un nombre d'heures" in html.unescape(hours.text)
