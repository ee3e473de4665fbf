"""Scale-out on PostgreSQL, with real processes: 2 API processes (`dsnlink serve --worker no`) and
3 worker processes (`dsnlink worker`, pgqueuer) on one database and one shared data directory,
the mock deposit point in its own process answering some calls 503 (some after storing the
file). Midway every database connection is cut (as a PostgreSQL restart would): the processes
reconnect. Declarations uploaded to either API process are each deposited exactly once."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from benchmarks.harness import (
    DONE,
    FAST_TIMINGS,
    api_argv,
    create_companies,
    create_tenant,
    dsnlink_argv,
    gateway_env,
    ledger,
    mock_argv,
    mock_deposits,
    postgres_reachable,
    processes,
    queue_state,
    start_server,
    throwaway_database,
)
from dsnlink.norm.sample import sample_bytes

pytestmark = pytest.mark.slow

DECLARATIONS = 40
DECLARANTS = 5
API_PROCESSES = 2
WORKER_PROCESSES = 3
MONTH = "2026-10"
DEADLINE_SECONDS = 60


@pytest.fixture
def database_url(postgres_admin: object) -> object:
    # postgres_admin (tests/conftest.py) skips, or fails under CI=true, when PostgreSQL is away.
    assert postgres_reachable()
    with throwaway_database("dsnlink_scale") as url:
        yield url


async def upload_all(
    urls: list[str], key: str, companies: list[tuple[str, str]], seeds: range
) -> list[tuple[str, str, int]]:
    """Upload one file per seed, spread over the API processes; (id, api url, status)."""
    limit = asyncio.Semaphore(8)

    async def one(http: httpx.AsyncClient, seed: int) -> tuple[str, str, int]:
        siren, nic = companies[seed % len(companies)]
        # One normal declaration per establishment and month: each round files an earlier month.
        month = f"{MONTH[:5]}{int(MONTH[5:]) - seed // len(companies):02d}"
        body = sample_bytes(employees=3, month=month, seed=seed, siren=siren, nic=nic)
        url = urls[seed % len(urls)]
        async with limit:
            response = await http.post(
                f"{url}/v1/declarations",
                params={"transmit": "true", "accept_late": "true", "filename": f"{seed}.dsn"},
                content=body,
                headers={"Authorization": f"Bearer {key}",
                         "Content-Type": "application/octet-stream"},
            )
        assert response.status_code == 201, response.text
        return response.json()["id"], url, response.status_code

    async with httpx.AsyncClient(timeout=60) as http:
        return list(await asyncio.gather(*(one(http, seed) for seed in seeds)))


def wait_for_deposits(database_url: str, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(ledger(database_url).flows) < count:
        assert time.monotonic() < deadline, f"fewer than {count} deposits after {timeout:g} s"
        time.sleep(0.2)


def cut_connections(database_url: str) -> int:
    """Terminate every session on this (throwaway) database but our own; how many."""
    name = make_url(database_url).database
    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            return len(connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name}).all())
    finally:
        engine.dispose()


def test_two_api_and_three_worker_processes_deposit_each_declaration_once(
    database_url: str, tmp_path: Path
) -> None:
    with processes(tmp_path) as group:
        try:
            # Bilans are published (2 s): an ambiguous deposit is adopted once its bilan proves it.
            _, mock_url = start_server(group, "mock", lambda port: mock_argv(
                port, "--fail-rate", "0.15", "--deposit-then-fail", "503",
                "--deposit-then-fail-rate", "0.1", "--seed", "11",
                "--return-delay", "11=2"), dict(os.environ), ready_path="/_mock/deposits")
            env = gateway_env(database_url, tmp_path / "data", mock_url, **FAST_TIMINGS,
                              DSNLINK_RATE_LIMIT_PER_MINUTE="0")
            urls = [
                start_server(group, f"api{i}", api_argv, env, ready_path="/v1/status")[1]
                for i in range(API_PROCESSES)
            ]
            key = create_tenant(env, tmp_path, "Scale", payslips=1_000_000)
            companies = create_companies(urls[0], key, range(DECLARANTS))
            half = DECLARATIONS // 2
            uploaded = asyncio.run(upload_all(urls, key, companies, range(half)))
            workers = [group.spawn(f"worker{i}", dsnlink_argv("worker"), env)
                       for i in range(WORKER_PROCESSES)]
            wait_for_deposits(database_url, 5)
            cut = cut_connections(database_url)
            uploaded += asyncio.run(upload_all(urls, key, companies, range(half, DECLARATIONS)))

            ids = {declaration_id for declaration_id, _, _ in uploaded}
            deadline = time.monotonic() + DEADLINE_SECONDS
            while time.monotonic() < deadline:
                book = ledger(database_url)
                # Done when every declaration is deposited and every job finished: a worker marks
                # its job done just after the deposit's commit, so one may lag by a moment.
                if all(book.statuses.get(i) in DONE for i in ids) and set(
                    book.jobs.values()
                ) == {"done"}:
                    break
                dead = [w.name for w in workers if not w.alive()]
                assert not dead, f"worker(s) died: {dead}\n{group.report()}"
                time.sleep(0.5)
            book = ledger(database_url)
            pending = {i: book.statuses.get(i) for i in ids if book.statuses.get(i) not in DONE}
            assert not pending, (
                f"not deposited after {DEADLINE_SECONDS} s: {pending} {book.outcomes}\n"
                f"{queue_state(database_url)}"
            )
            received = mock_deposits(mock_url)
        except BaseException:
            print(group.report())
            raise

    assert cut >= WORKER_PROCESSES * 2, f"only {cut} connections were cut"
    assert Counter(url for _, url, _ in uploaded) == {url: DECLARATIONS // 2 for url in urls}
    # The mock received each file exactly once, and nothing else.
    per_file = Counter(d["sha256"] for d in received)
    assert len(per_file) == DECLARATIONS and set(per_file.values()) == {1}, per_file
    assert set(book.flows.values()) == {d["idflux"] for d in received}
    # One job per declaration, each done; one successful deposit each, none lost.
    assert book.job_rows == DECLARATIONS and set(book.jobs.values()) == {"done"}, book.jobs
    assert set(book.flows) == ids
    assert book.deposits == dict.fromkeys(ids, 1), book.deposits
    assert sum(book.attempts.values()) >= DECLARATIONS
    # The failure injection bit, and the work really was shared between processes.
    assert book.outcomes.get("not_sent", 0) + book.outcomes.get("ambiguous", 0) + book.outcomes.get(
        "reconciled", 0) + book.outcomes.get("lost", 0) >= 1, book.outcomes
    assert book.workers >= 2, f"only {book.workers} worker process made attempts"
