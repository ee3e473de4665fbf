"""integration API: idempotency keys, normalised content hash, business key, status_changed_at,
webhooks (endpoints, deliveries, attempts, cursor), API key expiry and scopes, the audit of
downloads and deletions of declaration files

Existing declarations keep their byte hash as content hash (their line endings were never
normalised), get `status_changed_at` from their last timeline event, and the business key of a
live normal monthly declaration (the oldest one when several exist).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TS = sa.DateTime(timezone=True)
DEAD = ("rejected", "refused_by_deposit_point", "rejected_by_deposit_point")

declaration = sa.table(
    "declaration",
    sa.column("id", sa.Uuid()),
    sa.column("tenant_id", sa.Uuid()),
    sa.column("establishment_id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("nature", sa.String()),
    sa.column("type", sa.String()),
    sa.column("month", sa.String()),
    sa.column("sha256", sa.String()),
    sa.column("received_at", UTC_TS),
    sa.column("content_sha256", sa.String()),
    sa.column("business_key", sa.String()),
    sa.column("status_changed_at", UTC_TS),
)
declaration_event = sa.table(
    "declaration_event",
    sa.column("declaration_id", sa.Uuid()),
    sa.column("at", UTC_TS),
)


def upgrade() -> None:
    # Plain ALTERs and (unique) indexes: SQLite does them in place, without recreating the
    # declaration and api_key tables that so many rows refer to.
    op.add_column("declaration", sa.Column("content_sha256", sa.String(64), nullable=True))
    op.add_column("declaration", sa.Column("order_number", sa.String(32), nullable=True))
    op.add_column("declaration", sa.Column("business_key", sa.String(80), nullable=True))
    op.add_column("declaration", sa.Column("status_changed_at", UTC_TS, nullable=True))
    # Receipts signed before this revision sign six fields (version 1).
    op.add_column(
        "declaration",
        sa.Column("receipt_version", sa.Integer(), nullable=False, server_default="1"),
    )
    connection = op.get_bind()
    last_event = (
        sa.select(sa.func.max(declaration_event.c.at))
        .where(declaration_event.c.declaration_id == declaration.c.id)
        .scalar_subquery()
    )
    connection.execute(
        sa.update(declaration).values(
            content_sha256=declaration.c.sha256,
            status_changed_at=sa.func.coalesce(last_event, declaration.c.received_at),
        )
    )
    live = connection.execute(
        sa.select(
            declaration.c.id,
            declaration.c.tenant_id,
            declaration.c.establishment_id,
            declaration.c.month,
            declaration.c.nature,
        )
        .where(
            declaration.c.nature == "01",
            declaration.c.type.in_(("01", "02")),
            declaration.c.status.not_in(DEAD),
        )
        .order_by(declaration.c.received_at)
    ).all()
    taken: set[tuple[object, str]] = set()
    for row in live:
        key = f"{row.establishment_id}|{row.month}|{row.nature}"
        if (row.tenant_id, key) in taken:
            continue
        taken.add((row.tenant_id, key))
        connection.execute(
            sa.update(declaration).where(declaration.c.id == row.id).values(business_key=key)
        )
    op.create_index(
        "uq_declaration_content", "declaration", ["tenant_id", "content_sha256"], unique=True
    )
    op.create_index(
        "uq_declaration_business_key", "declaration", ["tenant_id", "business_key"], unique=True
    )
    op.create_index(
        "ix_declaration_tenant_changed", "declaration", ["tenant_id", "status_changed_at", "id"]
    )

    op.add_column("api_key", sa.Column("expires_at", UTC_TS, nullable=True))
    op.add_column("api_key", sa.Column("scopes", sa.JSON(), nullable=True))

    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("scope", sa.String(120), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("expires_at", UTC_TS, nullable=False),
        sa.UniqueConstraint("tenant_id", "scope", "key", name="uq_idempotency_key"),
    )
    op.create_index("ix_idempotency_key_expires_at", "idempotency_key", ["expires_at"])

    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(200), nullable=True),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("created_by_user_id", sa.Uuid(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("disabled_at", UTC_TS, nullable=True),
        sa.Column("disabled_reason", sa.String(300), nullable=True),
        sa.Column("deleted_at", UTC_TS, nullable=True),
    )
    op.create_index("ix_webhook_endpoint_tenant_id", "webhook_endpoint", ["tenant_id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "endpoint_id", sa.Uuid(), sa.ForeignKey("webhook_endpoint.id"), nullable=False
        ),
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("source_event_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_TS, nullable=False),
        sa.Column("lease_until", UTC_TS, nullable=True),
        sa.Column("created_at", UTC_TS, nullable=False),
        sa.Column("finished_at", UTC_TS, nullable=True),
        sa.UniqueConstraint(
            "endpoint_id", "source_event_id", "event_type", name="uq_webhook_delivery_source"
        ),
    )
    op.create_index("ix_webhook_delivery_endpoint_id", "webhook_delivery", ["endpoint_id"])
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["status", "next_attempt_at"])
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "delivery_id", sa.Uuid(), sa.ForeignKey("webhook_delivery.id"), nullable=False
        ),
        sa.Column("at", UTC_TS, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(300), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
    )
    op.create_index("ix_webhook_attempt_delivery_id", "webhook_attempt", ["delivery_id"])
    op.create_table(
        "declaration_access",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.Uuid(), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", UTC_TS, nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("api_key_id", sa.Uuid(), sa.ForeignKey("api_key.id"), nullable=True),
    )
    op.create_index("ix_declaration_access_tenant_id", "declaration_access", ["tenant_id"])
    op.create_index(
        "ix_declaration_access_declaration_id", "declaration_access", ["declaration_id"]
    )
    op.create_table(
        "webhook_cursor",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webhook_cursor")
    op.drop_index("ix_declaration_access_declaration_id", table_name="declaration_access")
    op.drop_index("ix_declaration_access_tenant_id", table_name="declaration_access")
    op.drop_table("declaration_access")
    op.drop_index("ix_webhook_attempt_delivery_id", table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    op.drop_index("ix_webhook_delivery_due", table_name="webhook_delivery")
    op.drop_index("ix_webhook_delivery_endpoint_id", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index("ix_webhook_endpoint_tenant_id", table_name="webhook_endpoint")
    op.drop_table("webhook_endpoint")
    op.drop_index("ix_idempotency_key_expires_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
    op.drop_column("api_key", "scopes")
    op.drop_column("api_key", "expires_at")
    op.drop_index("ix_declaration_tenant_changed", table_name="declaration")
    op.drop_index("uq_declaration_business_key", table_name="declaration")
    op.drop_index("uq_declaration_content", table_name="declaration")
    for column in (
        "receipt_version",
        "status_changed_at",
        "business_key",
        "order_number",
        "content_sha256",
    ):
        op.drop_column("declaration", column)
