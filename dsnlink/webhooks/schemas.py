"""Shapes of webhooks: the endpoint a tenant registers, its deliveries and their attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventType(StrEnum):
    """What a webhook can be told: a declaration's status changed, a return arrived, a test."""

    STATUS_CHANGED = "declaration.status_changed"
    RETURN_RECEIVED = "declaration.return_received"
    TEST = "webhook.test"


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=8,
        max_length=2000,
        description="where events are POSTed (https outside development)",
        examples=["https://paie.example/hooks/dsnlink"],
    )
    events: list[EventType] = Field(
        default_factory=lambda: [EventType.STATUS_CHANGED, EventType.RETURN_RECEIVED],
        min_length=1,
        max_length=10,
    )
    description: str | None = Field(default=None, max_length=200)


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    description: str | None
    created_at: datetime
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    consecutive_failures: int


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="the signing secret: shown once, keep it to verify `DSNLink-Signature`"
    )


class WebhookList(BaseModel):
    items: list[WebhookRead]


class AttemptRead(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryRead(BaseModel):
    id: uuid.UUID
    event_type: str
    status: str = Field(description="pending, delivered or failed (retries exhausted)")
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    payload: dict[str, Any]
    attempt_log: list[AttemptRead]


class DeliveryList(BaseModel):
    items: list[DeliveryRead]
