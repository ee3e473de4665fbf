"""Logs of real requests: JSON lines with request, tenant and declaration ids, and never a NIR,
a password or an API key — even when an unexpected error quotes them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.routes import declarants as declarants_route
from api.routes import declarations as declarations_route
from dsnlink.norm.sample import sample_bytes
from dsnlink.security import apikeys
from tests.api.conftest import NIC_A, SIREN_A, TenantHandle
from tests.observability.logcapture import MIN_LEAK_NEEDLE, CapturedLogs

MONTH = "2026-10"


@pytest.fixture
def logs(app: FastAPI) -> Iterator[CapturedLogs]:
    # After create_app (which configures logging for the process): capture into a buffer.
    captured = CapturedLogs()
    yield captured
    captured.close()


def _personal_values(dsn: bytes) -> list[str]:
    """NIRs, names and addresses of the file's individuals (block S21.G00.30)."""
    text = dsn.decode("latin-1")
    return re.findall(
        rf"^S21\.G00\.30\.00[1-8],'([^']{{{MIN_LEAK_NEEDLE},}})'", text, flags=re.MULTILINE
    )


def _key_secret(api_key: str) -> str:
    """The secret part of a key, parsed as authentication parses it (it may contain `_`)."""
    parsed = apikeys.parse_key(api_key)
    assert parsed is not None, "the tenant's key is not well formed"
    return parsed.secret


def _access(logs: CapturedLogs, method: str, route: str) -> dict[str, Any]:
    lines = [
        e for e in logs.events()
        if e.get("logger") == "dsnlink.access" and e["method"] == method and e["route"] == route
    ]
    assert lines, f"no access line for {method} {route}"
    return lines[-1]


async def test_access_line_carries_request_tenant_and_declaration_ids(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    company_a: dict[str, Any],
    logs: CapturedLogs,
) -> None:
    dsn = sample_bytes(employees=3, month=MONTH, seed=7, siren=SIREN_A, nic=NIC_A)
    response = await client.post(
        "/v1/declarations",
        params={"filename": "oct.dsn", "accept_late": "true"},
        content=dsn,
        headers={
            **tenant_a.headers,
            "Content-Type": "application/octet-stream",
            "X-Request-ID": "req-upload-1",
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-request-id"] == "req-upload-1"
    declaration_id = response.json()["id"]

    upload = _access(logs, "POST", "/v1/declarations")
    assert upload["request_id"] == "req-upload-1"
    assert upload["tenant_id"] == tenant_a.id
    assert upload["declaration_id"] == declaration_id
    assert upload["status"] == 201

    detail = await client.get(f"/v1/declarations/{declaration_id}", headers=tenant_a.headers)
    assert detail.status_code == 200
    generated = detail.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    read = _access(logs, "GET", "/v1/declarations/{declaration_id}")
    assert read["request_id"] == generated
    assert read["declaration_id"] == declaration_id
    assert read["tenant_id"] == tenant_a.id
    logs.assert_free_of(*_personal_values(dsn), _key_secret(tenant_a.api_key))


async def test_an_insane_request_id_is_replaced(
    client: httpx.AsyncClient, logs: CapturedLogs
) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "a b\tc" * 50})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_upload_failing_on_personal_data_logs_it_redacted(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    company_a: dict[str, Any],
    logs: CapturedLogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unexpected error whose message quotes the file and the key: 500, logged, scrubbed."""
    dsn = sample_bytes(employees=3, month=MONTH, seed=8, siren=SIREN_A, nic=NIC_A)

    async def crashing_intake(session: Any, *, chunks: Any, **_: Any) -> Any:
        body = b"".join([chunk async for chunk in chunks]).decode("latin-1")
        raise RuntimeError(
            f"cannot index upload (key {tenant_a.api_key}); first lines:\n{body[:4000]}"
        )

    monkeypatch.setattr(declarations_route.service, "receive_declaration_once", crashing_intake)
    response = await client.post(
        "/v1/declarations",
        content=dsn,
        headers={**tenant_a.headers, "Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    errors = [e for e in logs.events() if e["level"] == "error"]
    assert errors and "RuntimeError: cannot index upload" in errors[-1]["exception"]
    assert errors[-1]["tenant_id"] == tenant_a.id
    assert errors[-1]["request_id"] == response.headers["x-request-id"]
    assert "S21.G00.30.001,'[redacted]'" in errors[-1]["exception"]
    personal = _personal_values(dsn)
    assert len(personal) >= 6
    logs.assert_free_of(*personal, _key_secret(tenant_a.api_key))


async def test_declarant_password_in_a_failure_is_not_logged(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    logs: CapturedLogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    password = "Pw-Declarant-42"

    def crashing_create(session: Any, *, principal: Any, data: Any, **_: Any) -> Any:
        plain = data.password.get_secret_value()
        raise ValueError(
            f"login check failed: <identifiants><motdepasse>{plain}</motdepasse></identifiants>"
            f" {{'password': '{plain}', 'siret': '{data.siret}'}}"
        )

    monkeypatch.setattr(declarants_route.declarants, "create_declarant", crashing_create)
    response = await client.post(
        "/v1/declarants",
        headers=tenant_a.headers,
        json={"siret": "73282932000074", "nom": "PAIE", "prenom": "SERVICE",
              "password": password},
    )
    assert response.status_code == 500
    assert "73282932000074" in logs.text  # the SIRET is kept: it is how support finds things
    logs.assert_free_of(password)


async def test_console_format_is_redacted_too(
    client: httpx.AsyncClient,
    tenant_a: TenantHandle,
    app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    captured = CapturedLogs(log_format="console")
    try:
        def crashing_create(session: Any, *, principal: Any, data: Any, **_: Any) -> Any:
            raise ValueError(f"Authorization: Bearer {tenant_a.api_key}")

        monkeypatch.setattr(declarants_route.declarants, "create_declarant", crashing_create)
        response = await client.post(
            "/v1/declarants",
            headers=tenant_a.headers,
            json={"siret": "73282932000074", "nom": "PAIE", "prenom": "SERVICE",
                  "password": "whatever-1"},
        )
        assert response.status_code == 500
        assert "Bearer [redacted]" in captured.text
        captured.assert_free_of(_key_secret(tenant_a.api_key))
    finally:
        captured.close()
