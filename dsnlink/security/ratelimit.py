"""Rate limit per API key: a fixed-window counter in the database, so replicas share it.

One atomic statement per request, `INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1
RETURNING hits`, on PostgreSQL and SQLite alike: no read-then-write race between replicas.
A caller's previous windows are deleted when it opens a new one, so the table stays small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from dsnlink.security.models import RateLimitWindow

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


def hit(
    session: Session, *, subject: str, limit: int, now: datetime, window: int = WINDOW_SECONDS
) -> RateDecision:
    """Count one request of `subject` and say whether it is within `limit` per `window`."""
    epoch = now.timestamp()
    start = int(epoch // window) * window
    table = RateLimitWindow.__table__  # type: ignore[attr-defined]
    insert = (
        postgresql.insert(table)
        if session.get_bind().dialect.name == "postgresql"
        else sqlite.insert(table)
    )
    statement = (
        insert.values(subject=subject, window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=[table.c.subject, table.c.window_start],
            set_={"hits": table.c.hits + 1},
        )
        .returning(table.c.hits)
    )
    hits = int(session.execute(statement).scalar_one())
    if hits == 1:
        session.execute(
            sa.delete(table).where(table.c.subject == subject, table.c.window_start < start)
        )
    retry_after = max(1, math.ceil(start + window - epoch))
    return RateDecision(
        allowed=hits <= limit,
        limit=limit,
        remaining=max(0, limit - hits),
        retry_after=retry_after,
    )
