"""Transmission you can trust: never another's flow, never twice, what the deposit point said.

Real mock deposit point on loopback, real workers (two at once where it matters), on SQLite and
PostgreSQL. The network in front of the mock is scripted per deposit (by the file's SIREN): a 503
that never reaches it, an answer held while the other worker goes on, a deposit by "another
channel" (a client that is not the gateway) at the worst moment.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from transmission_harness import (
    FAST_CLIENT_RETRY,
    Gateway,
    fast_worker,
    gateway_app,
    open_gateway,
)

from benchmarks.harness import configure_mock, mock_deposits, nic_for, siren_for
from dsnlink.clock import SystemClock
from dsnlink.config import Settings
from dsnlink.deposit_point.client import DepositPointClient
from dsnlink.deposit_point.endpoints import Endpoints
from dsnlink.deposit_point.records import ConcentratorCredentials, DeclarantIdentity
from dsnlink.norm.sample import sample_bytes
from dsnlink.transmission.context import build_client

CLOCK = SystemClock()
DONE = {"deposited", "conform", "anomalies"}
SHARED = {"siret": "41027602600029", "nom": "Cabinet", "prenom": "Paie", "password": "pw-shared"}
SIREN_RE = re.compile(rb"S21\.G00\.06\.001,'(\d{9})'")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "returns"


class ScriptedNetwork(httpx.HTTPTransport):
    """The network between the workers and the mock, scripted per deposit by the file's SIREN.

    `drop`: answers 503 without forwarding (the file never arrives); `hold`: forwards, then keeps
    the answer back `hold_seconds`; `before_drop` runs just before a drop (another channel's
    deposit). It also counts how many deposits are in flight at once.
    """

    def __init__(self, plan: dict[str, str], *, hold_seconds: float = 0.0) -> None:
        super().__init__()
        self.plan = dict(plan)
        self.hold_seconds = hold_seconds
        self.before_drop: Callable[[], None] | None = None
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.dropped: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "/deposer-dsn/" not in request.url.path:
            return super().handle_request(request)
        found = SIREN_RE.search(gzip.decompress(request.read()))
        siren = found.group(1).decode() if found else ""
        with self.lock:
            action = self.plan.pop(siren, None)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if action == "drop":
                self.dropped.append(siren)
                if self.before_drop is not None:
                    self.before_drop()
                return httpx.Response(503, request=request)
            response = super().handle_request(request)
            if action == "hold":
                response.read()
                time.sleep(self.hold_seconds)
            return response
        finally:
            with self.lock:
                self.in_flight -= 1


def _worker(settings: Settings, engine: Engine, network: ScriptedNetwork) -> Any:
    worker = fast_worker(settings, engine, CLOCK)
    worker.context.client.close()
    worker.context.client = build_client(
        settings, clock=CLOCK, transport=network, retry=FAST_CLIENT_RETRY
    )
    return worker


async def _drain_together(workers: list[Any], timeout: float = 60) -> None:
    results = await asyncio.gather(*(asyncio.to_thread(w.drain, timeout=timeout) for w in workers))
    for worker in workers:
        worker.context.client.close()
    assert all(results), "the queue was not drained"


def _sha256_by_idflux(mock_url: str) -> dict[str, str]:
    return {d["idflux"]: d["sha256"] for d in mock_deposits(mock_url)}


async def test_two_tenants_sharing_an_identity_each_deposit_once_on_their_own_flow(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    # Tenants A and B file through declarant rows naming the same net-entreprises person.
    app = gateway_app(wsettings, db_engine, CLOCK)
    siren_b = siren_for(41)
    a = await open_gateway(
        app,
        wsettings,
        db_engine,
        CLOCK,
        name="Aval",
        siren=siren_for(40),
        nic=nic_for(siren_for(40)),
        declarant=SHARED,
    )
    b = await open_gateway(
        app,
        wsettings,
        db_engine,
        CLOCK,
        name="Bourg",
        siren=siren_b,
        nic=nic_for(siren_b),
        declarant=SHARED,
    )
    # A's deposit gets a 503 and is never stored; B's is stored but its answer is held back.
    network = ScriptedNetwork({a.siren: "drop", b.siren: "hold"}, hold_seconds=2.0)
    id_b = await b.upload(seed=31)
    id_a = await a.upload(seed=30)

    await _drain_together([_worker(wsettings, db_engine, network) for _ in range(2)])

    detail_a, detail_b = await a.detail(id_a), await b.detail(id_b)
    assert detail_a["status"] in DONE and detail_b["status"] in DONE
    flow_a, flow_b = detail_a["transmission"]["idflux"], detail_b["transmission"]["idflux"]
    assert flow_a != flow_b
    at_mock = _sha256_by_idflux(mock_url)
    assert Counter(at_mock.values()) == Counter({detail_a["sha256"]: 1, detail_b["sha256"]: 1})
    assert at_mock[flow_a] == detail_a["sha256"] and at_mock[flow_b] == detail_b["sha256"]
    # One deposit in flight per identity, whichever tenant it comes from.
    assert network.most_in_flight == 1
    assert network.dropped == [a.siren]
    # No cross-tenant read: A sees neither B's declaration nor B's returns.
    assert (await a.http.get(f"/v1/declarations/{id_b}", headers=a.headers)).status_code == 404
    for returned in detail_a["transmission"]["returns"]:
        assert returned["url"].startswith(f"/v1/declarations/{id_a}/")
        assert (await a.http.get(returned["url"], headers=b.headers)).status_code == 404


async def test_a_flow_filed_by_another_channel_while_ours_is_in_doubt_is_not_adopted(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    declaration_id = await gateway.upload(seed=40)
    mine = await gateway.detail(declaration_id)
    # The declarant files another declaration of the company (September) by another channel,
    # at the very moment our deposit is lost: the listing shows one unattributed flow.
    other_file = sample_bytes(
        employees=1, month="2026-09", seed=41, siren=gateway.siren, nic=gateway.nic
    )
    elsewhere = DepositPointClient(
        endpoints=Endpoints.single(mock_url),
        credentials=ConcentratorCredentials(
            siret="18751249600022", nom="CTR2000", prenom="concentrateur", password="azerty"
        ),
    )
    network = ScriptedNetwork({gateway.siren: "drop"})
    identity = DeclarantIdentity(siret="73282932000074", nom="PAIE", prenom="SERVICE")
    network.before_drop = lambda: elsewhere.deposit(identity, other_file) and None
    try:
        await _drain_together([_worker(wsettings, db_engine, network)])
    finally:
        elsewhere.close()

    detail = await gateway.detail(declaration_id)
    assert detail["status"] in DONE
    at_mock = _sha256_by_idflux(mock_url)
    foreign = next(f for f, sha in at_mock.items() if sha == hashlib.sha256(other_file).hexdigest())
    assert detail["transmission"]["idflux"] != foreign
    assert at_mock[detail["transmission"]["idflux"]] == mine["sha256"]
    assert Counter(at_mock.values())[mine["sha256"]] == 1  # ours, once
    outcomes = [a["outcome"] for a in detail["transmission"]["attempts"]]
    assert outcomes == ["lost", "accepted"], outcomes
    reasons = [e["detail"].get("reason", "") for e in detail["timeline"]]
    assert any("n'a pas été reçu" in r for r in reasons), reasons


async def test_an_unreachable_deposit_point_is_said_with_the_next_attempt(
    gateway: Gateway, wsettings: Settings, db_engine: Engine
) -> None:
    declaration_id = await gateway.upload(seed=50)
    closed = wsettings.model_copy(update={"deposit_point_url": "http://127.0.0.1:9"})
    worker = fast_worker(closed, db_engine, CLOCK)
    try:
        await asyncio.to_thread(worker.run_once)
    finally:
        worker.context.client.close()

    detail = await gateway.detail(declaration_id)
    assert detail["status"] == "waiting_for_deposit_point"
    assert detail["transmission"]["next_try_at"] is not None
    event = detail["timeline"][-1]
    assert event["status"] == "waiting_for_deposit_point"
    assert event["detail"]["next_try_at"] and event["detail"]["reason"]
    assert [a["outcome"] for a in detail["transmission"]["attempts"]] == ["not_sent"]


async def test_a_ban_is_a_rejection_and_a_ko_crm_shows_on_the_declaration(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    configure_mock(mock_url, force="BAN")
    rejected_id = await gateway.upload(seed=60)
    await _drain_until(gateway, wsettings, db_engine, rejected_id, "rejected_by_deposit_point")
    rejected = await gateway.detail(rejected_id)
    ban = next(r for r in rejected["transmission"]["returns"] if r["nature"] == "11")
    assert (ban["kind"], ban["status"]) == ("BAN", "KO")
    assert "rejected_by_deposit_point" in [e["status"] for e in rejected["timeline"]]

    configure_mock(mock_url, force="none")
    conform_id = await gateway.upload(seed=61)
    await _drain_until(gateway, wsettings, db_engine, conform_id, "conform")
    idflux = (await gateway.detail(conform_id))["transmission"]["idflux"]
    # An organism answers later with a KO CRM (the official NEOReS sample, scripted on the flow).
    ko = (FIXTURES / "exemple_retour_121_CRM_ID_KO.xml").read_bytes()
    httpx.post(
        f"{mock_url}/_mock/flows/{idflux}/returns",
        params={"nature": "121", "statut": "KO"},
        content=ko,
        headers={"Content-Type": "application/xml"},
        timeout=10,
    ).raise_for_status()
    await _drain_until(
        gateway,
        wsettings,
        db_engine,
        conform_id,
        "conform",
        until=lambda d: any(v["nature"] == "121" for v in d["organisms_status"].values()),
    )
    detail = await gateway.detail(conform_id)
    assert detail["status"] == "conform"  # the deposit point's verdict is kept...
    verdicts = detail["organisms_status"]  # ...and each organism's is shown
    [(organism, ko)] = [(o, v) for o, v in verdicts.items() if v["status"] == "KO"]
    assert (ko["nature"], organism) == ("121", "Bloc 3 CNAV")
    assert {v["status"] for o, v in verdicts.items() if o != organism} <= {"OK"}
    listed = await gateway.http.get("/v1/declarations", headers=gateway.headers)
    summary = next(i for i in listed.json()["items"] if i["id"] == conform_id)
    assert summary["organisms_status"] == detail["organisms_status"]


async def _drain_until(
    gateway: Gateway,
    settings: Settings,
    engine: Engine,
    declaration_id: str,
    wanted: str,
    *,
    until: Callable[[dict[str, Any]], bool] | None = None,
    timeout: float = 20,
) -> None:
    worker = fast_worker(settings, engine, CLOCK)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            await asyncio.to_thread(worker.run_once)
            await asyncio.to_thread(worker.poll_returns_if_due)
            detail = await gateway.detail(declaration_id)
            if detail["status"] == wanted and (until is None or until(detail)):
                return
            await asyncio.sleep(0.1)
    finally:
        worker.context.client.close()
    pytest.fail(f"{declaration_id} is {detail['status']}, not {wanted}: {detail['timeline']}")


async def test_a_failed_transmission_is_ordered_again_once_its_cause_is_fixed(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    # The deposit point does not know the declarant: a permanent refusal, the transmission fails.
    configure_mock(mock_url, accept_unknown_declarants=False)
    declaration_id = await gateway.upload(seed=70)
    await _drain_until(gateway, wsettings, db_engine, declaration_id, "transmission_failed")
    failed = await gateway.detail(declaration_id)
    assert failed["timeline"][-1]["detail"]["code"] == "declarant-not-registered"
    [declarant] = (await gateway.http.get("/v1/declarants", headers=gateway.headers)).json()
    fixed = await gateway.http.patch(
        f"/v1/declarants/{declarant['id']}",
        headers=gateway.headers,
        json={"siret": "99900000300015", "nom": "declarant", "prenom": "declarant"},
    )
    assert fixed.status_code == 200, fixed.text

    again = await gateway.http.post(
        f"/v1/declarations/{declaration_id}/transmit", headers=gateway.headers
    )
    assert again.status_code == 200, again.text
    await _drain_until(gateway, wsettings, db_engine, declaration_id, "conform")
    detail = await gateway.detail(declaration_id)
    statuses = [e["status"] for e in detail["timeline"]]
    assert statuses.count("ordered") == 2 and "transmission_failed" in statuses
    assert [a["outcome"] for a in detail["transmission"]["attempts"]] == ["failed", "accepted"]
    assert Counter(_sha256_by_idflux(mock_url).values()) == Counter({detail["sha256"]: 1})


async def test_a_return_reads_for_people_as_json_csv_and_a_printable_page(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    configure_mock(mock_url, force="BAN")
    declaration_id = await gateway.upload(seed=62)
    await _drain_until(gateway, wsettings, db_engine, declaration_id, "rejected_by_deposit_point")
    detail = await gateway.detail(declaration_id)
    ban = next(r for r in detail["transmission"]["returns"] if r["nature"] == "11")

    document = await gateway.http.get(f"{ban['url']}/document", headers=gateway.headers)
    assert document.status_code == 200, document.text
    read = document.json()
    assert (read["kind"], read["status"], read["readable"]) == ("BAN", "KO", True)
    assert "nouvelle déclaration normale" in read["outcome"]
    assert "avant la date limite" in read["next_step"]
    assert read["anomaly_count"] == sum(len(g["anomalies"]) for g in read["by_employee"]) >= 1
    assert read["siren"] == gateway.siren

    csv = await gateway.http.get(f"{ban['url']}/anomalies.csv", headers=gateway.headers)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    header = csv.content.decode("utf-8-sig").splitlines()[0]
    assert "Code" in header or "code" in header
    page = await gateway.http.get(f"{ban['url']}/print", headers=gateway.headers)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Anomalies" in page.text and "nouvelle déclaration normale" in page.text

    other = await open_gateway(
        gateway_app(wsettings, db_engine, CLOCK),
        wsettings,
        db_engine,
        CLOCK,
        name="Autre",
        siren=siren_for(70),
        nic=nic_for(siren_for(70)),
    )
    for tail in ("", "/document", "/anomalies.csv", "/print"):
        response = await gateway.http.get(f"{ban['url']}{tail}", headers=other.headers)
        assert response.status_code == 404, tail


async def test_a_flow_answered_to_another_declaration_moves_to_it_and_never_loops(
    gateway: Gateway, wsettings: Settings, db_engine: Engine
) -> None:
    """Should a reconciliation ever have adopted a flow that the deposit point then answers (AEE)
    to another deposit, the answer wins: the flow moves, the first declaration looks again."""
    from sqlmodel import Session, select

    from dsnlink import db
    from dsnlink.declarations import timeline
    from dsnlink.declarations.models import Declaration, DeclarationStatus
    from dsnlink.outbox.models import TransmissionJob
    from dsnlink.tenants.models import Declarant
    from dsnlink.transmission.models import AttemptState, DepositAttempt, DepositedFlow
    from dsnlink.transmission.protocol import _claim_flow

    adopter_id, owner_id = await gateway.upload(seed=90), await gateway.upload(seed=91)
    worker = fast_worker(wsettings, db_engine, CLOCK)
    now = CLOCK.now()
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        declarant = session.exec(select(Declarant)).one()
        adopter = session.get(Declaration, uuid.UUID(adopter_id))
        assert adopter is not None
        for step in (
            DeclarationStatus.TRANSMITTING,
            DeclarationStatus.RECONCILING,
            DeclarationStatus.DEPOSITED,
        ):
            timeline.advance(session, adopter, step, at=now)
        session.add(
            DepositAttempt(
                declaration_id=adopter.id,
                declarant_id=declarant.id,
                worker_id="w",
                started_at=now,
                sent_at=now,
                finished_at=now,
                outcome=AttemptState.RECONCILED,
                idflux="FLUX-X",
            )
        )
        session.add(
            DepositedFlow(
                idflux="FLUX-X",
                declaration_id=adopter.id,
                declarant_id=declarant.id,
                deposited_at=now,
                reconciled=True,
            )
        )
        adopted_job = session.exec(
            select(TransmissionJob).where(TransmissionJob.declaration_id == adopter.id)
        ).one()
        adopted_job.status = "done"
        session.add(adopted_job)
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        owner = session.get(Declaration, uuid.UUID(owner_id))
        declarant = session.exec(select(Declarant)).one()
        assert owner is not None
        _claim_flow(session, worker.context, owner, declarant, "FLUX-X", now)
    worker.context.client.close()

    with Session(db_engine) as session:
        flow = session.get(DepositedFlow, "FLUX-X")
        adopter = session.get(Declaration, uuid.UUID(adopter_id))
        attempt = session.exec(
            select(DepositAttempt).where(DepositAttempt.declaration_id == uuid.UUID(adopter_id))
        ).one()
        job = session.exec(
            select(TransmissionJob).where(TransmissionJob.declaration_id == uuid.UUID(adopter_id))
        ).one()
    assert flow is not None and str(flow.declaration_id) == owner_id and not flow.reconciled
    assert adopter is not None and adopter.status == DeclarationStatus.RECONCILING
    assert (attempt.outcome, attempt.idflux) == (AttemptState.AMBIGUOUS, None)
    assert job.status == "queued"
