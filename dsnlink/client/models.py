"""Typed views of the gateway's answers; `raw` keeps every field the gateway sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


@dataclass(frozen=True)
class Declaration:
    id: str
    status: str
    nature: str
    type: str
    month: str
    siret: str
    sha256: str
    received_at: datetime | None
    status_changed_at: datetime | None
    guaranteed: bool
    anomaly_count: int
    replayed: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any], *, replayed: bool = False) -> Declaration:
        return cls(
            id=str(body["id"]),
            status=str(body["status"]),
            nature=str(body.get("nature", "")),
            type=str(body.get("type", "")),
            month=str(body.get("month", "")),
            siret=str((body.get("establishment") or {}).get("siret", "")),
            sha256=str(body.get("sha256", "")),
            received_at=_moment(body.get("received_at")),
            status_changed_at=_moment(body.get("status_changed_at")),
            guaranteed=bool(body.get("guaranteed")),
            anomaly_count=int(body.get("anomaly_count") or 0),
            replayed=replayed,
            raw=body,
        )


@dataclass(frozen=True)
class Receipt:
    """A signed receipt: Ed25519 `signature` (base64) over the canonical JSON of `payload`."""

    payload: dict[str, Any]
    signature: str
    key_id: str


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    events: list[str]
    enabled: bool
    secret: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Webhook:
        return cls(
            id=str(body["id"]),
            url=str(body["url"]),
            events=list(body.get("events", [])),
            enabled=bool(body.get("enabled", True)),
            secret=body.get("secret"),
            raw=body,
        )
