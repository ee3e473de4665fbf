"""Migration 0008_integ carries the data over: existing declarations get their content hash,
their status_changed_at from the timeline, and the business key of the oldest live normal
monthly declaration; down and up again keeps them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine, make_url

from api.app import create_app
from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.tenants import service as tenants_service
from tests.api.dsn_files import NIC_A, SIREN_A, dsn


@pytest.fixture
def throwaway_url(
    migrated_engine: Engine, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    if migrated_engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'm8.sqlite3'}"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    name = f"dsnlink_m8_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(str(admin.url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_existing_declarations_are_carried_over(
    throwaway_url: str, settings: Settings, clock: FrozenClock
) -> None:
    db.upgrade(throwaway_url)
    engine = db.create_db_engine(throwaway_url)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            created = tenants_service.create_tenant(
                session,
                name="M",
                admin_email="a@m.example",
                secret=settings.secret_key,
                clock=clock,
            )
        headers = {"Authorization": f"Bearer {created.api_key}"}
        app = create_app(settings, engine=engine, clock=clock)

        async def file() -> str:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://g") as client:
                company = await client.post(
                    "/v1/companies",
                    headers=headers,
                    json={
                        "siren": SIREN_A,
                        "name": "M",
                        "due_day": 5,
                        "establishments": [{"nic": NIC_A, "name": "S"}],
                    },
                )
                assert company.status_code == 201, company.text
                answer = await client.post(
                    "/v1/declarations",
                    content=dsn(),
                    headers={**headers, "Content-Type": "application/octet-stream"},
                )
                assert answer.status_code == 201, answer.text
                return str(answer.json()["id"])

        declaration_id = asyncio.run(file())
        columns = "sha256, content_sha256, business_key, status_changed_at, receipt_version"

        def row() -> sa.Row[tuple[object, ...]]:
            with engine.connect() as connection:
                return connection.execute(sa.text(f"SELECT {columns} FROM declaration")).one()

        before = row()
        assert before.business_key and before.content_sha256 and before.receipt_version == 2

        command.downgrade(db.alembic_config(throwaway_url), "0007")
        engine.dispose()
        db.upgrade(throwaway_url)
        after = row()
        assert after.content_sha256 == after.sha256  # the byte hash, as the old rows had
        assert after.business_key == before.business_key
        assert after.status_changed_at is not None
        assert after.receipt_version == 1  # their receipts signed the six old fields
        with engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
        assert {"idempotency_key", "webhook_delivery", "declaration_access"} <= tables
        assert declaration_id
    finally:
        engine.dispose()
