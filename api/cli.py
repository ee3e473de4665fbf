"""The `dsnlink` console script: the core's commands plus `serve` and `demo`, which run the
gateway's HTTP API (with its in-process worker).

These two commands live at the HTTP edge because they start servers; the domain core stays free
of them (its parser is dsnlink.cli, which this module extends).
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import uvicorn

from dsnlink import cli as core_cli
from dsnlink import db
from dsnlink.clock import SystemClock
from dsnlink.config import Settings, get_settings
from dsnlink.errors import InputError, UnavailableError

DEMO_TENANT = "Démo DSN Link"
DEMO_ADMIN = "admin@demo.dsnlink.example"
# The mock deposit point's own test declarant (GIP-MDS reference identities).
DEMO_DECLARANT = {
    "siret": "99900000300015",
    "nom": "declarant",
    "prenom": "declarant",
    "password": "Refonte01",
}
DEMO_SIREN = "966142747"
DEMO_NIC = "00098"
PARIS = ZoneInfo("Europe/Paris")
FINAL_DEMO_STATUSES = {"conform", "anomalies", "refused_by_deposit_point", "transmission_failed"}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `dsnlink` command."""
    return core_cli.main(argv, extra=(register,))


def build_parser() -> argparse.ArgumentParser:
    """The whole `dsnlink` parser (for documentation and tests)."""
    return core_cli.build_parser((register,))


def register(subparsers: core_cli.Subparsers) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="run the gateway API (and, on SQLite, its transmission worker in-process)",
        description="Run the gateway API. With SQLite (the default) the transmission worker runs "
        "inside this process; with PostgreSQL run `dsnlink worker` separately (or keep it here "
        "with --worker).",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--worker",
        choices=("auto", "yes", "no"),
        default="auto",
        help="run the worker in this process (auto: only on SQLite)",
    )
    serve.set_defaults(func=run_serve)

    demo = subparsers.add_parser(
        "demo",
        help="start the gateway with the mock deposit point, a demo tenant and a declaration",
        description="Start everything on this machine: the gateway on SQLite with its in-process "
        "worker, the mock deposit point, a demo tenant with its company, and a sample "
        "declaration for this month ordered for transmission. Prints the URL and the API key.",
    )
    demo.add_argument("--port", type=int, default=8000, help="gateway port (0: any free port)")
    demo.add_argument(
        "--mock-port", type=int, default=8081, help="mock deposit point port (0: any free port)"
    )
    demo.add_argument("--employees", type=int, default=25, help="employees in the sample")
    demo.add_argument(
        "--exit-when-done",
        action="store_true",
        help="stop once the declaration has its certificate of conformity (for scripts and CI)",
    )
    demo.add_argument(
        "--timeout", type=float, default=300.0, help="with --exit-when-done: give up after this"
    )
    demo.set_defaults(func=run_demo)


# --- servers ---------------------------------------------------------------------------------


@dataclass
class RunningServer:
    """A uvicorn server in a daemon thread; `url` is known once it listens."""

    server: uvicorn.Server
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _check_port_free(host: str, port: int, what: str) -> None:
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise InputError(
                f"port {port} on {host} is already in use ({what}); choose another with "
                f"--{'mock-port' if what == 'mock deposit point' else 'port'}"
            ) from None


def start_server(
    app: Any, *, host: str, port: int, what: str, config: uvicorn.Config | None = None
) -> RunningServer:
    """Serve `app` from a thread and wait until it listens (or fail clearly)."""
    _check_port_free(host, port, what)
    # log_config=None: uvicorn's lines go through dsnlink's redacting handler, not its own.
    config = config or uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{what}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise UnavailableError(f"the {what} could not start on {host}:{port}")
        time.sleep(0.05)
    bound = server.servers[0].sockets[0].getsockname()[1]
    return RunningServer(server=server, thread=thread, url=f"http://{host}:{bound}")


@contextlib.contextmanager
def gateway(settings: Settings, *, host: str, port: int, worker: bool) -> Iterator[RunningServer]:
    """The API served on host:port, with the in-process worker when asked.

    Slow clients are bounded (header and body timeouts, a connection cap) and forwarded
    addresses are believed only from DSNLINK_FORWARDED_ALLOW_IPS (api/server.py).
    """
    from api.app import create_app
    from api.server import server_config
    from dsnlink.transmission.worker import start_inprocess_worker

    settings.check_secrets(serving_on=host)
    engine = db.engine_from_settings(settings)  # creates a private data_dir for SQLite
    db.upgrade(settings.effective_database_url)
    app = create_app(settings, engine=engine)
    handle = start_inprocess_worker(settings, engine) if worker else None
    running = start_server(
        app,
        host=host,
        port=port,
        what="gateway",
        config=server_config(app, settings=settings, host=host, port=port),
    )
    try:
        yield running
    finally:
        running.stop()
        if handle is not None:
            handle.stop()
        engine.dispose()


def _wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopping…", file=sys.stderr)


def run_serve(args: argparse.Namespace) -> int:
    settings = get_settings()
    on_sqlite = settings.effective_database_url.startswith("sqlite")
    worker = args.worker == "yes" or (args.worker == "auto" and on_sqlite)
    with gateway(settings, host=args.host, port=args.port, worker=worker) as running:
        mode = "with its transmission worker" if worker else "without worker (run `dsnlink worker`)"
        print(f"dsnlink gateway on {running.url} {mode}; API docs at {running.url}/docs")
        _wait_forever()
    return 0


# --- demo ------------------------------------------------------------------------------------


def _demo_settings(mock_url: str) -> Settings:
    base = get_settings()
    return base.model_copy(
        update={
            "deposit_point_url": mock_url,
            "returns_poll_seconds": 2.0,
            "returns_lag_seconds": 0.0,
            "worker_poll_seconds": 0.5,
            # The demo narrates on stdout; one log line per poll would drown it.
            "log_level": base.log_level if "log_level" in base.model_fields_set else "WARNING",
        }
    )


def _demo_tenant_key(settings: Settings) -> str:
    """The demo tenant's API key: the activation key the first time, a fresh key afterwards."""
    from dsnlink.tenants import repository as tenants_repository
    from dsnlink.tenants.models import Role
    from dsnlink.tenants.schemas import Principal
    from dsnlink.tenants.service import create_api_key, create_tenant

    clock = SystemClock()
    engine = db.engine_from_settings(settings)
    try:
        with db.unit_of_work(db.session_factory(engine)) as session:
            tenant = tenants_repository.get_tenant_by_name(session, DEMO_TENANT)
            if tenant is None:
                created = create_tenant(
                    session,
                    name=DEMO_TENANT,
                    admin_email=DEMO_ADMIN,
                    secret=settings.secret_key,
                    clock=clock,
                )
                assert created.api_key is not None
                return created.api_key
            admin = tenants_repository.get_user_by_email(
                session, tenant_id=tenant.id, email=DEMO_ADMIN
            )
            if admin is None:
                raise InputError(f"the demo tenant has lost its administrator {DEMO_ADMIN}")
            principal = Principal(tenant_id=tenant.id, user_id=admin.id, role=Role(admin.role))
            _, key = create_api_key(
                session,
                principal=principal,
                name="demo",
                user_id=None,
                secret=settings.secret_key,
                clock=clock,
            )
            return key
    finally:
        engine.dispose()


def _demo_declaration(api: httpx.Client, *, employees: int, data_dir: Path) -> dict[str, Any]:
    """Register the demo declarant and company (once), then upload a sample of the latest month
    whose norm is installed (this month, unless the calendar has passed the installed norms)."""
    from dsnlink.norm.sample import sample_bytes
    from dsnlink.norm.sample_model import demo_month

    declarants = api.get("/v1/declarants").raise_for_status().json()
    known = [d for d in declarants if d["siret"] == DEMO_DECLARANT["siret"]]
    declarant = known[0] if known else api.post("/v1/declarants", json=DEMO_DECLARANT).json()
    companies = api.get("/v1/companies").raise_for_status().json()
    if not any(company["siren"] == DEMO_SIREN for company in companies):
        api.post(
            "/v1/companies",
            json={
                "siren": DEMO_SIREN,
                "name": "Boulangerie de démonstration",
                "due_day": 15,
                "declarant_id": declarant["id"],
                "establishments": [{"nic": DEMO_NIC, "name": "Siège"}],
            },
        ).raise_for_status()
    month = _unfiled_month(api, latest=demo_month(date.today(), data_dir))
    seed = int(time.time())  # a new file each run: identical bytes would be refused as duplicate
    body = sample_bytes(
        employees=employees, month=month, seed=seed, siren=DEMO_SIREN, nic=DEMO_NIC
    )
    response = api.post(
        "/v1/declarations",
        params={"transmit": "true", "filename": f"demo-{month}.dsn", "accept_late": "true"},
        content=body,
        headers={"Content-Type": "application/octet-stream"},
    )
    if response.status_code != 201:
        raise UnavailableError(f"the demo upload was refused: {response.text}")
    result: dict[str, Any] = response.json()
    return result


def _unfiled_month(api: httpx.Client, *, latest: str) -> str:
    """`latest` (the latest month whose norm is installed), or the latest earlier one the demo
    establishment has not filed yet (a month takes one normal declaration; each run of the demo
    files a new one)."""
    start_year, start_month = (int(part) for part in latest.split("-"))
    for back in range(36):
        year, month = divmod(start_year * 12 + start_month - 1 - back, 12)
        candidate = f"{year}-{month + 1:02d}"
        filed = api.get(
            "/v1/declarations",
            params={"siret": DEMO_SIREN + DEMO_NIC, "month": candidate, "type": "01"},
        ).raise_for_status()
        if filed.json()["total"] == 0:
            return candidate
    raise UnavailableError("the demo establishment has filed every month of the last 3 years")


def _paris(moment: str | None) -> str:
    """An API timestamp (UTC) as a declarant reads it: Paris time."""
    if moment is None:
        return "none"
    at = datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(PARIS)
    return at.strftime("%d/%m/%Y %H:%M (Paris)")


def _follow(api: httpx.Client, declaration_id: str, *, timeout: float) -> str:
    """Print each status the declaration goes through; return the last one."""
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = api.get(f"/v1/declarations/{declaration_id}").json()["status"]
        if status != seen:
            print(f"  status: {status}", flush=True)
            seen = status
        if status in FINAL_DEMO_STATUSES:
            return status
        time.sleep(1)
    return seen


def run_demo(args: argparse.Namespace) -> int:
    from mock_netentreprises.app import create_app as create_mock_app
    from mock_netentreprises.config import MockConfig

    mock = start_server(
        create_mock_app(MockConfig(return_delays={"11": 3.0})),
        host="127.0.0.1",
        port=args.mock_port,
        what="mock deposit point",
    )
    settings = _demo_settings(mock.url)
    db.private_data_dir(settings.data_dir)
    try:
        with gateway(settings, host="127.0.0.1", port=args.port, worker=True) as running:
            key = _demo_tenant_key(settings)
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=running.url, headers=headers, timeout=120) as api:
                declaration = _demo_declaration(
                    api, employees=args.employees, data_dir=settings.data_dir
                )
                print(f"dsnlink gateway:      {running.url}   (API docs: {running.url}/docs)")
                print(f"dashboard:            {running.url}/app   (sign in with the API key)")
                print(f"mock deposit point:   {mock.url}")
                print(f"demo tenant API key:  {key}   (shown once; stored only as a hash)")
                print(
                    f"sample declaration:   {declaration['id']} — {declaration['status']}, "
                    f"deadline {_paris(declaration['deadline'])}, "
                    f"cut-off {_paris(declaration['cutoff'])}"
                )
                print("try:")
                print(f"  curl -H 'Authorization: Bearer {key}' {running.url}/v1/declarations")
                print("following the transmission (Ctrl-C to stop)…", flush=True)
                final = _follow(api, declaration["id"], timeout=args.timeout)
                if args.exit_when_done:
                    return 0 if final == "conform" else 1
            _wait_forever()
    finally:
        mock.stop()
    return 0
