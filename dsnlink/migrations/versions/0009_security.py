"""security: key creators, revocable sessions, expiring hashed rate-limit rows, sign-in back-off

- `api_key.created_by_user_id`: who minted each key (existing keys: their owner).
- `app_user.session_version`: bumped at sign-out, it ends every dashboard session of the user.
- `rate_limit_window`: subjects become HMAC digests (the clear rows, short-lived counters, are
  dropped) and an index on `window_start` lets old windows be deleted in one statement.
- `sign_in_backoff`: failed password sign-ins per (address, e-mail) digest, with the instant
  before which the next attempt is refused.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

api_key = sa.table(
    "api_key",
    sa.column("user_id", sa.Uuid()),
    sa.column("created_by_user_id", sa.Uuid()),
)


def upgrade() -> None:
    # Plain columns (no foreign key: users are never deleted, only marked removed), so SQLite
    # adds and drops them in place, without recreating tables other tables refer to.
    op.add_column("api_key", sa.Column("created_by_user_id", sa.Uuid(), nullable=True))
    op.execute(api_key.update().values(created_by_user_id=api_key.c.user_id))
    op.add_column(
        "app_user",
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"),
    )
    # Counters of at most a minute: dropping them only resets the current window.
    op.execute(sa.text("DELETE FROM rate_limit_window"))
    op.create_index(
        "ix_rate_limit_window_window_start", "rate_limit_window", ["window_start"]
    )
    op.create_table(
        "sign_in_backoff",
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("subject"),
    )
    op.create_index("ix_sign_in_backoff_last_failure_at", "sign_in_backoff", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_backoff_last_failure_at", table_name="sign_in_backoff")
    op.drop_table("sign_in_backoff")
    op.drop_index("ix_rate_limit_window_window_start", table_name="rate_limit_window")
    op.execute(sa.text("DELETE FROM rate_limit_window"))
    op.drop_column("app_user", "session_version")
    op.drop_column("api_key", "created_by_user_id")
