"""Migration 0006 moves the payslip quota override into tenant_limit without losing it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from dsnlink import db


def test_payslip_override_survives_upgrade_and_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    db.upgrade(url, "0005")
    engine = sa.create_engine(url)
    tenant_id = uuid.uuid4()
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO tenant (id, name, offering, formula, payslip_limit, created_at) "
                "VALUES (:id, 'Alpha', 'hr-sprint', 'open', 12000, :now)"
            ),
            {"id": tenant_id.hex, "now": datetime.now(UTC)},
        )

    db.upgrade(url)
    with engine.connect() as connection:
        moved = connection.execute(
            sa.text("SELECT name, value FROM tenant_limit WHERE tenant_id = :id"),
            {"id": tenant_id.hex},
        ).all()
        columns = {c["name"] for c in sa.inspect(connection).get_columns("tenant")}
    command.downgrade(db.alembic_config(url), "0005")
    with engine.connect() as connection:
        restored = connection.execute(
            sa.text("SELECT payslip_limit FROM tenant WHERE id = :id"), {"id": tenant_id.hex}
        ).scalar_one()
    engine.dispose()

    assert moved == [("payslips_per_company_per_year", 12000)]
    assert "payslip_limit" not in columns
    assert restored == 12000
