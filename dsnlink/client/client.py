"""DsnlinkClient: the gateway's API for a payroll publisher, over httpx.

Every POST carries an Idempotency-Key (a new UUID unless given), so the client can safely
retry a request whose answer was lost: 429 and 503 (Retry-After honoured) and connection
errors are retried a few times; anything else raises ApiError with the problem's fields.
"""

from __future__ import annotations

import gzip as gzip_module
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

from dsnlink.client.errors import ApiError
from dsnlink.client.models import Declaration, Receipt, Webhook
from dsnlink.client.verify import verify_receipt

RETRIED_STATUSES = frozenset({429, 503})


class DsnlinkClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 60.0,
        retries: int = 3,
        max_wait: float = 30.0,
        language: str = "fr",
        http: httpx.Client | None = None,
    ) -> None:
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self._own_http = http is None
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept-Language": language}
        self._retries = retries
        self._max_wait = max_wait

    def __enter__(self) -> DsnlinkClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    # --- plumbing --------------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self._headers, **kwargs.pop("headers", {})}
        for attempt in range(self._retries + 1):
            try:
                response = self._http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError:
                if attempt == self._retries:
                    raise
                time.sleep(min(self._max_wait, 0.5 * 2**attempt))
                continue
            if response.status_code in RETRIED_STATUSES and attempt < self._retries:
                wait = response.headers.get("Retry-After", "")
                time.sleep(min(self._max_wait, float(wait) if wait.isdigit() else 2**attempt))
                continue
            if response.status_code >= 400:
                try:
                    body = response.json()
                except ValueError:
                    body = {"title": response.reason_phrase, "detail": response.text[:500]}
                raise ApiError(response.status_code, body)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    # --- declarations ----------------------------------------------------------------------------

    def upload(
        self,
        content: bytes,
        *,
        filename: str | None = None,
        transmit: bool = False,
        accept_late: bool = False,
        compress: bool = False,
        idempotency_key: str | None = None,
    ) -> Declaration:
        """Post a DSN file; with `transmit` its transmission is ordered at once. A retry with the
        same `idempotency_key` gets the original answer (`replayed`)."""
        params: dict[str, str] = {}
        if filename:
            params["filename"] = filename
        if transmit:
            params["transmit"] = "true"
        if accept_late:
            params["accept_late"] = "true"
        headers = {
            "Content-Type": "application/octet-stream",
            "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
        }
        if compress:
            content = gzip_module.compress(content)
            headers["Content-Encoding"] = "gzip"
        response = self._request(
            "POST", "/v1/declarations", params=params, content=content, headers=headers
        )
        return Declaration.from_json(
            response.json(), replayed=response.headers.get("Idempotent-Replayed") == "true"
        )

    def order(self, declaration_id: str, *, idempotency_key: str | None = None) -> Declaration:
        """Order the transmission of a validated declaration (the mandate)."""
        response = self._request(
            "POST",
            f"/v1/declarations/{declaration_id}/transmit",
            headers={"Idempotency-Key": idempotency_key or str(uuid.uuid4())},
        )
        return Declaration.from_json(
            response.json(), replayed=response.headers.get("Idempotent-Replayed") == "true"
        )

    def get(self, declaration_id: str) -> Declaration:
        return Declaration.from_json(self._json("GET", f"/v1/declarations/{declaration_id}"))

    def page(self, **filters: str | int) -> dict[str, Any]:
        """One page of `GET /v1/declarations` with its filters, as the gateway sends it."""
        page: dict[str, Any] = self._json(
            "GET", "/v1/declarations", params={k: str(v) for k, v in filters.items()}
        )
        return page

    def follow(
        self, *, updated_since: datetime, page_size: int = 100, **filters: str
    ) -> Iterator[Declaration]:
        """Every declaration whose status changed since `updated_since`, oldest change first,
        page after page (keyset cursor). Remember the last `status_changed_at` for next time."""
        params: dict[str, str] = {
            **filters,
            "updated_since": updated_since.isoformat(),
            "limit": str(page_size),
        }
        while True:
            page = self._json("GET", "/v1/declarations", params=params)
            for item in page["items"]:
                yield Declaration.from_json(item)
            if not page.get("next_cursor"):
                return
            params["cursor"] = page["next_cursor"]

    def delete(self, declaration_id: str) -> None:
        """Delete a declaration never ordered."""
        self._request("DELETE", f"/v1/declarations/{declaration_id}")

    def download(self, declaration_id: str) -> bytes:
        """The original file, as received (decompressed)."""
        return self._request("GET", f"/v1/declarations/{declaration_id}/file").content

    # --- receipts --------------------------------------------------------------------------------

    def receipt(self, declaration_id: str) -> Receipt:
        body = self._json("GET", f"/v1/declarations/{declaration_id}/receipt")
        return Receipt(payload=body["payload"], signature=body["signature"], key_id=body["key_id"])

    def deposit_receipt(self, declaration_id: str) -> Receipt:
        body = self._json("GET", f"/v1/declarations/{declaration_id}/deposit-receipt")
        return Receipt(payload=body["payload"], signature=body["signature"], key_id=body["key_id"])

    def public_key(self) -> str:
        return str(self._json("GET", "/v1/receipts/public-key")["public_key_pem"])

    def verify(self, receipt: Receipt, *, public_key_pem: str | None = None) -> bool:
        """Whether the receipt is the gateway's signature over its payload."""
        return verify_receipt(
            receipt.payload, receipt.signature, public_key_pem or self.public_key()
        )

    # --- webhooks --------------------------------------------------------------------------------

    def create_webhook(self, url: str, *, events: list[str] | None = None) -> Webhook:
        """Register an endpoint; keep `secret` (shown once) to verify deliveries."""
        body: dict[str, Any] = {"url": url}
        if events is not None:
            body["events"] = events
        return Webhook.from_json(self._json("POST", "/v1/webhooks", json=body))

    def webhooks(self) -> list[Webhook]:
        return [Webhook.from_json(w) for w in self._json("GET", "/v1/webhooks")["items"]]

    def delete_webhook(self, webhook_id: str) -> None:
        self._request("DELETE", f"/v1/webhooks/{webhook_id}")

    def send_test_event(self, webhook_id: str) -> dict[str, Any]:
        delivery: dict[str, Any] = self._json("POST", f"/v1/webhooks/{webhook_id}/test")
        return delivery

    def returns(self, **filters: str | int) -> dict[str, Any]:
        """One page of `GET /v1/returns` (returns across declarations)."""
        page: dict[str, Any] = self._json(
            "GET", "/v1/returns", params={k: str(v) for k, v in filters.items()}
        )
        return page
