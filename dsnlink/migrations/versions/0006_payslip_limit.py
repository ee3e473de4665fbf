"""limits: the payslip quota override joins the other overrides in tenant_limit

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 07:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAYSLIP_LIMIT = "payslips_per_company_per_year"

tenant = sa.table("tenant", sa.column("id", sa.Uuid()), sa.column("payslip_limit", sa.Integer()))
tenant_limit = sa.table(
    "tenant_limit",
    sa.column("tenant_id", sa.Uuid()),
    sa.column("name", sa.String(32)),
    sa.column("value", sa.Integer()),
    sa.column("set_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    connection = op.get_bind()
    now = datetime.now(UTC)
    overrides = connection.execute(
        sa.select(tenant.c.id, tenant.c.payslip_limit).where(tenant.c.payslip_limit.is_not(None))
    ).all()
    for tenant_id, value in overrides:
        connection.execute(
            sa.delete(tenant_limit).where(
                tenant_limit.c.tenant_id == tenant_id, tenant_limit.c.name == PAYSLIP_LIMIT
            )
        )
        connection.execute(
            sa.insert(tenant_limit).values(
                tenant_id=tenant_id, name=PAYSLIP_LIMIT, value=value, set_at=now
            )
        )
    # A plain column: SQLite (≥ 3.35) drops it in place, without recreating the referenced table.
    op.drop_column("tenant", "payslip_limit")


def downgrade() -> None:
    op.add_column("tenant", sa.Column("payslip_limit", sa.Integer(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(tenant_limit.c.tenant_id, tenant_limit.c.value).where(
            tenant_limit.c.name == PAYSLIP_LIMIT
        )
    ).all()
    for tenant_id, value in rows:
        connection.execute(
            sa.update(tenant).where(tenant.c.id == tenant_id).values(payslip_limit=value)
        )
    connection.execute(sa.delete(tenant_limit).where(tenant_limit.c.name == PAYSLIP_LIMIT))
