"""transmission you can trust: one deposit in flight per net-entreprises identity, declarants
checked and removable, returns keyed by délégataire and quarantined when unreadable, the
organisms' verdicts on the declaration

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RETURN_COLUMNS = (
    "id",
    "declaration_id",
    "idflux",
    "nature",
    "ops",
    "status",
    "return_id",
    "kind",
    "label",
    "published_at",
    "produced_at",
    "downloaded_at",
    "versions",
    "schema_valid",
    "xml_sealed",
    "parsed_sealed",
)


def _deposit_return_columns(*, with_new_columns: bool) -> list[Any]:
    columns: list[Any] = [
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
        sa.Column("xml_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("parsed_sealed", sa.LargeBinary(), nullable=False),
    ]
    unique: tuple[str, ...] = ("idflux", "nature", "ops")
    if with_new_columns:
        columns += [
            sa.Column("delegataire", sa.String(length=64), nullable=False),
            sa.Column("readable", sa.Boolean(), nullable=False),
            sa.Column("error", sa.Text(), nullable=True),
            sa.Column("organism", sa.String(length=120), nullable=True),
            sa.Column("crm_code", sa.Integer(), nullable=True),
        ]
        unique = ("idflux", "nature", "ops", "delegataire")
    return [
        *columns,
        sa.ForeignKeyConstraint(["declaration_id"], ["declaration.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(*unique),
    ]


def _rebuild_returns(*, with_new_columns: bool) -> None:
    """deposit_return again, with or without the new columns and key (nothing references it)."""
    new = op.create_table(
        "deposit_return_next", *_deposit_return_columns(with_new_columns=with_new_columns)
    )
    old = sa.table("deposit_return", *(sa.column(name) for name in _RETURN_COLUMNS))
    copied = [old.c[name] for name in _RETURN_COLUMNS]
    extra = (
        [sa.literal(""), sa.literal(True), sa.null(), sa.null(), sa.null()]
        if with_new_columns
        else []
    )
    targets = list(_RETURN_COLUMNS) + (
        ["delegataire", "readable", "error", "organism", "crm_code"] if with_new_columns else []
    )
    op.execute(new.insert().from_select(targets, sa.select(*copied, *extra)))
    op.drop_index("ix_deposit_return_declaration_id", table_name="deposit_return")
    op.drop_table("deposit_return")
    op.rename_table("deposit_return_next", "deposit_return")
    op.create_index(
        "ix_deposit_return_declaration_id", "deposit_return", ["declaration_id"], unique=False
    )
    if op.get_bind().dialect.name == "postgresql":
        # The renamed table keeps its sequence and constraint names: give them the usual ones.
        op.execute("ALTER SEQUENCE deposit_return_next_id_seq RENAME TO deposit_return_id_seq")
        op.execute(
            "ALTER TABLE deposit_return RENAME CONSTRAINT deposit_return_next_pkey "
            "TO deposit_return_pkey"
        )


def upgrade() -> None:
    op.add_column("declarant", sa.Column("identity_key", sa.String(length=64), nullable=True))
    op.create_index("ix_declarant_identity_key", "declarant", ["identity_key"], unique=False)
    op.add_column("declarant", sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("declarant", sa.Column("check_status", sa.String(length=16), nullable=True))
    op.add_column("declarant", sa.Column("check_message", sa.Text(), nullable=True))
    op.add_column("declarant", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))

    # Leases in flight are not carried over: a deposit in doubt takes its identity's lease again
    # before anything else (reconcile.py), and a lease is only ever held during a deposit.
    op.create_table(
        "identity_lease",
        sa.Column("identity_key", sa.String(length=64), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["declaration_id"], ["declaration.id"]),
        sa.PrimaryKeyConstraint("identity_key"),
    )
    op.drop_table("declarant_lease")

    op.add_column(
        "declaration",
        sa.Column("organisms", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
    )
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("declaration", "organisms", server_default=None)

    _rebuild_returns(with_new_columns=True)


def downgrade() -> None:
    # Two délégataires' returns of one body cannot share the old key: keep the first one.
    op.execute(
        "DELETE FROM deposit_return WHERE id NOT IN (SELECT min(id) FROM deposit_return "
        "GROUP BY idflux, nature, ops)"
    )
    _rebuild_returns(with_new_columns=False)
    op.drop_column("declaration", "organisms")
    op.create_table(
        "declarant_lease",
        sa.Column("declarant_id", sa.Uuid(), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["declarant_id"], ["declarant.id"]),
        sa.ForeignKeyConstraint(["declaration_id"], ["declaration.id"]),
        sa.PrimaryKeyConstraint("declarant_id"),
    )
    op.drop_table("identity_lease")
    op.drop_column("declarant", "removed_at")
    op.drop_column("declarant", "check_message")
    op.drop_column("declarant", "check_status")
    op.drop_column("declarant", "checked_at")
    op.drop_index("ix_declarant_identity_key", table_name="declarant")
    op.drop_column("declarant", "identity_key")
