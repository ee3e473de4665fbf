"""A declaration being validated never stalls the other requests (validation runs off the loop)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable
from typing import Any

import httpx
import pytest

from dsnlink.declarations import service
from dsnlink.norm.sample import sample_bytes


async def test_cheap_request_is_served_while_an_upload_is_validated(
    client: httpx.AsyncClient,
    tenant_a: Any,
    company_a: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_validate = service.validate_stream
    validating, release = threading.Event(), threading.Event()
    order: list[str] = []

    def held_validation(chunks: Iterable[bytes], filename: str = "-", **options: Any) -> Any:
        validating.set()
        # Were validation on the event loop, the cheap request below could not run and this
        # wait would time out; the test would then fail on the order of events.
        release.wait(timeout=20)
        order.append("validation finished")
        return real_validate(chunks, filename=filename, **options)

    monkeypatch.setattr(service, "validate_stream", held_validation)
    body = sample_bytes(employees=300, month="2026-10", siren="732829320", nic="00074")
    upload = asyncio.create_task(
        client.post(
            "/v1/declarations",
            content=body,
            headers={**tenant_a.headers, "Content-Type": "application/octet-stream"},
        )
    )
    assert await asyncio.to_thread(validating.wait, 20)
    cheap = await client.get("/v1/tenant", headers=tenant_a.headers)
    order.append("cheap request served")
    release.set()
    response = await upload

    assert cheap.status_code == 200
    assert response.status_code == 201, response.text
    assert response.json()["individuals"] == 300
    assert order == ["cheap request served", "validation finished"]
