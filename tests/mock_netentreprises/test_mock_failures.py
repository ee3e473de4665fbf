"""Scripted misbehaviour: 503/500 shares, latency, hangs, and the deposit-then-fail ambiguity."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from mock_helpers import DECLARANT, START, Session, build_dsn, identifiants, login

from mock_netentreprises import ManualClock, MockConfig, create_app
from mock_netentreprises.app import ConnectionDropped

AUTH = "/authentifier/1.0/"


async def _configure(client: httpx.AsyncClient, **changes: object) -> dict:
    response = await client.post("/_mock/config", json=changes)
    assert response.status_code == 200, response.text
    return response.json()


async def test_fail_rate_one_answers_503_but_not_on_the_admin_api(
    client: httpx.AsyncClient,
) -> None:
    await _configure(client, fail_rate=1.0)
    assert (await client.post(AUTH, content=identifiants(*DECLARANT, "97"))).status_code == 503
    assert (await client.get("/lister-depots/1.0/20260310100000")).status_code == 503
    assert (await client.get("/_mock/deposits")).status_code == 200


async def test_error_rate_one_answers_500(client: httpx.AsyncClient) -> None:
    await _configure(client, error_rate=1.0)
    assert (await client.post(AUTH, content=identifiants(*DECLARANT, "97"))).status_code == 500


async def test_partial_fail_rate_mixes_outcomes_reproducibly(client: httpx.AsyncClient) -> None:
    async def run() -> list[int]:
        await _configure(client, fail_rate=0.5, seed=7)
        body = identifiants(*DECLARANT, "97")
        return [(await client.post(AUTH, content=body)).status_code for _ in range(30)]

    first = await run()
    assert set(first) == {200, 503}
    assert await run() == first


async def test_latency_is_added(client: httpx.AsyncClient) -> None:
    await _configure(client, latency=0.2)
    started = time.perf_counter()
    await client.post(AUTH, content=identifiants(*DECLARANT, "97"))
    assert time.perf_counter() - started >= 0.2


async def test_hanging_call_outlives_a_client_timeout(client: httpx.AsyncClient) -> None:
    await _configure(client, hang_rate=1.0, hang_seconds=5)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(
            client.post(AUTH, content=identifiants(*DECLARANT, "97")), timeout=0.2
        )


async def test_deposit_then_503_keeps_the_flow(concentrator: Session) -> None:
    await _configure(concentrator.http, deposit_then_fail="503")
    response = await concentrator.deposit(build_dsn())
    assert response.status_code == 503
    deposits = (await concentrator.http.get("/_mock/deposits")).json()
    assert len(deposits) == 1
    listed = await concentrator.get("/lister-depots/1.0/20260310095500")
    assert deposits[0]["idflux"] in listed.text


async def test_deposit_then_drop_cuts_the_answer(concentrator: Session) -> None:
    await _configure(concentrator.http, deposit_then_fail="drop")
    with pytest.raises(ConnectionDropped):
        await concentrator.deposit(build_dsn())
    assert len((await concentrator.http.get("/_mock/deposits")).json()) == 1


async def test_deposit_then_hang_answers_late(concentrator: Session) -> None:
    await _configure(concentrator.http, deposit_then_fail="hang", hang_seconds=0.2)
    started = time.perf_counter()
    response = await concentrator.deposit(build_dsn())
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.2


async def test_deposit_then_fail_count_fails_only_the_next_deposits(
    concentrator: Session,
) -> None:
    await _configure(concentrator.http, deposit_then_fail="503", deposit_then_fail_count=2)
    statuses = [(await concentrator.deposit(build_dsn())).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    config = (await concentrator.http.get("/_mock/config")).json()
    assert config["deposit_then_fail_count"] == 0
    assert len((await concentrator.http.get("/_mock/deposits")).json()) == 3


async def test_refused_deposit_can_fail_after_storage_too(concentrator: Session) -> None:
    await _configure(concentrator.http, deposit_then_fail="503")
    assert (await concentrator.deposit(b"garbage")).status_code == 503
    assert (await concentrator.http.get("/_mock/deposits")).json()[0]["statut"] == "KO"


@pytest.mark.parametrize(
    "changes",
    [{"fail_rate": 2}, {"unknown": 1}, {"return_delays": {"99": 1}}, {"force": "XYZ"}],
    ids=["rate>1", "unknown-key", "unknown-nature", "bad-force"],
)
async def test_invalid_config_is_422_and_changes_nothing(
    client: httpx.AsyncClient, changes: dict
) -> None:
    before = (await client.get("/_mock/config")).json()
    response = await client.post("/_mock/config", json=changes)
    assert response.status_code == 422
    assert (await client.get("/_mock/config")).json() == before


async def test_config_round_trip_and_reset(client: httpx.AsyncClient) -> None:
    config = await _configure(client, fail_rate=0.3, return_delays={"11": 60})
    assert config["fail_rate"] == 0.3
    assert config["return_delays"]["11"] == 60
    assert config["return_delays"]["61"] == 10  # the others keep their default
    await client.post("/_mock/reset")
    assert (await client.get("/_mock/config")).json()["fail_rate"] == 0.0


async def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    clock = ManualClock(START)
    first = create_app(MockConfig(), clock=clock, state_file=state)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=first), base_url="http://m"
    ) as a:
        token = await login(a, DECLARANT, "97")
        deposit = await Session(a, f"DSNLogin jeton={token}").deposit(build_dsn())
        assert deposit.status_code == 200
    second = create_app(MockConfig(), clock=clock, state_file=state)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=second), base_url="http://m"
    ) as b:
        deposits = (await b.get("/_mock/deposits")).json()
        assert len(deposits) == 1
        session = Session(b, f"DSNLogin jeton={token}")
        response = await session.get(f"/lister-retours-flux/1.0/{deposits[0]['idflux']}")
        assert response.status_code == 200
        assert "<nature>10</nature>" in response.text
