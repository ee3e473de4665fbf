"""Tables of the operational guards: rate-limit counters and the sign-in back-off.

Subjects are HMAC digests (`ratelimit.subject_digest`): neither table stores an address, an
e-mail or a key prefix in clear.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from dsnlink.db import UTCDateTime


class RateLimitWindow(SQLModel, table=True):
    """How many requests one caller made in one window (shared by every API replica)."""

    __tablename__ = "rate_limit_window"

    subject: str = Field(
        primary_key=True, max_length=80, description="kind:digest of the key, address or e-mail"
    )
    window_start: int = Field(
        primary_key=True,
        index=True,
        description="Unix seconds, a multiple of the window length",
    )
    hits: int = 0


class SignInBackoff(SQLModel, table=True):
    """Consecutive failed password sign-ins of one (address, e-mail) pair."""

    __tablename__ = "sign_in_backoff"

    subject: str = Field(primary_key=True, max_length=80)
    failures: int = 0
    last_failure_at: datetime = Field(sa_type=UTCDateTime, index=True)
    blocked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
