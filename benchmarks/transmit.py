"""Transmission throughput: N queued small declarations drained into the mock deposit point.

    .venv/bin/python benchmarks/transmit.py [--declarations 1000] [--declarants 20]
        [--workers 1,2,4]

Uploads the declarations once through the gateway's API (in-process), then for 1, 2 and 4
worker PROCESSES (`dsnlink worker --drain`, each its own interpreter, as deployed) resets them to
`ordered`, resets the mock (uvicorn on loopback, in this process) and times the drain from the
workers' start to the last one's exit; prints declarations/second, and the start-up time of one
worker process (included in the drain time). PostgreSQL at DSNLINK_TEST_POSTGRES_URL (a
throwaway database); if unreachable, SQLite with 1 worker only (said in the output).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from benchmarks.harness import (  # noqa: E402
    filing_month,
    mock_deposit_point,
    mock_deposits,
    nics_for,
    siren_for,
    startup_seconds,
    worker_settings,
)
from dsnlink import db  # noqa: E402
from dsnlink.clock import SystemClock  # noqa: E402
from dsnlink.config import Settings  # noqa: E402
from dsnlink.norm.sample import sample_bytes  # noqa: E402
from dsnlink.tenants import service as tenants_service  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CLOCK = SystemClock()




async def populate(settings: Settings, engine: sa.Engine, count: int, declarants: int) -> None:
    with db.unit_of_work(db.session_factory(engine)) as session:
        created = tenants_service.create_tenant(
            session, name="Bench", admin_email="a@bench.example", secret=settings.secret_key,
            clock=CLOCK,
        )
    headers = {"Authorization": f"Bearer {created.api_key}"}
    app = create_app(settings, engine=engine, clock=CLOCK)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://gateway") as http:
        companies = []
        for index in range(declarants):
            s = siren_for(index)
            nics = nics_for(s, 4)
            nic = nics[0]
            declarant = await http.post("/v1/declarants", headers=headers, json={
                "siret": s + nic, "nom": f"D{index}", "prenom": "P", "password": "x"})
            assert declarant.status_code == 201, declarant.text
            response = await http.post("/v1/companies", headers=headers, json={
                "siren": s, "name": f"C{index}", "due_day": 5,
                "declarant_id": declarant.json()["id"],
                "establishments": [{"nic": n, "name": f"E{n}"} for n in nics]})
            assert response.status_code == 201, response.text
            companies.extend((s, n) for n in nics)
        for seed in range(count):
            s, nic = companies[seed % len(companies)]
            month = filing_month(seed // len(companies))
            response = await http.post(
                "/v1/declarations", params={"transmit": "true", "accept_late": "true"},
                content=sample_bytes(employees=1, month=month, seed=seed, siren=s, nic=nic),
                headers={**headers, "Content-Type": "application/octet-stream"})
            assert response.status_code == 201, response.text


def reset(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        for table in ("deposit_return", "deposited_flow", "deposit_attempt", "identity_lease",
                      "returns_cursor"):
            connection.execute(sa.text(f"DELETE FROM {table}"))
        connection.execute(sa.text("DELETE FROM declaration_event WHERE status NOT IN "
                                   "('received', 'validated', 'ordered')"))
        connection.execute(sa.text("UPDATE declaration SET status = 'ordered'"))
        connection.execute(
            sa.text("UPDATE transmission_job SET status='queued', locked_by=NULL, "
                    "locked_until=NULL, attempts=0, available_at=:now"), {"now": CLOCK.now()})


def worker_env(settings: Settings) -> dict[str, str]:
    """The environment of a `dsnlink worker` process: the same keys, data and fast timings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSNLINK_")}
    env.update(settings.to_env())
    env.update({
        "DSNLINK_WORKER_LEASE_SECONDS": "5",
        "DSNLINK_TRANSMISSION_RETRY_BASE_SECONDS": "0.02",
        "DSNLINK_TRANSMISSION_RETRY_MAX_SECONDS": "0.2",
        "DSNLINK_TRANSMISSION_DECLARANT_WAIT_SECONDS": "0.02",
        "DSNLINK_DEPOSIT_READ_TIMEOUT_SECONDS": "1",
        "DSNLINK_RECONCILE_GRACE_SECONDS": "0.3",
        "DSNLINK_RECONCILE_RECHECK_SECONDS": "0.1",
        "DSNLINK_CLIENT_RETRY_BACKOFF_SECONDS": "0.005",
        "DSNLINK_RETURNS_POLL_SECONDS": "3600",
        "DSNLINK_RETURNS_LAG_SECONDS": "0",
        "DSNLINK_LOG_LEVEL": "WARNING",
    })
    return env


WORKER = [sys.executable, "-m", "dsnlink", "worker", "--drain", "--queue", "poll",
          "--timeout", "600"]


def run(settings: Settings, engine: sa.Engine, mock_url: str, workers: int, count: int,
        workdir: Path) -> float:
    reset(engine)
    httpx.post(f"{mock_url}/_mock/reset", timeout=10)
    httpx.post(f"{mock_url}/_mock/config", timeout=10,
               json={"accept_unknown_declarants": True, "return_delays": {"11": 3600}})
    env = worker_env(settings)
    began = time.perf_counter()
    pool = [subprocess.Popen(WORKER, env=env, cwd=workdir, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE) for _ in range(workers)]
    failures = []
    for process in pool:
        _, stderr = process.communicate(timeout=900)
        if process.returncode != 0:
            failures.append(stderr.decode(errors="replace")[-1500:])
    elapsed = time.perf_counter() - began
    assert not failures, failures
    deposited = len(mock_deposits(mock_url))
    assert deposited == count, f"{deposited} deposits for {count} declarations"
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=1000)
    parser.add_argument("--declarants", type=int, default=20)
    parser.add_argument("--workers", default="1,2,4", help="worker process counts to time")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dsnlink-bench-"))
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"dsnlink_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        worker_counts = tuple(int(n) for n in args.workers.split(","))
        backend = "PostgreSQL"
    except sa.exc.OperationalError:
        url, worker_counts, backend = f"sqlite:///{tmp / 'bench.sqlite3'}", (1,), "SQLite"
        print("PostgreSQL unreachable: SQLite, 1 worker only")
    try:
        db.upgrade(url)
        engine = db.create_db_engine(url)
        key = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
            serialization.NoEncryption())
        base = Settings(environment="test", data_dir=tmp / "data", database_url=url,
                        secret_key="bench-secret", encryption_keys=Fernet.generate_key().decode(),
                        receipt_signing_key=base64.b64encode(key).decode(),
                        # One key uploads everything: the per-key rate limit is not measured here.
                        rate_limit_per_minute=0, log_level="WARNING")
        with mock_deposit_point(return_delays={"11": 3600}) as mock_url:
            settings = worker_settings(base, mock_url).model_copy(
                update={"returns_poll_seconds": 3600.0})
            began = time.perf_counter()
            asyncio.run(populate(settings, engine, args.declarations, args.declarants))
            print(f"{backend}: {args.declarations} declarations of 1 employee, "
                  f"{args.declarants} declarants, uploaded in {time.perf_counter() - began:.1f} s")
            start = startup_seconds(worker_env(settings), tmp)
            print(f"  one worker process starts in {start:.1f} s (included below)")
            for workers in worker_counts:
                elapsed = run(settings, engine, mock_url, workers, args.declarations, tmp)
                print(f"  {workers} worker process(es): {elapsed:6.1f} s  "
                      f"{args.declarations / elapsed:7.1f} declarations/s", flush=True)
        engine.dispose()
    finally:
        if backend == "PostgreSQL":
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
