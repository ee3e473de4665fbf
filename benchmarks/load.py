"""Load drill: N concurrent clients posting 50-employee DSN files to a running gateway.

    .venv/bin/python benchmarks/load.py --self-host [--api-processes 2] [--clients 20]
    .venv/bin/python benchmarks/load.py --url http://gateway:8000 --key dsnl_... [--key ...]

Each client posts one file after another (asyncio + httpx, distinct seeds, so no 409), for
`--seconds`; the files are generated before the clock starts (`dsnlink.norm.sample`). Prints
throughput (uploads/s), p50/p95/p99 latency, errors by status, and checks that every accepted
declaration is stored: each key's `GET /v1/declarations` total, and with --self-host (or
--database-url) every accepted id in the `declaration` table.

--self-host creates a throwaway PostgreSQL database (DSNLINK_TEST_POSTGRES_URL, default the local
server), starts `--api-processes` gateway processes (`dsnlink serve --worker no`, or
`uvicorn --factory api.app:create_app --workers W` with --uvicorn-workers W), one tenant and
company per client, and drops everything afterwards. With --url, each --key's tenant must have a
company (the first one listed is used) and a rate limit (DSNLINK_RATE_LIMIT_PER_MINUTE) above
what one client will send.

Target on the 2-core development machine: >= 50 uploads/s sustained, p99 < 1 s, no error,
nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import (  # noqa: E402
    api_argv,
    filing_month,
    gateway_env,
    nics_for,
    processes,
    siren_for,
    start_server,
    throwaway_database,
)
from dsnlink import db  # noqa: E402
from dsnlink.clock import SystemClock  # noqa: E402
from dsnlink.config import Settings  # noqa: E402
from dsnlink.norm.sample import sample_bytes  # noqa: E402
from dsnlink.tenants import limits  # noqa: E402
from dsnlink.tenants import service as tenants_service  # noqa: E402


@dataclass
class Client:
    key: str
    url: str
    siren: str
    nics: list[str]
    files: list[bytes] = field(default_factory=list)


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    accepted: dict[str, list[str]] = field(default_factory=dict)  # key -> declaration ids
    starved: int = 0


def _files(args: tuple[int, int, str, list[str], int]) -> list[bytes]:
    """One normal declaration per establishment and month: file i goes to establishment
    i mod n, for the (i div n)-th month back."""
    first, count, siren, nics, employees = args
    return [
        sample_bytes(
            employees=employees,
            month=filing_month(index // len(nics)),
            seed=first + index,
            siren=siren,
            nic=nics[index % len(nics)],
        )
        for index in range(count)
    ]


def generate(clients: list[Client], per_client: int, employees: int) -> None:
    """Every client's files, distinct seeds across clients, in two processes."""
    jobs = [(index * 1_000_000 + int(time.time()) % 100_000 * 10, per_client, c.siren, c.nics,
             employees) for index, c in enumerate(clients)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        for client, files in zip(clients, pool.map(_files, jobs), strict=True):
            client.files = files


async def run_client(
    http: httpx.AsyncClient, client: Client, stop_at: float, results: Results, transmit: bool
) -> None:
    headers = {"Authorization": f"Bearer {client.key}", "Content-Type": "application/octet-stream"}
    ids = results.accepted.setdefault(client.key, [])
    params = {"accept_late": "true", "transmit": str(transmit).lower()}
    files = iter(client.files)
    while time.monotonic() < stop_at:
        body = next(files, None)
        if body is None:
            results.starved += 1
            return
        began = time.perf_counter()
        try:
            response = await http.post(
                f"{client.url}/v1/declarations", params=params, content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            results.statuses[type(exc).__name__] += 1
            continue
        results.latencies.append(time.perf_counter() - began)
        results.statuses[str(response.status_code)] += 1
        if response.status_code == 201:
            ids.append(response.json()["id"])


async def drive(clients: list[Client], seconds: float, transmit: bool) -> tuple[Results, float]:
    results = Results()
    limits = httpx.Limits(max_connections=len(clients) + 4, max_keepalive_connections=len(clients))
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        began = time.monotonic()
        await asyncio.gather(*(run_client(http, c, began + seconds, results, transmit)
                               for c in clients))
        elapsed = time.monotonic() - began
    return results, elapsed


def percentile(values: list[float], share: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def verify(clients: list[Client], results: Results, database_url: str | None) -> list[str]:
    """Problems found: an accepted declaration the gateway does not list or store."""
    problems = []
    for key in {c.key for c in clients}:
        url = next(c.url for c in clients if c.key == key)
        listed = httpx.get(f"{url}/v1/declarations", params={"limit": 1}, timeout=60,
                           headers={"Authorization": f"Bearer {key}"}).json()["total"]
        if listed < len(results.accepted.get(key, [])):
            problems.append(f"key …{key[-6:]}: {len(results.accepted[key])} accepted, "
                            f"{listed} listed")
    if database_url:
        engine = sa.create_engine(database_url)
        with engine.connect() as connection:
            stored = {str(row[0]) for row in connection.execute(
                sa.text("SELECT id FROM declaration"))}
        engine.dispose()
        accepted = {i for ids in results.accepted.values() for i in ids}
        if accepted - stored:
            problems.append(f"{len(accepted - stored)} accepted declarations are not stored")
    return problems


def report(results: Results, elapsed: float, problems: list[str], label: str) -> bool:
    accepted = sum(len(ids) for ids in results.accepted.values())
    rate = accepted / elapsed
    lat = results.latencies
    p50, p95, p99 = (percentile(lat, s) * 1000 for s in (0.50, 0.95, 0.99))
    errors = {s: n for s, n in results.statuses.items() if s != "201"}
    print(f"{label}")
    print(f"  uploads accepted : {accepted} in {elapsed:.1f} s = {rate:.1f} uploads/s")
    print(f"  latency          : p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms, "
          f"max {max(lat, default=math.nan) * 1000:.0f} ms, mean "
          f"{(statistics.fmean(lat) if lat else math.nan) * 1000:.0f} ms")
    print(f"  errors by status : {errors or 'none'}")
    if results.starved:
        print(f"  WARNING: {results.starved} client(s) ran out of files: raise --max-rate")
    print(f"  stored           : {problems or 'every accepted declaration'}")
    met = rate >= 50 and p99 < 1000 and not errors and not problems and not results.starved
    print(f"  target (>= 50/s, p99 < 1 s, no error, nothing lost): {'MET' if met else 'NOT MET'}")
    # A missed speed target is a figure to read; an error or a lost declaration is a failure.
    return not errors and not problems


# --- self-hosting ------------------------------------------------------------------------------


def uvicorn_argv(port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--host",
            "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning",
            "--no-access-log"]


def tenants(env: dict[str, str], count: int) -> list[str]:
    """One activated tenant per client, payslip quota out of the way; their API keys."""
    settings = Settings(_env_file=None, **{  # type: ignore[call-arg]
        "database_url": env["DSNLINK_DATABASE_URL"], "secret_key": env["DSNLINK_SECRET_KEY"],
        "environment": "test"})
    engine = db.create_db_engine(settings.effective_database_url)
    keys = []
    try:
        for index in range(count):
            with db.unit_of_work(db.session_factory(engine)) as session:
                created = tenants_service.create_tenant(
                    session, name=f"Load {index}", admin_email=f"a{index}@load.example",
                    secret=settings.secret_key, clock=SystemClock())
                limits.set_tenant_limit(
                    session, tenant_id=created.tenant.id, name=limits.PAYSLIP_LIMIT,
                    value=100_000_000, clock=SystemClock())
            assert created.api_key is not None
            keys.append(created.api_key)
    finally:
        engine.dispose()
    return keys


ESTABLISHMENTS = 40  # x 34 months: 1,360 distinct declarations per client


def company(url: str, key: str, index: int) -> tuple[str, list[str]]:
    siren = siren_for(5000 + index)
    nics = nics_for(siren, ESTABLISHMENTS)
    nic = nics[0]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as h:
        declarant = h.post("/v1/declarants", json={
            "siret": siren + nic, "nom": f"L{index}", "prenom": "P", "password": "x"})
        declarant.raise_for_status()
        h.post("/v1/companies", json={
            "siren": siren, "name": f"Load {index}", "due_day": 15,
            "declarant_id": declarant.json()["id"],
            "establishments": [{"nic": n, "name": f"E{n}"} for n in nics]}).raise_for_status()
    return siren, nics


@contextmanager
def self_hosted(args: argparse.Namespace) -> Iterator[tuple[list[Client], str]]:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="dsnlink-load-")))
        database_url = stack.enter_context(throwaway_database("dsnlink_load"))
        env = gateway_env(database_url, workdir / "data", "http://127.0.0.1:9")
        group = stack.enter_context(processes(workdir))
        urls = [
            start_server(
                group,
                f"api{index}",
                lambda port: (
                    uvicorn_argv(port, args.uvicorn_workers)
                    if args.uvicorn_workers
                    else api_argv(port)
                ),
                {**env, "PYTHONPATH": str(ROOT)},
                ready_path="/v1/status",
            )[1]
            for index in range(args.api_processes)
        ]
        keys = tenants(env, args.clients)
        clients = []
        for index, key in enumerate(keys):
            url = urls[index % len(urls)]
            siren, nics = company(url, key, index)
            clients.append(Client(key=key, url=url, siren=siren, nics=nics))
        mode = (f"uvicorn --workers {args.uvicorn_workers}" if args.uvicorn_workers
                else "dsnlink serve --worker no")
        print(f"self-hosted: {args.api_processes} API process(es) ({mode}) on PostgreSQL "
              f"{database_url.rsplit('/', 1)[-1]}, {args.clients} tenants")
        yield clients, database_url


def given_gateway(args: argparse.Namespace) -> list[Client]:
    clients = []
    for index in range(args.clients):
        key = args.key[index % len(args.key)]
        listed = httpx.get(f"{args.url}/v1/companies", timeout=30,
                           headers={"Authorization": f"Bearer {key}"}).raise_for_status().json()
        if not listed:
            raise SystemExit(f"the tenant of key …{key[-6:]} has no company")
        first = listed[0]
        nics = [e["nic"] for e in first["establishments"]]
        clients.append(Client(key=key, url=args.url.rstrip("/"), siren=first["siren"], nics=nics))
    return clients


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running gateway")
    parser.add_argument("--key", action="append", default=[], help="API key (repeatable)")
    parser.add_argument("--database-url", help="with --url: also check the declaration table")
    parser.add_argument("--self-host", action="store_true")
    parser.add_argument("--api-processes", type=int, default=2)
    parser.add_argument("--uvicorn-workers", type=int, default=0,
                        help="self-host with uvicorn --workers W per API process")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--employees", type=int, default=50)
    parser.add_argument("--max-rate", type=float, default=100.0,
                        help="files generated beforehand: enough for this many uploads/s")
    parser.add_argument("--transmit", action="store_true", help="order each transmission too")
    args = parser.parse_args()
    if not args.self_host and not (args.url and args.key):
        parser.error("give --self-host, or --url and at least one --key")
    per_client = math.ceil(args.max_rate * args.seconds / args.clients) + 5
    with ExitStack() as stack:
        if args.self_host:
            clients, database_url = stack.enter_context(self_hosted(args))
        else:
            clients, database_url = given_gateway(args), args.database_url
        began = time.perf_counter()
        generate(clients, per_client, args.employees)
        print(f"{len(clients) * per_client} files of {args.employees} employees generated in "
              f"{time.perf_counter() - began:.1f} s; {args.clients} clients for "
              f"{args.seconds:g} s ({date.today().isoformat()}) …", flush=True)
        results, elapsed = asyncio.run(drive(clients, args.seconds, args.transmit))
        problems = verify(clients, results, database_url)
        correct = report(results, elapsed, problems, f"load drill {uuid.uuid4().hex[:6]}")
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
