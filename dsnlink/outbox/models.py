"""The durable transmission queue: an outbox table written in the ordering transaction.

`enqueue_transmission` inserts a `transmission_job` row in the caller's session, so the order and
the job commit or vanish together. A worker claims a job by setting `locked_by`/`locked_until`
(status `running`), and finishes it as `done` or `failed`, or puts it back `queued` with a later
`available_at`. One job per declaration (unique): a declaration is never queued twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from dsnlink.db import UTCDateTime


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class TransmissionJob(SQLModel, table=True):
    __tablename__ = "transmission_job"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    declaration_id: uuid.UUID = Field(
        foreign_key="declaration.id", sa_column_kwargs={"unique": True}
    )
    ordered_by_user_id: uuid.UUID = Field(foreign_key="app_user.id")
    status: str = Field(default=JobStatus.QUEUED, max_length=16, index=True)
    attempts: int = 0
    available_at: datetime = Field(sa_type=UTCDateTime, index=True)
    locked_by: str | None = Field(default=None, max_length=200)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None)
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
