"""Tables of the operational guards: fixed-window request counters of the rate limit."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class RateLimitWindow(SQLModel, table=True):
    """How many requests one caller made in one window (shared by every API replica)."""

    __tablename__ = "rate_limit_window"

    subject: str = Field(
        primary_key=True, max_length=80, description="k:<key prefix> or ip:<address>"
    )
    window_start: int = Field(
        primary_key=True, description="Unix seconds, a multiple of the window length"
    )
    hits: int = 0
