"""Fault drill: 500 transmissions through a flaky deposit point while workers are SIGKILLed at
random and PostgreSQL is restarted once; afterwards every declaration is deposited exactly once
and has its AEE.

    .venv/bin/python benchmarks/faults.py [--declarations 500] [--declarants 20] [--workers 3]
        [--fail-rate 0.3] [--latency 0.05] [--kill-every 2:6] [--no-pg-restart]
        [--shared-identity]

With --shared-identity, two tenants file for their own companies through declarant rows that all
name the same net-entreprises person: the drill then also counts cross-tenant adoptions (a
declaration holding a flow whose file is another's) — there must be none.

RESTARTS THE WHOLE LOCAL POSTGRESQL SERVER (`pg_ctlcluster <version> main restart`) once, so it
is a drill run by hand, never from the test suite or CI. Creates a throwaway database, starts
the mock deposit point (30 % of calls 503, some deposits stored then answered 503, latency),
2 API processes and N `dsnlink worker` processes (pgqueuer), uploads the declarations with
transmit=true through both API processes, then kills a random worker with SIGKILL every few
seconds (and starts a new one) until every declaration is deposited. Prints ordered, deposited,
duplicates, lost, attempts, reconciliations, kills, AEE count and the times.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402
    DONE,
    FAST_TIMINGS,
    Process,
    Processes,
    api_argv,
    create_companies,
    create_tenant,
    dsnlink_argv,
    filing_month,
    gateway_env,
    ledger,
    mock_argv,
    mock_deposits,
    processes,
    queue_state,
    start_server,
    startup_seconds,
    throwaway_database,
)
from dsnlink.norm.sample import sample_bytes  # noqa: E402

# The one net-entreprises person every declarant names with --shared-identity.
SHARED_IDENTITY = {"siret": "41027602600029", "nom": "Cabinet", "prenom": "Paie", "password": "x"}
DRILL_TIMINGS = {
    **FAST_TIMINGS,
    "DSNLINK_WORKER_LEASE_SECONDS": "10",
    "DSNLINK_RETURNS_POLL_SECONDS": "2",
    "DSNLINK_RATE_LIMIT_PER_MINUTE": "0",
}


def postgres_version() -> str:
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
    return versions[-1]


def restart_postgres() -> float:
    began = time.monotonic()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", postgres_version(), "main",
                    "restart"], check=True, capture_output=True, timeout=120)
    return time.monotonic() - began


async def upload_all(
    urls: list[str], key: str, companies: list[tuple[str, str]], count: int, *, first: int = 0
) -> list[str]:
    limit = asyncio.Semaphore(6)

    async def one(http: httpx.AsyncClient, seed: int) -> str:
        siren, nic = companies[seed % len(companies)]
        month = filing_month(seed // len(companies))
        body = sample_bytes(employees=1, month=month, seed=seed, siren=siren, nic=nic)
        async with limit:
            response = await http.post(
                f"{urls[seed % len(urls)]}/v1/declarations",
                params={"transmit": "true", "accept_late": "true"}, content=body,
                headers={"Authorization": f"Bearer {key}",
                         "Content-Type": "application/octet-stream"})
        response.raise_for_status()
        declaration_id: str = response.json()["id"]
        return declaration_id

    async with httpx.AsyncClient(timeout=120) as http:
        seeds = range(first, first + count)
        return list(await asyncio.gather(*(one(http, seed) for seed in seeds)))


def api_recovery(urls: list[str], key: str, timeout: float = 60) -> float:
    """Seconds until every API process answers an authenticated listing again."""
    began = time.monotonic()
    pending = set(urls)
    while pending and time.monotonic() - began < timeout:
        for url in list(pending):
            try:
                response = httpx.get(f"{url}/v1/declarations", params={"limit": 1}, timeout=5,
                                     headers={"Authorization": f"Bearer {key}"})
                if response.status_code == 200:
                    pending.discard(url)
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    if pending:
        raise RuntimeError(f"API processes did not recover: {sorted(pending)}")
    return time.monotonic() - began


def with_aee(database_url: str) -> int:
    engine = sa.create_engine(database_url, pool_pre_ping=True)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(
                "SELECT count(DISTINCT declaration_id) FROM deposit_return WHERE nature = '10'"
            )).scalar_one())
    finally:
        engine.dispose()


def progress(database_url: str, ids: set[str]) -> tuple[int, int] | None:
    """(deposited, with their AEE); None while the database is away (restarting)."""
    try:
        book = ledger(database_url)
        return sum(1 for i in ids if book.statuses.get(i) in DONE), with_aee(database_url)
    except sa.exc.OperationalError:
        return None


def foreign_flows(database_url: str, received: list[dict[str, object]]) -> list[str]:
    """Declarations holding a flow whose file (at the mock) is not theirs."""
    file_of = {d["idflux"]: d["sha256"] for d in received}
    engine = sa.create_engine(database_url, pool_pre_ping=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT d.id, d.sha256, f.idflux FROM deposited_flow f "
                "JOIN declaration d ON d.id = f.declaration_id"
            )).all()
    finally:
        engine.dispose()
    return [str(declaration_id) for declaration_id, sha, idflux in rows
            if file_of.get(idflux) != sha]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=500)
    parser.add_argument("--declarants", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument("--fail-rate", type=float, default=0.3)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--kill-every", default="2:6", help="MIN:MAX seconds between kills")
    parser.add_argument("--no-pg-restart", action="store_true")
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--shared-identity",
        action="store_true",
        help="two tenants whose declarants all name the same net-entreprises person",
    )
    args = parser.parse_args()
    low, high = (float(x) for x in args.kill_every.split(":"))
    dice = random.Random(args.seed)

    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dsnlink-faults-")))
        database_url = stack.enter_context(throwaway_database("dsnlink_faults"))
        group: Processes = stack.enter_context(processes(workdir))
        _, mock_url = start_server(group, "mock", lambda port: mock_argv(
            port, "--fail-rate", str(args.fail_rate), "--latency", str(args.latency),
            "--deposit-then-fail", "503", "--deposit-then-fail-rate", "0.05",
            "--seed", str(args.seed), "--return-delay", "10=0", "--return-delay", "11=2",
            "--return-delay", "60=3600", "--return-delay", "61=3600",
            "--return-delay", "92=3600", "--return-delay", "94=3600"), dict(os.environ),
            ready_path="/_mock/deposits")
        env = gateway_env(database_url, workdir / "data", mock_url, **DRILL_TIMINGS)
        urls = [
            start_server(group, f"api{index}", api_argv, env, ready_path="/v1/status")[1]
            for index in range(args.api_processes)
        ]
        tenants = ["Faults"] + (["Faults B"] if args.shared_identity else [])
        identity = SHARED_IDENTITY if args.shared_identity else None
        share = args.declarants // len(tenants) or 1
        began = time.monotonic()
        ids: set[str] = set()
        for index, name in enumerate(tenants):
            key = create_tenant(env, workdir, name, payslips=10_000_000)
            companies = create_companies(
                urls[0], key, range(index * share, (index + 1) * share), identity=identity,
                establishments=4,
            )
            count = args.declarations // len(tenants)
            ids |= set(asyncio.run(upload_all(urls, key, companies, count, first=index * count)))
        print(f"{len(ids)} declarations ordered through {len(urls)} API processes in "
              f"{time.monotonic() - began:.1f} s; mock: {args.fail_rate:.0%} of calls 503, "
              f"5 % of deposits stored then 503, {args.latency * 1000:.0f} ms latency", flush=True)

        started = 0

        def start_worker() -> Process:
            nonlocal started
            started += 1
            return group.spawn(f"worker{started}", dsnlink_argv("worker"), env)

        # A worker killed before it has even imported dsnlink tests nothing: the kill interval is
        # counted from the end of a new worker's start-up (the interpreter and its imports).
        startup = startup_seconds(env, workdir)
        print(f"  a worker process starts in {startup:.1f} s; kills every {low:g}-{high:g} s "
              "of working life", flush=True)
        workers = [start_worker() for _ in range(args.workers)]
        began = time.monotonic()
        kills, restarted_pg, pg_seconds, api_seconds = 0, False, 0.0, 0.0
        next_kill = began + startup + dice.uniform(low, high)
        deposited = aee = 0
        while time.monotonic() - began < args.timeout:
            seen = progress(database_url, ids)
            if seen is not None:
                deposited, aee = seen
                if deposited == len(ids) and aee == len(ids):
                    break
            now = time.monotonic()
            if deposited < len(ids) and now >= next_kill:
                victim = dice.choice(workers)
                group.kill(victim)
                workers[workers.index(victim)] = start_worker()
                kills += 1
                next_kill = now + startup + dice.uniform(low, high)
            if not args.no_pg_restart and not restarted_pg and deposited >= len(ids) * 0.4:
                restarted_pg = True
                print(f"  restarting PostgreSQL at {deposited} deposited …", flush=True)
                pg_seconds = restart_postgres()
                api_seconds = api_recovery(urls, key)
                print(f"  PostgreSQL back in {pg_seconds:.1f} s; every API process answering "
                      f"{api_seconds:.1f} s later", flush=True)
            dead = [w.name for w in workers if not w.alive()]
            if dead:
                print(f"  worker(s) exited on their own: {dead}", flush=True)
                for w in [w for w in workers if not w.alive()]:
                    workers[workers.index(w)] = start_worker()
            time.sleep(0.5)
        elapsed = time.monotonic() - began
        received = mock_deposits(mock_url)
        book = ledger(database_url)
        foreign = foreign_flows(database_url, received)
        if deposited < len(ids) or aee < len(ids):
            print(queue_state(database_url))
        survivors = sum(1 for w in workers if w.alive())

    per_file = Counter(d["sha256"] for d in received)
    duplicates = sum(n - 1 for n in per_file.values())
    deposited = sum(1 for i in ids if book.statuses.get(i) in DONE)
    lost = len(ids) - deposited
    once = sum(1 for i in ids if book.deposits.get(i) == 1)
    reconciliations = book.outcomes.get("reconciled", 0)
    print(f"fault drill: {elapsed:.1f} s after the workers started")
    print(f"  ordered            : {len(ids)}")
    print(f"  deposited          : {deposited} ({once} with exactly one accepted/reconciled "
          f"attempt; {len(per_file)} distinct files at the mock, {len(received)} deposits)")
    print(f"  duplicates         : {duplicates}")
    print(f"  lost               : {lost}")
    print(f"  with their AEE     : {aee}")
    outcomes = dict(sorted(book.outcomes.items()))
    print(f"  attempts           : {sum(book.attempts.values())} {outcomes}")
    print(f"  reconciliations    : {reconciliations} (deposits adopted without resending)")
    print(f"  foreign flows held : {len(foreign)} (a declaration holding another's file)"
          + (f" {foreign[:5]}" if foreign else ""))
    print(f"  workers SIGKILLed  : {kills} (and restarted; {survivors} alive at the end)")
    print("  PostgreSQL restart : "
          + (f"{pg_seconds:.1f} s, API processes answering {api_seconds:.1f} s later"
             if restarted_pg else "not done"))
    ok = deposited == len(ids) and not duplicates and not lost and aee == len(ids)
    ok = ok and len(per_file) == len(ids) and once == len(ids) and not foreign
    print(f"  exactly once, nothing lost, every AEE: {'YES' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
