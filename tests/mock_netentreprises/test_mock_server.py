"""The mock through a real uvicorn on loopback: cut connections and timeouts seen by a client."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from mock_helpers import CONCENTRATOR, DECLARANT, build_dsn, declarant_part, identifiants

from mock_netentreprises import MockConfig, create_app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    # Bound here and handed to uvicorn: no other process can take the port in between.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        create_app(MockConfig()),
        host="127.0.0.1",
        port=port,
        log_level="critical",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)
    listener.close()


def test_deposit_over_http_then_a_dropped_connection(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=5) as http:
        http.post("/_mock/reset")
        token = http.post("/authentifier/1.0/", content=identifiants(*CONCENTRATOR, "98")).text
        headers = {
            "Authorization": f"DSNLogin concentrateur={token},"
            f"declarant={declarant_part(*DECLARANT[:3])}",
            "Content-Encoding": "gzip",
            "Content-Type": "text/plain",
            "User-Agent": "Client-DSN (tests/1.0; dsnlink)",
        }
        body = gzip.compress(build_dsn())
        accepted = http.post("/deposer-dsn/1.0/", content=body, headers=headers)
        assert accepted.status_code == 200
        assert accepted.headers["content-encoding"] == "gzip"
        assert b"<envoi_etat>OK</envoi_etat>" in accepted.content
        http.post("/_mock/config", json={"deposit_then_fail": "drop"})
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            http.post("/deposer-dsn/1.0/", content=body, headers=headers)
        http.post("/_mock/config", json={"deposit_then_fail": "off"})
        assert len(http.get("/_mock/deposits").json()) == 2


def test_a_hanging_call_times_the_client_out(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=0.3) as http:
        http.post("/_mock/config", json={"hang_rate": 1.0, "hang_seconds": 1.0})
        try:
            with pytest.raises(httpx.ReadTimeout):
                http.post("/authentifier/1.0/", content=identifiants(*DECLARANT, "97"))
        finally:
            http.post("/_mock/config", json={"hang_rate": 0.0})
