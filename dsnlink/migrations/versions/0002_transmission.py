"""Transmission: deposit attempts, per-declarant lease, deposited flows, returns; pgqueuer's
tables on PostgreSQL (the wake-up queue of `dsnlink worker`, see dsnlink/transmission/pgqueue.py).

Revision ID: 0002
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from pgqueuer.adapters.persistence.qb import QueryBuilderEnvironment

revision: str = "0002"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _pgqueuer_environment() -> QueryBuilderEnvironment:
    from pgqueuer.adapters.persistence.qb import QueryBuilderEnvironment

    return QueryBuilderEnvironment()


def upgrade() -> None:
    op.create_table(
        "returns_cursor",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("listed_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "declarant_lease",
        sa.Column("declarant_id", sa.Uuid(), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["declarant_id"],
            ["declarant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
        ),
        sa.PrimaryKeyConstraint("declarant_id"),
    )
    op.create_table(
        "deposit_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("declarant_id", sa.Uuid(), nullable=False),
        sa.Column("worker_id", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("idflux", sa.String(length=50), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["declarant_id"],
            ["declarant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deposit_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deposit_attempt_declarant_id"), ["declarant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deposit_attempt_declaration_id"), ["declaration_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_deposit_attempt_outcome"), ["outcome"], unique=False)

    op.create_table(
        "deposit_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("idflux", sa.String(length=50), nullable=False),
        sa.Column("nature", sa.String(length=4), nullable=False),
        sa.Column("ops", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=True),
        sa.Column("return_id", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("produced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("downloaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("versions", sa.Integer(), nullable=False),
        sa.Column("schema_valid", sa.Boolean(), nullable=True),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("parsed", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idflux", "nature", "ops"),
    )
    with op.batch_alter_table("deposit_return", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deposit_return_declaration_id"), ["declaration_id"], unique=False
        )

    op.create_table(
        "deposited_flow",
        sa.Column("idflux", sa.String(length=50), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("declarant_id", sa.Uuid(), nullable=False),
        sa.Column("deposited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reconciled", sa.Boolean(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["declarant_id"],
            ["declarant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
        ),
        sa.PrimaryKeyConstraint("idflux"),
        sa.UniqueConstraint("declaration_id"),
    )
    with op.batch_alter_table("deposited_flow", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deposited_flow_declarant_id"), ["declarant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deposited_flow_settled_at"), ["settled_at"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql(_pgqueuer_environment().build_install_query())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.get_bind().exec_driver_sql(_pgqueuer_environment().build_uninstall_query())
    with op.batch_alter_table("deposited_flow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deposited_flow_settled_at"))
        batch_op.drop_index(batch_op.f("ix_deposited_flow_declarant_id"))

    op.drop_table("deposited_flow")
    with op.batch_alter_table("deposit_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deposit_return_declaration_id"))

    op.drop_table("deposit_return")
    with op.batch_alter_table("deposit_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deposit_attempt_outcome"))
        batch_op.drop_index(batch_op.f("ix_deposit_attempt_declaration_id"))
        batch_op.drop_index(batch_op.f("ix_deposit_attempt_declarant_id"))

    op.drop_table("deposit_attempt")
    op.drop_table("declarant_lease")
    op.drop_table("returns_cursor")
