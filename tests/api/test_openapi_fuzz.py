"""Schemathesis against the OpenAPI document, in process: no input may cause a 5xx.

Every operation is called with generated valid inputs (a bounded, derandomized number of
examples, so CI is repeatable and fast) as an authenticated tenant administrator; the
operator's endpoints with the operator token. The tenant owns a company, a declarant and a
declaration so that ids found in the data lead somewhere.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import Engine

from api.app import create_app
from dsnlink.clock import FrozenClock
from dsnlink.config import PLACEHOLDER_SECRET, Settings
from tests.api.conftest import TenantHandle

EXAMPLES_PER_OPERATION = 25
SLOW_OPERATIONS = {("POST", "/v1/declarations")}


@pytest.mark.slow
async def test_no_generated_request_causes_a_server_error(
    settings: Settings,
    db_engine: Engine,
    clock: FrozenClock,
    tenant_a: TenantHandle,
    company_a: dict[str, Any],
    client: httpx.AsyncClient,
) -> None:
    declarant = await client.post(
        "/v1/declarants", headers=tenant_a.headers,
        json={"siret": "73282932000074", "nom": "PAIE", "prenom": "SERVICE", "password": "pw"},
    )
    assert declarant.status_code == 201, declarant.text
    fuzz_settings = settings.model_copy(update={"rate_limit_per_minute": 0})
    app = create_app(fuzz_settings, engine=db_engine, clock=clock)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    tenant_headers = tenant_a.headers
    operator_headers = {"Authorization": f"Bearer {PLACEHOLDER_SECRET}"}
    failures: list[str] = []

    # The operator's endpoints last: a maintenance they announce turns writes into 503s.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda op: "/operator/" in op.path,
    )
    for operation in operations:
        slow = (operation.method.upper(), operation.path) in SLOW_OPERATIONS
        headers = operator_headers if "/operator/" in operation.path else tenant_headers
        _fuzz(operation, headers, 3 if slow else EXAMPLES_PER_OPERATION, failures)

    assert failures == [], "\n".join(failures)


def _by_design(response: Any) -> bool:
    """503s that are answers, not crashes: maintenance in progress, readiness reporting."""
    if response.status_code != 503:
        return False
    body = response.json()
    return str(body.get("type", "")).endswith("/maintenance") or body.get("status") == "not_ready"


def _fuzz(operation: Any, headers: dict[str, str], examples: int, failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @hypothesis_settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        response = case.call(headers={**(case.headers or {}), **headers})
        if response.status_code >= 500 and not _by_design(response):
            failures.append(
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:300]}\n  reproduce: {case.as_curl_command()}"
            )

    call()
