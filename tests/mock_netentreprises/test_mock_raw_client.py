"""A minimal raw-HTTP client with no Accept-Encoding (as curl, PHP curl or Node `request` send)
through a real uvicorn on loopback: login → deposit → lister-depots → lister-retours-flux →
telecharger-retour."""

from __future__ import annotations

import gzip
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from lxml import etree
from mock_helpers import DECLARANT, build_dsn
from reference_client import jaxb_identifiants

from mock_netentreprises import MockConfig, create_app


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        create_app(MockConfig()), log_level="critical", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield listener.getsockname()[1]
    server.should_exit = True
    thread.join(timeout=5)
    listener.close()


def _call(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    skip_accept_encoding: bool = True,
) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection; http.client adds `Accept-Encoding: identity` unless
    told not to, which a client like curl never sends."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=skip_accept_encoding)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def test_a_client_without_accept_encoding_goes_from_login_to_download(port: int) -> None:
    status, headers, token = _call(
        port,
        "POST",
        "/authentifier/1.0/",
        body=jaxb_identifiants(*DECLARANT, "97"),
        headers={"Content-Type": "application/xml"},
    )
    assert status == 200
    assert "content-encoding" not in headers
    assert headers["content-type"] == "application/octet-stream"
    authorization = {"Authorization": f"DSNLogin jeton={token.decode('ascii')}"}

    status, headers, answer = _call(
        port,
        "POST",
        "/deposer-dsn/1.0/",
        body=gzip.compress(build_dsn()),
        headers={**authorization, "Content-Type": "text/plain", "Content-Encoding": "gzip"},
    )
    assert status == 200
    assert headers["content-encoding"] == "gzip"  # the reference always gzips the AEE
    aee = etree.fromstring(gzip.decompress(answer))
    assert aee.get("type") == "AEE"
    idflux = aee.findtext(".//idflux")
    assert idflux

    paris = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris"))
    debut = (paris - timedelta(minutes=5)).strftime("%Y%m%d%H%M%S")
    status, headers, depots = _call(
        port, "GET", f"/lister-depots/1.0/{debut}", headers=authorization
    )
    assert status == 200
    assert "content-encoding" not in headers
    assert headers["accept-ranges"] == "minutes=0-60"
    assert etree.fromstring(depots).xpath("//depot/idflux/text()") == [idflux]

    status, headers, retours = _call(
        port, "GET", f"/lister-retours-flux/1.0/{idflux}", headers=authorization
    )
    assert status == 200
    assert "content-encoding" not in headers
    [retour] = etree.fromstring(retours).iterfind("flux/retour")
    assert retour.findtext("nature") == "10"
    url = urlsplit(retour.findtext("url") or "")
    assert url.port == port

    status, headers, document = _call(port, "GET", url.path, headers=authorization)
    assert status == 200
    assert "content-encoding" not in headers
    assert headers["content-type"] == "application/xml"
    assert etree.fromstring(document).findtext(".//idflux") == idflux


def test_http_client_default_accept_encoding_identity_is_406(port: int) -> None:
    status, _, token = _call(
        port,
        "POST",
        "/authentifier/1.0/",
        body=jaxb_identifiants(*DECLARANT, "97"),
        headers={"Content-Type": "application/xml"},
    )
    assert status == 200
    status, _, body = _call(
        port,
        "GET",
        "/lister-retours-flux/1.0/unknown",
        headers={"Authorization": f"DSNLogin jeton={token.decode('ascii')}"},
        skip_accept_encoding=False,
    )
    assert status == 406
    assert body == b""
