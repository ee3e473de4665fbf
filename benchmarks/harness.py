"""The process harness of the benchmarks, drills and multi-process tests (one home: benchmarks
never import tests/; tests import this): a throwaway PostgreSQL database, the gateway's processes
as real subprocesses in their own process groups (so a failing run still kills them all), ASGI
apps (the mock deposit point) served on loopback in a thread, tenants and companies through the
CLI and the API, and the database's view of what was transmitted."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import sqlalchemy as sa
import uvicorn
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import make_url
from stdnum import luhn

from dsnlink import db
from dsnlink.config import Settings
from mock_netentreprises import MockConfig
from mock_netentreprises import create_app as create_mock

POSTGRES_URL = os.environ.get(
    "DSNLINK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DONE = frozenset({"deposited", "conform", "anomalies"})
# Returns published quickly by the mock (seconds after the deposit, per nature).
FAST_RETURNS = {"10": 0.0, "11": 0.3, "60": 0.5, "61": 0.6, "92": 0.5, "94": 0.7}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_reachable(url: str = POSTGRES_URL) -> bool:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


@contextmanager
def throwaway_database(prefix: str = "dsnlink_ops", admin_url: str = POSTGRES_URL) -> Iterator[str]:
    """A new PostgreSQL database migrated to head; dropped (connections and all) afterwards."""
    # pre-ping: the drop must work after a drill restarted the server under this engine.
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        db.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def gateway_env(database_url: str, data_dir: Path, mock_url: str, **extra: str) -> dict[str, str]:
    """The environment of every gateway process of one deployment (same keys, same data dir)."""
    signing = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    settings = Settings(
        environment="test",
        database_url=database_url,
        data_dir=data_dir,
        secret_key=f"ops-{uuid.uuid4().hex}",
        encryption_keys=Fernet.generate_key().decode(),
        receipt_signing_key=base64.b64encode(signing).decode(),
        deposit_point_url=mock_url,
        log_level="WARNING",
        log_format="console",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSNLINK_")}
    env.update(settings.to_env())
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


# Protocol timings short enough for a drill, long enough for a loaded 2-core machine.
FAST_TIMINGS = {
    "DSNLINK_WORKER_POLL_SECONDS": "0.5",
    "DSNLINK_WORKER_LEASE_SECONDS": "20",
    "DSNLINK_TRANSMISSION_RETRY_BASE_SECONDS": "0.1",
    "DSNLINK_TRANSMISSION_RETRY_MAX_SECONDS": "1",
    "DSNLINK_TRANSMISSION_DECLARANT_WAIT_SECONDS": "0.05",
    "DSNLINK_DEPOSIT_READ_TIMEOUT_SECONDS": "3",
    "DSNLINK_RECONCILE_GRACE_SECONDS": "0.5",
    "DSNLINK_RECONCILE_RECHECK_SECONDS": "0.2",
    "DSNLINK_CLIENT_RETRY_BACKOFF_SECONDS": "0.02",
    "DSNLINK_RETURNS_POLL_SECONDS": "3600",
    "DSNLINK_RETURNS_LAG_SECONDS": "0",
    # A flow is adopted once its bilan proves it ours: the mock's answers expire after 2 min.
    "DSNLINK_DEPOSIT_POINT_CACHE_MAX_SECONDS": "0.5",
    "DSNLINK_RECONCILE_PROOF_SECONDS": "60",
}


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    argv: list[str]

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, chars: int = 3000) -> str:
        with suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""


@dataclass
class Processes:
    """Subprocesses, each the leader of its own process group; `stop_all` ends every group."""

    log_dir: Path
    cwd: Path
    started: list[Process] = field(default_factory=list)
    _files: list[IO[bytes]] = field(default_factory=list)

    def spawn(self, name: str, argv: list[str], env: dict[str, str]) -> Process:
        log = self.log_dir / f"{name}.log"
        handle = log.open("ab")
        self._files.append(handle)
        popen = subprocess.Popen(
            argv, env=env, cwd=self.cwd, stdout=handle, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        process = Process(name=name, popen=popen, log=log, argv=argv)
        self.started.append(process)
        return process

    def kill(self, process: Process, signum: int = signal.SIGKILL) -> None:
        with suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signum)
        process.popen.wait(timeout=15)

    def stop_all(self, grace: float = 5.0) -> None:
        for process in self.started:
            if process.alive():
                with suppress(ProcessLookupError):
                    os.killpg(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.started:
            with suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            # The group too: a server may have left children behind.
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.popen.pid, signal.SIGKILL)
            with suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=5)
        for handle in self._files:
            handle.close()

    def report(self) -> str:
        return "\n".join(
            f"--- {p.name} (exit {p.popen.poll()}) ---\n{p.tail()}" for p in self.started
        )


@contextmanager
def processes(workdir: Path) -> Iterator[Processes]:
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    group = Processes(log_dir=logs, cwd=workdir)
    try:
        yield group
    finally:
        group.stop_all()


def dsnlink_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "api", *args]


def startup_seconds(env: dict[str, str], workdir: Path) -> float:
    """What starting one gateway process costs: the interpreter and the `dsnlink` imports."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import api.cli, dsnlink.transmission.worker"],
                   env=env, cwd=workdir, check=True)
    return time.perf_counter() - began


def api_argv(port: int) -> list[str]:
    return dsnlink_argv("serve", "--host", "127.0.0.1", "--port", str(port), "--worker", "no")


def mock_argv(port: int, *options: str) -> list[str]:
    return [sys.executable, "-m", "mock_netentreprises", "--host", "127.0.0.1",
            "--port", str(port), "--accept-unknown-declarants", "--log-level", "warning",
            *options]


def wait_http(url: str, process: Process, *, timeout: float = 60.0) -> None:
    """Until `url` answers 200; fails at once, with the log, if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        with suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} did not answer {url} in {timeout:g} s:\n{process.tail()}")


def start_server(
    group: Processes,
    name: str,
    argv_for: Callable[[int], list[str]],
    env: dict[str, str],
    *,
    ready_path: str,
    tries: int = 5,
) -> tuple[Process, str]:
    """A server subprocess on a free port, answering `ready_path`; returns it and its base URL.

    A port probed free may be taken by another process before the server binds it: the server
    then exits saying so, and is started again on another port (chance is not a failure).
    """
    for attempt in range(1, tries + 1):
        port = free_port()
        process = group.spawn(name if attempt == 1 else f"{name}-{attempt}", argv_for(port), env)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{url}{ready_path}", process)
            return process, url
        except RuntimeError:
            if process.alive() or "in use" not in process.tail():
                raise
    raise RuntimeError(f"{name}: no free port after {tries} tries")


def create_tenant(env: dict[str, str], cwd: Path, name: str, *, payslips: int | None = None) -> str:
    """A tenant through the operator's CLI; returns its API key."""
    result = subprocess.run(
        dsnlink_argv("tenant", "create", name, "--admin", f"admin@{uuid.uuid4().hex[:8]}.example",
                     "--json"),
        env=env, cwd=cwd, capture_output=True, text=True, check=True, timeout=120,
    )
    created = json.loads(result.stdout)
    if payslips is not None:
        subprocess.run(
            dsnlink_argv("tenant", "set-limit", created["tenant_id"], "--payslips", str(payslips)),
            env=env, cwd=cwd, capture_output=True, text=True, check=True, timeout=120,
        )
    key: str = created["api_key"]
    return key


def siren_for(index: int) -> str:
    base = f"{700000000 + index * 7919:09d}"[:8]
    return base + luhn.calc_check_digit(base)


def nic_for(siren: str) -> str:
    return nics_for(siren, 1)[0]


def nics_for(siren: str, count: int) -> list[str]:
    """The first `count` NICs that make a valid SIRET with `siren`."""
    found = []
    for number in range(1, 100000):
        if luhn.is_valid(siren + f"{number:05d}"):
            found.append(f"{number:05d}")
            if len(found) == count:
                return found
    raise AssertionError(siren)


# One normal declaration per establishment and month is live at a time (filing_rules.py), and
# the sample norms cover 2024-01 to 2026-12: a benchmark filing many declarations for one
# establishment walks back one month per declaration from 2026-10.
FILING_MONTHS = 34


def filing_month(slot: int) -> str:
    """The month of an establishment's `slot`-th declaration (2026-10, 2026-09, ... 2024-01)."""
    year, index = divmod(2026 * 12 + 9 - slot % FILING_MONTHS, 12)
    return f"{year}-{index + 1:02d}"


def create_companies(
    base_url: str,
    key: str,
    indices: range,
    *,
    due_day: int = 5,
    identity: dict[str, str] | None = None,
    establishments: int = 1,
) -> list[tuple[str, str]]:
    """One declarant and one company per index (distinct SIRENs) with `establishments`
    establishments; returns (siren, nic) per establishment. With `identity`, every declarant
    names that same net-entreprises person."""
    headers = {"Authorization": f"Bearer {key}"}
    companies = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        for index in indices:
            siren = siren_for(index)
            nics = nics_for(siren, establishments)
            nic = nics[0]
            declarant = http.post("/v1/declarants", json=identity or {
                "siret": siren + nic, "nom": f"D{index}", "prenom": "P", "password": "x"})
            declarant.raise_for_status()
            http.post("/v1/companies", json={
                "siren": siren, "name": f"C{index}", "due_day": due_day,
                "declarant_id": declarant.json()["id"],
                "establishments": [{"nic": n, "name": f"E{n}"} for n in nics],
            }).raise_for_status()
            companies.extend((siren, n) for n in nics)
    return companies


@dataclass(frozen=True)
class Ledger:
    """What the database says about the transmissions, declaration by declaration."""

    statuses: dict[str, str]
    deposits: dict[str, int]  # accepted + reconciled attempts per declaration
    attempts: dict[str, int]
    outcomes: dict[str, int]
    workers: int  # distinct workers that made an attempt
    flows: dict[str, str]  # declaration -> idflux
    jobs: dict[str, str]  # declaration -> job status
    job_rows: int


def ledger(database_url: str) -> Ledger:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            statuses = dict(connection.execute(sa.text(
                "SELECT CAST(id AS TEXT), status FROM declaration")).all())
            attempt_rows = connection.execute(sa.text(
                "SELECT CAST(declaration_id AS TEXT), outcome, worker_id FROM deposit_attempt"
            )).all()
            flows = dict(connection.execute(sa.text(
                "SELECT CAST(declaration_id AS TEXT), idflux FROM deposited_flow")).all())
            job_list = connection.execute(sa.text(
                "SELECT CAST(declaration_id AS TEXT), status FROM transmission_job")).all()
    finally:
        engine.dispose()
    deposits: dict[str, int] = {}
    attempts: dict[str, int] = {}
    outcomes: dict[str, int] = {}
    for declaration_id, outcome, _worker in attempt_rows:
        attempts[declaration_id] = attempts.get(declaration_id, 0) + 1
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome in {"accepted", "reconciled"}:
            deposits[declaration_id] = deposits.get(declaration_id, 0) + 1
    return Ledger(
        statuses=statuses, deposits=deposits, attempts=attempts, outcomes=outcomes,
        workers=len({row[2] for row in attempt_rows}), flows=flows, jobs=dict(job_list),
        job_rows=len(job_list),
    )


def mock_deposits(mock_url: str) -> list[dict[str, Any]]:
    deposits: list[dict[str, Any]] = httpx.get(f"{mock_url}/_mock/deposits", timeout=30).json()
    return deposits


def queue_state(database_url: str) -> str:
    """The unfinished jobs and pgqueuer's wake-ups, to explain a failure."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            jobs = connection.execute(sa.text(
                "SELECT j.declaration_id, d.status, j.status, j.attempts, j.available_at, "
                "j.locked_by, j.last_error FROM transmission_job j "
                "JOIN declaration d ON d.id = j.declaration_id WHERE j.status <> 'done'")).all()
            wakeups = connection.execute(sa.text(
                "SELECT status, count(*), min(execute_after) FROM pgqueuer GROUP BY status")).all()
            now = connection.execute(sa.text("SELECT now()")).scalar()
    finally:
        engine.dispose()
    lines = [f"now {now}", *(str(tuple(job)) for job in jobs), f"pgqueuer: {wakeups}"]
    return "\n".join(lines)


# --- in-process servers on loopback ----------------------------------------------------------


@contextmanager
def serve(app: Any, port: int | None = None) -> Iterator[str]:
    """An ASGI app served by uvicorn on 127.0.0.1 in a thread; yields its base URL.

    The listening socket is bound here and handed to uvicorn: no other process can take the port
    between choosing it and listening on it (a "free port" probe would leave that window open).
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port or 0))
    port = int(listener.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical",
                       timeout_graceful_shutdown=1)
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        listener.close()

@contextmanager
def mock_deposit_point(**config: Any) -> Iterator[str]:
    """The mock on loopback, accepting our test declarant, with fast returns."""
    settings = {"accept_unknown_declarants": True, "return_delays": FAST_RETURNS,
                "overwrite_after": None, "seed": 7, **config}
    with serve(create_mock(MockConfig(**settings))) as url:
        yield url

def configure_mock(base_url: str, **changes: Any) -> None:
    httpx.post(f"{base_url}/_mock/config", json=changes, timeout=10).raise_for_status()

def worker_settings(settings: Settings, base_url: str) -> Settings:
    return settings.model_copy(
        update={
            "deposit_point_url": base_url,
            "deposit_read_timeout_seconds": 1.0,
            "worker_lease_seconds": 2.0,
            "returns_poll_seconds": 0.0,
            "returns_lag_seconds": 0.0,
            # The mock's answers expire after 2 min: a drill cannot wait that long for a bilan.
            "deposit_point_cache_max_seconds": 0.2,
        }
    )
