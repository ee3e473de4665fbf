"""Rate limits and the sign-in back-off, counted in the database so every replica shares them.

One atomic statement per request, `INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1
RETURNING hits`, on PostgreSQL and SQLite alike: no read-then-write race between replicas.
Subjects are stored as HMAC-SHA256 digests under the gateway's secret (`subject_digest`), so
the table never holds an address, an e-mail or a key prefix in clear. Rows expire: opening a
window deletes every window older than the previous one, whoever it belonged to.

The sign-in back-off counts consecutive failed password sign-ins of one (address, e-mail) pair:
after `BACKOFF_FREE_FAILURES` failures each new one doubles the wait before the next attempt
(capped at `BACKOFF_MAX_SECONDS`); a success clears it. Another address is not slowed down, so a
guesser cannot lock the account's owner out.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from dsnlink.security.models import RateLimitWindow, SignInBackoff

WINDOW_SECONDS = 60
BACKOFF_FREE_FAILURES = 5
BACKOFF_BASE_SECONDS = 2
BACKOFF_MAX_SECONDS = 15 * 60
BACKOFF_FORGET_AFTER = timedelta(days=1)


def subject_digest(kind: str, value: str, *, secret: str) -> str:
    """`kind:` and a digest of `value`: stable for one gateway, meaningless without its secret."""
    digest = hmac.new(
        f"dsnlink rate limit {kind}".encode() + b"\0" + secret.encode(),
        value.encode("utf-8", "surrogatepass"),
        hashlib.sha256,
    ).hexdigest()
    return f"{kind}:{digest[:64]}"[:80]


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


def _insert(session: Session, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def hit(
    session: Session, *, subject: str, limit: int, now: datetime, window: int = WINDOW_SECONDS
) -> RateDecision:
    """Count one request of `subject` (already a digest) and say whether it is within `limit`."""
    epoch = now.timestamp()
    start = int(epoch // window) * window
    table = RateLimitWindow.__table__  # type: ignore[attr-defined]
    statement = (
        _insert(session, table)
        .values(subject=subject, window_start=start, hits=1)
        .on_conflict_do_update(
            index_elements=[table.c.subject, table.c.window_start],
            set_={"hits": table.c.hits + 1},
        )
        .returning(table.c.hits)
    )
    hits = int(session.execute(statement).scalar_one())
    if hits == 1:
        # A new window: windows that ended before the previous one count for nobody any more.
        session.execute(sa.delete(table).where(table.c.window_start < start - window))
    retry_after = max(1, math.ceil(start + window - epoch))
    return RateDecision(
        allowed=hits <= limit,
        limit=limit,
        remaining=max(0, limit - hits),
        retry_after=retry_after,
    )


def backoff_wait(session: Session, *, subject: str, now: datetime) -> int:
    """Seconds before `subject` may try again (0: now)."""
    row = session.get(SignInBackoff, subject)
    if row is None or row.blocked_until is None or row.blocked_until <= now:
        return 0
    return max(1, math.ceil((row.blocked_until - now).total_seconds()))


def backoff_failure(session: Session, *, subject: str, now: datetime) -> int:
    """Record a failure of `subject`; the wait it now has before its next attempt (seconds)."""
    table = SignInBackoff.__table__  # type: ignore[attr-defined]
    statement = (
        _insert(session, table)
        .values(subject=subject, failures=1, last_failure_at=now, blocked_until=None)
        .on_conflict_do_update(
            index_elements=[table.c.subject],
            set_={"failures": table.c.failures + 1, "last_failure_at": now},
        )
        .returning(table.c.failures)
    )
    failures = int(session.execute(statement).scalar_one())
    if failures == 1:
        session.execute(
            sa.delete(table).where(table.c.last_failure_at < now - BACKOFF_FORGET_AFTER)
        )
    wait = backoff_seconds(failures)
    if wait:
        session.execute(
            sa.update(table)
            .where(table.c.subject == subject)
            .values(blocked_until=now + timedelta(seconds=wait))
        )
    return wait


def backoff_seconds(failures: int) -> int:
    """The wait after `failures` consecutive failures: none for the first five, then 2 s, 4 s,
    8 s… up to 15 min."""
    extra = failures - BACKOFF_FREE_FAILURES
    if extra <= 0:
        return 0
    return int(min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** min(extra - 1, 20)))


def backoff_clear(session: Session, *, subject: str) -> None:
    table = SignInBackoff.__table__  # type: ignore[attr-defined]
    session.execute(sa.delete(table).where(table.c.subject == subject))
