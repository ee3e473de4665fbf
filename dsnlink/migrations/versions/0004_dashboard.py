"""dashboard: users' password hashes, users restricted to client companies

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-22 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=256), nullable=True))
    op.create_table(
        "app_user_company",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("user_id", "company_id"),
    )
    with op.batch_alter_table("app_user_company", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_app_user_company_company_id"), ["company_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user_company", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_company_company_id"))
    op.drop_table("app_user_company")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("password_hash")
