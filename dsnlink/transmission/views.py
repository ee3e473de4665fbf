"""Output shapes of the transmission as the API shows it: attempts, the flow, its returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AttemptView(BaseModel):
    """One try at depositing the declaration."""

    id: int
    started_at: datetime
    sent_at: datetime
    finished_at: datetime | None
    outcome: str = Field(description="sending, accepted, refused, not_sent, ambiguous, "
                         "reconciled, lost or failed")
    http_status: int | None
    duration_ms: int | None
    error: str | None = Field(description="the deposit point's own message when it gave one")
    idflux: str | None


class ReturnView(BaseModel):
    """A return the deposit point published for the flow (latest version)."""

    return_id: str
    nature: str
    label: str | None
    ops: str | None = Field(description="the body (organisme) that produced it, if any")
    status: str | None = Field(description="OK, ANO (non-blocking anomalies) or KO")
    status_label: str | None
    kind: str | None
    published_at: datetime | None
    versions: int = Field(description="how many versions were seen (bodies overwrite returns)")
    schema_valid: bool | None
    anomalies: list[dict[str, Any]] = Field(default_factory=list)
    url: str = Field(description="the XML document: GET this path")


class TransmissionView(BaseModel):
    """Where the transmission of a declaration stands."""

    idflux: str | None
    deposited_at: datetime | None
    reconciled: bool = Field(
        description="the flow was found through lister-depots after an ambiguous attempt"
    )
    settled: bool = Field(description="no more returns are polled for this flow")
    job_status: str | None
    next_try_at: datetime | None
    last_error: str | None
    attempts: list[AttemptView]
    returns: list[ReturnView]
