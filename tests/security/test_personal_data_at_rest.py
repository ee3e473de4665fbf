"""Personal data (NIRs, names) of anomalies, returns and declarants is sealed in the database,
yet the tenant still reads it through the API and the dashboard, before and after a key
rotation."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.app import create_app
from api.cli import main
from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings, get_settings
from dsnlink.deposit_point.client import DepositPointClient
from dsnlink.deposit_point.records import DownloadedReturn, ReturnRecord
from dsnlink.norm.sample import sample_bytes
from dsnlink.security.blobs import BlobStore
from dsnlink.security.keys import Keyring
from dsnlink.transmission.context import TransmissionContext, TransmissionPolicy
from dsnlink.transmission.inbox import store_return
from dsnlink.transmission.models import DepositedFlow
from tests.dashboard.conftest import make_tenant, register_company, sign_in_with_key

SIREN, NIC = "732829320", "00074"
RETURNS = Path(__file__).parents[1] / "fixtures" / "returns"
# Values of a DGFiP return (nature 94) naming an employee: NIR, staff number, locality.
RETURN_NIR, RETURN_MATRICULE, RETURN_PLACE = "2850199123456", "MAT77711234", "Zebulonville"
IDFLUX, RETURN_ID = "41358177C5AD6C0000000000", "R94-1"
SENSITIVE_TABLES = (
    "declaration",
    "declaration_event",
    "deposit_attempt",
    "deposit_return",
    "declarant",
)


class _OneReturn:
    """A deposit-point client that only serves one return document."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    def download_return(
        self, idflux: str | None = None, return_id: str | None = None, *, url: str | None = None
    ) -> DownloadedReturn:
        return DownloadedReturn(
            idflux=idflux,
            return_id=return_id,
            url=url or "",
            content=self.content,
            content_type="application/xml",
        )


def _dgfip_return() -> bytes:
    xml = (RETURNS / "Exemple-94-DGFIP-crm-nominatif.xml").read_text(encoding="utf-8")
    xml = xml.replace("9999999999999", RETURN_NIR).replace("Bordeau", RETURN_PLACE)
    return xml.replace("MAT00009825", RETURN_MATRICULE).encode("utf-8")


def _with_bad_nir(body: bytes) -> tuple[bytes, str]:
    """The file with its first NIR one digit too long (a blocking anomaly quoting it)."""
    found = re.search(rb"S21\.G00\.30\.001,'(\d{13})'", body)
    assert found is not None
    nir = found.group(1).decode()
    return body.replace(found.group(0), f"S21.G00.30.001,'{nir}9'".encode(), 1), nir


def _raw_dump(engine: Engine) -> bytes:
    """Every stored value of the tables that used to hold personal data, as raw bytes."""
    out = bytearray()
    with engine.connect() as connection:
        for table in SENSITIVE_TABLES:
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                for value in row:
                    out += (
                        bytes(value)
                        if isinstance(value, bytes | memoryview)
                        else (str(value).encode("utf-8"))
                    )
                    out += b"\x00"
    return bytes(out)


@pytest.fixture
def app(settings: Settings, db_engine: Engine, clock: FrozenClock) -> FastAPI:
    return create_app(settings, engine=db_engine, clock=clock)


async def _client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(app):
        yield client


async def _store_dgfip_return(
    engine: Engine,
    settings: Settings,
    clock: FrozenClock,
    *,
    declaration_id: str,
    declarant_id: str,
) -> None:
    keyring = Keyring.from_text(settings.encryption_keys or "")
    sessions = db.session_factory(engine)
    ctx = TransmissionContext(
        sessions=sessions,
        client=cast(DepositPointClient, _OneReturn(_dgfip_return())),
        keyring=keyring,
        blobs=BlobStore(settings.data_dir / "blobs", keyring),
        clock=clock,
        policy=TransmissionPolicy(),
        worker_id="test",
        identity_secret=settings.secret_key,
        rng=random.Random(0),
    )
    with db.unit_of_work(sessions) as session:
        flow = DepositedFlow(
            idflux=IDFLUX,
            declaration_id=uuid.UUID(declaration_id),
            declarant_id=uuid.UUID(declarant_id),
            deposited_at=clock.now(),
        )
        session.add(flow)
        session.flush()
        record = ReturnRecord(
            idflux=IDFLUX,
            nature="94",
            status="OK",
            return_id=RETURN_ID,
            url=None,
            published_at=clock.now(),
            produced_at=clock.now(),
            ops="DGFIP",
        )
        assert store_return(session, ctx, flow=flow, record=record)


async def _shown_to_the_tenant(
    app: FastAPI,
    headers: dict[str, str],
    key: str,
    *,
    rejected_id: str,
    deposited_id: str,
    nir: str,
) -> None:
    async for client in _client(app):
        rejected = (await client.get(f"/v1/declarations/{rejected_id}", headers=headers)).json()
        assert any(nir in (a["value"] or "") for a in rejected["anomalies"])
        order = await client.post(f"/v1/declarations/{rejected_id}/transmit", headers=headers)
        assert order.status_code == 422
        assert any(nir in (a["value"] or "") for a in order.json()["anomalies"])

        deposited = (await client.get(f"/v1/declarations/{deposited_id}", headers=headers)).json()
        (shown,) = deposited["transmission"]["returns"]
        assert shown["anomalies"][0]["value"] == RETURN_PLACE
        assert any(
            a.get("value") == RETURN_PLACE
            for event in deposited["timeline"]
            for a in event["detail"].get("anomalies", [])
        )
        xml = await client.get(shown["url"], headers=headers)
        assert xml.status_code == 200 and RETURN_NIR in xml.text
        assert xml.content == _dgfip_return()

        declarants = (await client.get("/v1/declarants", headers=headers)).json()
        assert ("DURAND", "ALICE") in [(d["nom"], d["prenom"]) for d in declarants]

        assert (await sign_in_with_key(client, key)).status_code == 303
        page = await client.get(f"/app/declarations/{rejected_id}")
        assert page.status_code == 200 and nir in page.text
        download = await client.get(f"/app/declarations/{deposited_id}/retours/{RETURN_ID}")
        assert download.status_code == 200 and RETURN_NIR in download.text


async def test_nir_and_names_are_sealed_in_the_database_and_readable_after_rotation(
    cli_env: pytest.MonkeyPatch,
    app: FastAPI,
    api: httpx.AsyncClient,
    settings: Settings,
    db_engine: Engine,
    clock: FrozenClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tenant = make_tenant(settings, db_engine, clock, "Cabinet")
    await register_company(api, tenant, SIREN, NIC, "Alpha")
    declarant = await api.post(
        "/v1/declarants",
        headers=tenant.headers,
        json={"siret": SIREN + NIC, "nom": "DURAND", "prenom": "ALICE", "password": "pw"},
    )
    assert declarant.status_code == 201, declarant.text
    assert (declarant.json()["nom"], declarant.json()["prenom"]) == ("DURAND", "ALICE")
    octet = {**tenant.headers, "Content-Type": "application/octet-stream"}
    sample = sample_bytes(employees=2, month="2026-10", seed=3, siren=SIREN, nic=NIC)
    bad, nir = _with_bad_nir(sample)
    rejected = await api.post("/v1/declarations", headers=octet, content=bad)
    assert rejected.status_code == 201 and rejected.json()["status"] == "rejected"
    assert any(nir in (a["value"] or "") for a in rejected.json()["anomalies"])
    once = {**octet, "Idempotency-Key": "rotation-1"}
    deposit_body = sample_bytes(employees=2, month="2026-10", seed=4, siren=SIREN, nic=NIC)
    deposited = await api.post("/v1/declarations", headers=once, content=deposit_body)
    assert deposited.status_code == 201, deposited.text
    ids = {"rejected_id": rejected.json()["id"], "deposited_id": deposited.json()["id"]}
    hook = await api.post(
        "/v1/webhooks", headers=tenant.headers, json={"url": "https://hooks.example/dsn"}
    )
    assert hook.status_code == 201, hook.text
    await _store_dgfip_return(
        db_engine,
        settings,
        clock,
        declaration_id=ids["deposited_id"],
        declarant_id=declarant.json()["id"],
    )

    raw = _raw_dump(db_engine)
    for secret in (nir, RETURN_NIR, RETURN_MATRICULE, RETURN_PLACE, "DURAND", "ALICE"):
        assert secret.encode() not in raw, secret
    assert b"<NIR>" not in raw
    await _shown_to_the_tenant(app, tenant.headers, tenant.key, nir=nir, **ids)

    new_key = Fernet.generate_key().decode()
    cli_env.setenv("DSNLINK_ENCRYPTION_KEYS", f"{new_key},{settings.encryption_keys}")
    get_settings.cache_clear()
    assert main(["keys", "rotate"]) == 0
    assert "sealed personal data" in capsys.readouterr().out
    assert _raw_dump(db_engine) != raw
    rotated = settings.model_copy(update={"encryption_keys": new_key})
    only_new = create_app(rotated, engine=db_engine, clock=clock)
    await _shown_to_the_tenant(only_new, tenant.headers, tenant.key, nir=nir, **ids)
    async for client in _client(only_new):
        # The kept answer of an idempotent request and the webhook's signing secret: both opened
        # with the new key alone.
        again = await client.post("/v1/declarations", headers=once, content=deposit_body)
        assert again.status_code == 201 and again.json()["id"] == ids["deposited_id"]
    with db_engine.connect() as connection:
        (sealed,) = connection.execute(sa.text("SELECT secret_sealed FROM webhook_endpoint")).one()
    assert Keyring.from_text(new_key).open_json(sealed) == hook.json()["secret"]
