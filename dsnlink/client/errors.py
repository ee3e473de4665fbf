"""What the client raises: the gateway's problem (RFC 9457) or a bad webhook signature."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A 4xx/5xx answer of the gateway; `type` is the stable problem URI, `body` all of it."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        self.type: str = str(body.get("type", ""))
        self.title: str = str(body.get("title", ""))
        self.detail: str = str(body.get("detail", ""))
        super().__init__(f"{status} {self.title}: {self.detail}")

    @property
    def code(self) -> str:
        """The last segment of `type` (e.g. `duplicate-declaration`)."""
        return self.type.rsplit("/", 1)[-1]


class WebhookSignatureError(Exception):
    """A webhook delivery whose DSNLink-Signature does not match, or is too old."""
