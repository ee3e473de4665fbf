"""A signalement's deadline runs from the event it reports, read from the file at intake."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from dsnlink.clock import FrozenClock
from dsnlink.norm.sample import sample_bytes
from tests.api.conftest import NIC_A, SIREN_A

OCTET = {"Content-Type": "application/octet-stream"}


async def test_end_of_contract_deadline_is_five_working_days_after_the_contract_ends(
    client: httpx.AsyncClient, tenant_a: Any, company_a: dict[str, Any], clock: FrozenClock
) -> None:
    body = sample_bytes(employees=1, month="2026-10", nature="07", seed=3, siren=SIREN_A, nic=NIC_A)
    assert b"S21.G00.62.001,'18102026'" in body  # the contract ends on Sunday 2026-10-18
    clock.set(datetime(2026, 10, 19, 8, 0, tzinfo=UTC))

    response = await client.post(
        "/v1/declarations", content=body, headers={**tenant_a.headers, **OCTET}
    )

    assert response.status_code == 201, response.text
    declaration = response.json()
    assert (declaration["nature"], declaration["status"]) == ("07", "validated")
    # Working days Mon 19 … Fri 23 October: due by the end of Friday, midnight Paris (CEST).
    assert declaration["deadline"] == "2026-10-23T22:00:00Z"
    # 12 service hours before, none of them in the 00:00–07:00 UTC window.
    assert declaration["cutoff"] == "2026-10-23T10:00:00Z"
    assert declaration["guaranteed"] is True
