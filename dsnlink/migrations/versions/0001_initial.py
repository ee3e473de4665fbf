"""initial schema: tenants, companies, declarations, transmission queue

Revision ID: 0001
Revises:
Create Date: 2026-11-22 06:27:43.826342
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("offering", sa.String(length=64), nullable=False),
        sa.Column("formula", sa.String(length=16), nullable=False),
        sa.Column("payslip_limit", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "email"),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_user_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "declarant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("nom", sa.String(length=64), nullable=False),
        sa.Column("prenom", sa.String(length=39), nullable=False),
        sa.Column("password_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("declarant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declarant_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "administrator_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("changed_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_user_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("administrator_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_administrator_change_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "api_key",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("prefix"),
    )
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_key_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "company",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("siren", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("due_day", sa.Integer(), nullable=False),
        sa.Column("declarant_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declarant_id"],
            ["declarant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "siren"),
    )
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_company_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "establishment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("nic", sa.String(length=5), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "siret"),
    )
    with op.batch_alter_table("establishment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_establishment_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_establishment_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "declaration",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("company_id", sa.Uuid(), nullable=False),
        sa.Column("establishment_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("nature", sa.String(length=2), nullable=False),
        sa.Column("type", sa.String(length=2), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("norm_version", sa.String(length=8), nullable=True),
        sa.Column("individuals", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("blob_path", sa.String(length=500), nullable=False),
        sa.Column("blob_wrapped_key", sa.Text(), nullable=False),
        sa.Column("anomalies", sa.JSON(), nullable=False),
        sa.Column("anomaly_count", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=True),
        sa.Column("guaranteed", sa.Boolean(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("received_by_user_id", sa.Uuid(), nullable=False),
        sa.Column("received_by_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ordered_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("ordered_by_api_key_id", sa.Uuid(), nullable=True),
        sa.Column("receipt_signature", sa.String(length=128), nullable=False),
        sa.Column("receipt_key_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["company.id"],
        ),
        sa.ForeignKeyConstraint(
            ["establishment_id"],
            ["establishment.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ordered_by_api_key_id"],
            ["api_key.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ordered_by_user_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["received_by_api_key_id"],
            ["api_key.id"],
        ),
        sa.ForeignKeyConstraint(
            ["received_by_user_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "sha256"),
    )
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declaration_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_declaration_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_declaration_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_declaration_tenant_month", ["tenant_id", "month"], unique=False)

    op.create_table(
        "declaration_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_key.id"],
        ),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("declaration_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_declaration_event_declaration_id"), ["declaration_id"], unique=False
        )

    op.create_table(
        "transmission_job",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("ordered_by_user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_by", sa.String(length=200), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declaration.id"],
        ),
        sa.ForeignKeyConstraint(
            ["ordered_by_user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("declaration_id"),
    )
    with op.batch_alter_table("transmission_job", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_transmission_job_available_at"), ["available_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_transmission_job_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transmission_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transmission_job_status"))
        batch_op.drop_index(batch_op.f("ix_transmission_job_available_at"))

    op.drop_table("transmission_job")
    with op.batch_alter_table("declaration_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declaration_event_declaration_id"))

    op.drop_table("declaration_event")
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.drop_index("ix_declaration_tenant_month")
        batch_op.drop_index(batch_op.f("ix_declaration_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_declaration_status"))
        batch_op.drop_index(batch_op.f("ix_declaration_company_id"))

    op.drop_table("declaration")
    with op.batch_alter_table("establishment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_establishment_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_establishment_company_id"))

    op.drop_table("establishment")
    with op.batch_alter_table("company", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_tenant_id"))

    op.drop_table("company")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_key_tenant_id"))

    op.drop_table("api_key")
    with op.batch_alter_table("administrator_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_administrator_change_tenant_id"))

    op.drop_table("administrator_change")
    with op.batch_alter_table("declarant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declarant_tenant_id"))

    op.drop_table("declarant")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_tenant_id"))

    op.drop_table("app_user")
    op.drop_table("tenant")
