"""Slow and hostile clients against a real server on loopback (`dsnlink serve`'s configuration).

Real sockets, every wait bounded: slow headers and slow bodies are cut off after their
timeouts, idle connections cannot keep /health/live from answering, a client hanging up is one
info line (not an error with a traceback), and X-Forwarded-For is believed from the trusted
proxy only, its rightmost address being the client.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from api.app import create_app
from api.cli import RunningServer, start_server
from api.server import server_config
from dsnlink import db
from dsnlink.clock import FrozenClock
from dsnlink.config import Settings
from dsnlink.tenants import service as tenants_service
from dsnlink.tenants.signin import SIGN_IN_ATTEMPTS_PER_MINUTE
from tests.observability.logcapture import CapturedLogs

TIMEOUT = 1.0  # header and body timeouts of the server under test
BOUND = TIMEOUT + 9.0  # what a test waits at most for the server to act (never: > 120 s)


@pytest.fixture
def guarded(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "header_read_timeout_seconds": TIMEOUT,
            "body_read_timeout_seconds": TIMEOUT,
            "body_min_bytes_per_second": 200.0,
            "keep_alive_seconds": 1,
            "max_connections": 40,
            "forwarded_allow_ips": "127.0.0.1",
        }
    )


@pytest.fixture
def server(guarded: Settings, db_engine: Engine, clock: FrozenClock) -> Iterator[RunningServer]:
    app = create_app(guarded, engine=db_engine, clock=clock)
    running = start_server(
        app,
        host="127.0.0.1",
        port=0,
        what="gateway",
        config=server_config(app, settings=guarded, host="127.0.0.1", port=0),
    )
    yield running
    running.stop()


def _address(server: RunningServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def _connect(server: RunningServer) -> socket.socket:
    sock = socket.create_connection(_address(server), timeout=BOUND)
    return sock


def _closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Read until the server closes (True) or `seconds` pass (False); what was received."""
    sock.settimeout(0.2)
    received = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True, received
        if not chunk:
            return True, received
        received += chunk
    return False, received


def test_slow_headers_are_cut_off(server: RunningServer) -> None:
    sockets = [_connect(server) for _ in range(30)]
    try:
        for sock in sockets:
            sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: gateway\r\nX-Slow: ")
        started = time.monotonic()
        results = [_closed_within(sock, BOUND) for sock in sockets]
        assert all(closed for closed, _ in results), "a slow-header connection stayed open"
        assert time.monotonic() - started < BOUND
    finally:
        for sock in sockets:
            sock.close()


def test_an_idle_connection_after_an_answer_is_closed(server: RunningServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: gateway\r\n\r\n")
        closed, received = _closed_within(sock, BOUND)
        assert received.startswith(b"HTTP/1.1 200")
        assert closed


def test_slow_body_gets_408_and_the_connection_closes(server: RunningServer) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /v1/users HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n" + b'{"email": '
        )
        started = time.monotonic()
        closed, received = _closed_within(sock, BOUND)
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert b"application/problem+json" in received
    assert closed and time.monotonic() - started < BOUND


def test_a_trickling_body_is_cut_off_by_the_minimum_rate(server: RunningServer) -> None:
    with _connect(server) as sock:
        sock.sendall(
            b"POST /v1/users HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
            b"Content-Length: 100000\r\n\r\n"
        )
        started = time.monotonic()
        received = b""
        # One byte every 0.2 s never lets the idle timeout fire; the average rate does.
        while time.monotonic() - started < BOUND + 2:
            try:
                sock.sendall(b" ")
            except OSError:
                break
            closed, chunk = _closed_within(sock, 0.2)
            received += chunk
            if closed or received:
                break
    assert received.startswith(b"HTTP/1.1 408"), received[:200]
    assert time.monotonic() - started < BOUND + 2


def test_idle_connections_do_not_stop_liveness_answers(server: RunningServer) -> None:
    # More idle connections than the connection cap (40): the excess answers 503 at once
    # rather than queueing, and the header timeout frees them all.
    idle = [_connect(server) for _ in range(60)]
    try:
        with httpx.Client(base_url=server.url, timeout=BOUND) as client:
            during = client.get("/health/live")
            assert during.status_code in {200, 503}
            deadline = time.monotonic() + BOUND
            status = during.status_code
            while status != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
                status = client.get("/health/live").status_code
            assert status == 200
            time.sleep(TIMEOUT + 0.5)
            assert client.get("/health/live").status_code == 200
        assert all(_closed_within(sock, BOUND)[0] for sock in idle)
    finally:
        for sock in idle:
            sock.close()


def test_a_client_hanging_up_mid_upload_is_an_info_line(
    server: RunningServer, guarded: Settings, db_engine: Engine, clock: FrozenClock
) -> None:
    with db.unit_of_work(db.session_factory(db_engine)) as session:
        key = tenants_service.create_tenant(
            session,
            name="Hangup",
            admin_email="admin@hangup.example",
            secret=guarded.secret_key,
            clock=clock,
        ).api_key
    logs = CapturedLogs()
    try:
        for _ in range(5):
            with _connect(server) as sock:
                sock.sendall(
                    b"POST /v1/declarations HTTP/1.1\r\nHost: gateway\r\n"
                    b"Authorization: Bearer " + str(key).encode() + b"\r\n"
                    b"Content-Type: application/octet-stream\r\n"
                    b"Content-Length: 1000000\r\n\r\n" + b"S10.G00.00.001,'x'\n" * 50
                )
                time.sleep(0.2)
        time.sleep(0.5)
        events = logs.events()
    finally:
        logs.close()
    disconnects = [e for e in events if "client disconnected" in e.get("event", "")]
    assert len(disconnects) == 5, logs.text[-2000:]
    assert {e["level"] for e in disconnects} == {"info"}
    errors = [e for e in events if e["level"] in {"error", "critical"}]
    assert errors == []
    assert "Traceback" not in logs.text


def test_forwarded_for_is_believed_from_the_proxy_only_rightmost_first(
    server: RunningServer,
) -> None:
    """nginx appends the address it saw: whatever a client puts on the left is its own lie.

    With uvicorn trusting every address (the old `--forwarded-allow-ips=*`) the leftmost,
    client-chosen address was taken and the sign-in throttle never saw the same address twice.
    """
    with httpx.Client(base_url=server.url, timeout=BOUND) as browser:
        page = browser.get("/app/connexion")
        statuses = []
        for attempt in range(SIGN_IN_ATTEMPTS_PER_MINUTE + 2):
            spoofed = f"198.51.100.{attempt}, 203.0.113.7"
            csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
            page = browser.post(
                "/app/connexion",
                data={
                    "csrf": csrf,
                    "email": f"{uuid.uuid4().hex[:8]}@nowhere.example",
                    "mot_de_passe": "not the password",
                },
                headers={"X-Forwarded-For": spoofed},
            )
            statuses.append(page.status_code)
    assert statuses[:SIGN_IN_ATTEMPTS_PER_MINUTE] == [401] * SIGN_IN_ATTEMPTS_PER_MINUTE
    assert statuses[SIGN_IN_ATTEMPTS_PER_MINUTE:] == [429, 429]
