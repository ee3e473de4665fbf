"""The returns inbox never stalls: a return that cannot be read is kept raw and quarantined with
its reason, an operator alert is raised, and every other return (every tenant's) still arrives.
Reads from the deposit point are bounded: a small gzip of zeros cannot fill the worker."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
import uuid
import zlib
from collections.abc import AsyncIterator
from typing import cast

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Response
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from transmission_harness import Gateway, fast_worker, gateway_app, open_gateway

from benchmarks.harness import nic_for, serve, siren_for
from dsnlink import db
from dsnlink.clock import FrozenClock, SystemClock
from dsnlink.config import Settings
from dsnlink.deposit_point.client import DepositPointClient
from dsnlink.deposit_point.endpoints import Endpoints, RetryPolicy
from dsnlink.deposit_point.errors import NotFoundOnDepositPoint, ResponseTooLarge
from dsnlink.deposit_point.records import (
    ConcentratorCredentials,
    DownloadedReturn,
    Operation,
    ReturnRecord,
)
from dsnlink.deposit_point.returns import DEFAULT_DECOMPRESSION_LIMIT
from dsnlink.service_status.models import Component
from dsnlink.service_status.service import service_status
from dsnlink.transmission.context import TransmissionContext
from dsnlink.transmission.inbox import poll_returns, store_return
from dsnlink.transmission.models import DepositedFlow, DepositReturn
from tests.transmission.test_trust import FIXTURES, _drain_until

CLOCK = SystemClock()
# A return key of its own: the mock publishes nothing else under it, whatever the timing.
POISON_OPS = "ORGPOISON"
DOCTYPE = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<gipmds:rapport xmlns:gipmds='http://www.gip-mds.fr/'>&x;</gipmds:rapport>"
)


def _script(mock_url: str, idflux: str, document: bytes, nature: str, **params: str) -> None:
    httpx.post(
        f"{mock_url}/_mock/flows/{idflux}/returns",
        params={"nature": nature, **params},
        content=document,
        headers={"Content-Type": "application/xml"},
        timeout=10,
    ).raise_for_status()


async def test_a_poisoned_return_is_quarantined_and_every_other_tenant_gets_its_own(
    gateway: Gateway, wsettings: Settings, db_engine: Engine, mock_url: str
) -> None:
    other = await open_gateway(
        gateway_app(wsettings, db_engine, CLOCK),
        wsettings,
        db_engine,
        CLOCK,
        name="Bravo",
        siren=siren_for(60),
        nic=nic_for(siren_for(60)),
    )
    poisoned_id, healthy_id = await gateway.upload(seed=80), await other.upload(seed=81)
    await _drain_until(gateway, wsettings, db_engine, poisoned_id, "conform")
    await _drain_until(other, wsettings, db_engine, healthy_id, "conform")
    poisoned_flow = (await gateway.detail(poisoned_id))["transmission"]["idflux"]
    healthy_flow = (await other.detail(healthy_id))["transmission"]["idflux"]
    worker = fast_worker(wsettings, db_engine, CLOCK)

    def poisoned() -> DepositReturn | None:
        with Session(db_engine) as session:
            return session.exec(
                select(DepositReturn).where(
                    DepositReturn.idflux == poisoned_flow,
                    DepositReturn.nature == "61",
                    DepositReturn.ops == POISON_OPS,
                )
            ).first()

    # Published in this order: the poison first, the good CRM of the other tenant after it.
    _script(mock_url, poisoned_flow, DOCTYPE, "61", ops=POISON_OPS)
    _script(
        mock_url, healthy_flow, (FIXTURES / "exemple_retour_121_CRM_ID_OK.xml").read_bytes(), "121"
    )

    versions = []
    try:
        # The listing is read by the second: a return published this second is listed by a
        # later cycle, never lost. Poll (with a deadline) until the poison is met ...
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            await asyncio.to_thread(poll_returns, worker.context)
            row = poisoned()
            if row is not None and not row.readable:
                break
            await asyncio.sleep(0.2)
        for _ in range(3):  # ... then it is met every cycle: it must not stop any
            await asyncio.to_thread(poll_returns, worker.context)
            row = poisoned()
            assert row is not None
            versions.append(row.versions)
    finally:
        worker.context.client.close()

    with Session(db_engine) as session:
        rows = {(r.idflux, r.nature): r for r in session.exec(select(DepositReturn)).all()}
    quarantined = poisoned()
    assert quarantined is not None
    assert not quarantined.readable and "DTD" in (quarantined.error or "")
    assert len(set(versions)) == 1  # stored once, not again each cycle
    assert rows[(healthy_flow, "121")].readable
    detail = await other.detail(healthy_id)
    assert detail["organisms_status"] and detail["status"] == "conform"
    shown = await gateway.detail(poisoned_id)
    returns_shown = shown["transmission"]["returns"]
    [raw] = [r for r in returns_shown if r["nature"] == "61" and not r["readable"]]
    assert (raw["readable"], raw["error"]) == (False, quarantined.error)
    assert (await gateway.http.get(raw["url"], headers=gateway.headers)).content == DOCTYPE
    # The operator's alert: the status page and the metrics.
    with Session(db_engine) as session:
        status = service_status(session, now=CLOCK.now())
    [returns] = [c for c in status.components if c.name == Component.RETURNS]
    assert returns.state == "degraded" and "quarantaine" in (returns.detail or "")
    metrics = await gateway.http.get("/metrics")
    assert "dsnlink_returns_quarantined 1.0" in metrics.text


class _Scripted:
    """A deposit-point client whose downloads are scripted per return id."""

    def __init__(self, answers: dict[str, bytes | Exception]) -> None:
        self.answers = answers

    def download_return(
        self, idflux: str | None = None, return_id: str | None = None, *, url: str | None = None
    ) -> DownloadedReturn:
        answer = self.answers[str(return_id)]
        if isinstance(answer, Exception):
            raise answer
        return DownloadedReturn(
            idflux=idflux, return_id=return_id, url=url or "", content=answer, content_type=None
        )


def _record(return_id: str, *, nature: str = "61", delegataire: str | None = None) -> ReturnRecord:
    return ReturnRecord(
        idflux="FLUX-Q",
        nature=nature,
        status="OK",
        return_id=return_id,
        url=None,
        published_at=None,
        produced_at=None,
        ops="URSSAF",
        delegataire=delegataire,
    )


@pytest.fixture
async def flow(
    gateway: Gateway, wsettings: Settings, db_engine: Engine
) -> AsyncIterator[tuple[TransmissionContext, DepositedFlow]]:
    declaration_id = await gateway.upload(seed=90, transmit=False)
    worker = fast_worker(wsettings, db_engine, CLOCK)
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        declarant = session.exec(sa.text("SELECT id FROM declarant")).scalar_one()
        row = DepositedFlow(
            idflux="FLUX-Q",
            declaration_id=uuid.UUID(declaration_id),
            declarant_id=uuid.UUID(str(declarant)),
            deposited_at=CLOCK.now(),
        )
        session.add(row)
    original = worker.context.client
    yield worker.context, row
    original.close()


async def test_a_purged_or_refused_download_is_quarantined_with_its_reason(
    flow: tuple[TransmissionContext, DepositedFlow], db_engine: Engine
) -> None:
    ctx, row = flow
    ctx.client = cast(
        DepositPointClient,
        _Scripted(
            {
                "R1": NotFoundOnDepositPoint(
                    "retour purgé (404)", operation=Operation.DOWNLOAD_RETURN, http_status=404
                )
            }
        ),
    )
    with db.unit_of_work(ctx.sessions) as session:
        assert store_return(session, ctx, flow=row, record=_record("R1"))
    with Session(db_engine) as session:
        stored = session.exec(select(DepositReturn)).one()
    assert not stored.readable and "404" in (stored.error or "")


async def test_two_delegataires_of_one_body_keep_two_returns(
    flow: tuple[TransmissionContext, DepositedFlow], db_engine: Engine
) -> None:
    ctx, row = flow
    crm = (FIXTURES / "exemple_retour_61_CRM_URSSAF.xml").read_bytes()
    ctx.client = cast(DepositPointClient, _Scripted({"R1": crm, "R2": crm}))
    with db.unit_of_work(ctx.sessions) as session:
        assert store_return(session, ctx, flow=row, record=_record("R1", delegataire="D-ONE"))
        assert store_return(session, ctx, flow=row, record=_record("R2", delegataire="D-TWO"))
    with Session(db_engine) as session:
        stored = session.exec(select(DepositReturn)).all()
    assert sorted((r.delegataire, r.return_id) for r in stored) == [
        ("D-ONE", "R1"),
        ("D-TWO", "R2"),
    ]


# --- bounded reads ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """1 GiB of zeros, gzipped to about 1 MB (made once, never held whole)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(1024)]
    parts.append(compressor.flush())
    return b"".join(parts)


def _hostile(bomb: bytes) -> FastAPI:
    """A deposit point whose every return is a decompression bomb."""
    app = FastAPI()

    @app.post("/authentifier/1.0/")
    def login() -> Response:
        return Response(b"JETON", media_type="application/octet-stream")

    @app.get("/telecharger-retour/1.0/{idflux}/{return_id}")
    def download(idflux: str, return_id: str) -> Response:
        return Response(bomb, media_type="application/xml", headers={"Content-Encoding": "gzip"})

    return app


def test_a_decompression_bomb_from_the_deposit_point_stops_at_the_limit(gzip_bomb: bytes) -> None:
    assert len(gzip_bomb) < 1_200_000  # about 1 MB on the wire
    with (
        serve(_hostile(gzip_bomb)) as url,
        DepositPointClient(
            endpoints=Endpoints.single(url),
            credentials=ConcentratorCredentials(
                siret="18751249600022", nom="CTR2000", prenom="concentrateur", password="azerty"
            ),
            retry=RetryPolicy(max_attempts=1),
            clock=FrozenClock(CLOCK.now()),
        ) as client,
    ):
        client.authenticate()
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLarge) as refused:
                client.download_return("FLUX-B", "1")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert refused.value.context["limit"] == DEFAULT_DECOMPRESSION_LIMIT
    # The worker grew by about the limit (what it kept before stopping), never by the gigabyte.
    assert peak < DEFAULT_DECOMPRESSION_LIMIT * 1.3, f"peak {peak / 2**20:.1f} MiB"
