"""The client against the real mock deposit point on loopback: the contract both sides keep."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from stdnum import luhn

from dsnlink.deposit_point.client import DepositPointClient
from dsnlink.deposit_point.endpoints import Endpoints, RetryPolicy, Timeouts
from dsnlink.deposit_point.errors import (
    AmbiguousDepositError,
    AuthenticationFailed,
    DepositRefused,
)
from dsnlink.deposit_point.records import ConcentratorCredentials, DeclarantIdentity
from dsnlink.deposit_point.returns import (
    DeclarationOutcome,
    ReturnKind,
    declaration_outcome,
    read_return,
)

CONCENTRATOR = ConcentratorCredentials(
    siret="18751249600022", nom="CTR2000", prenom="concentrateur", password="azerty"
)
DECLARANT = DeclarantIdentity(siret="99900000300015", nom="declarant", prenom="declarant")
SIREN = "732829320"
ROOT = Path(__file__).resolve().parents[2]


def dsn_file() -> bytes:
    nic = next(f"{n:05d}" for n in range(1, 100000) if luhn.is_valid(f"{SIREN}{n:05d}"))
    lines = [
        "S10.G00.00.001,'PaieTest'", "S10.G00.00.002,'Editeur'", "S10.G00.00.003,'1.0'",
        "S10.G00.00.005,'01'", "S10.G00.00.006,'P26V01'", "S10.G00.00.007,'01'",
        "S10.G00.00.008,'01'", f"S10.G00.01.001,'{SIREN}'", f"S10.G00.01.002,'{nic}'",
        "S10.G00.01.003,'Société d'essai'", "S10.G00.02.002,'Contact'",
        "S20.G00.05.001,'01'", "S20.G00.05.002,'01'", "S20.G00.05.003,'11'",
        "S20.G00.05.004,'1'", "S20.G00.05.005,'01022026'", "S20.G00.05.007,'05032026'",
        f"S21.G00.06.001,'{SIREN}'", f"S21.G00.06.002,'{nic}'", f"S21.G00.11.001,'{nic}'",
        "S21.G00.20.005,'1234.56'", "S21.G00.22.005,'1234.56'",
        "S21.G00.30.001,'1850775123400'", "S21.G00.30.002,'DUPONT'",
        "S21.G00.30.004,'Jean'", "S21.G00.30.005,'01'", "S21.G00.30.006,'01011985'",
        "S21.G00.30.019,'MAT0001'", "S21.G00.40.001,'01012020'",
    ]
    lines += [f"S90.G00.90.001,'{len(lines) + 2}'", "S90.G00.90.002,'1'"]
    return ("\n".join(lines) + "\n").encode("iso-8859-1")


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """The mock in its own process, as the other organisation it stands for."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_netentreprises", "--port", str(port), "--seed", "1",
         "--log-level", "critical"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"{url}/_mock/config", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _, err = process.communicate()
                raise RuntimeError(f"mock did not start: {err.decode()[-500:]}") from None
            time.sleep(0.05)
    yield url
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def mock_admin(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{base_url}/_mock", timeout=5) as admin:
        admin.post("/reset").raise_for_status()
        yield admin
        admin.post("/reset").raise_for_status()


def make_client(base_url: str, credentials: ConcentratorCredentials = CONCENTRATOR):
    return DepositPointClient(
        endpoints=Endpoints.single(base_url), credentials=credentials,
        timeouts=Timeouts(connect=2, read=2, write=2, pool=2, deposit_read=2),
        retry=RetryPolicy(max_attempts=2, initial_backoff=0.01, max_backoff=0.02, jitter=0.01),
    )


def test_deposit_track_and_download_against_the_mock(base_url, mock_admin):
    before = datetime.now(UTC) - timedelta(seconds=5)
    with make_client(base_url) as client:
        result = client.deposit(DECLARANT, dsn_file())
        deposits = client.list_deposits(DECLARANT, before)
        returns = client.list_flow_returns(result.idflux)
        aee_line = next(r for r in returns if r.nature == "10")
        downloaded = client.download_return(result.idflux, aee_line.return_id)

    assert [d.idflux for d in deposits] == [result.idflux]
    aee = read_return(downloaded.content, nature="10")
    assert (aee.kind, aee.idflux, aee.schema_valid) == (ReturnKind.AEE, result.idflux, True)
    assert declaration_outcome(aee) is DeclarationOutcome.DEPOSITED


def test_dropped_deposit_is_ambiguous_sent_once_and_found_by_reconciliation(base_url, mock_admin):
    mock_admin.post("/config", json={"deposit_then_fail": "drop",
                                     "deposit_then_fail_count": 1}).raise_for_status()
    before = datetime.now(UTC) - timedelta(seconds=5)
    with make_client(base_url) as client:
        with pytest.raises(AmbiguousDepositError):
            client.deposit(DECLARANT, dsn_file())
        stored = mock_admin.get("/deposits").json()
        found = client.list_deposits(DECLARANT, before)

    assert len(stored) == 1
    assert [d.idflux for d in found] == [stored[0]["idflux"]]


def test_unacceptable_file_is_refused_with_the_mocks_are(base_url, mock_admin):
    with make_client(base_url) as client, pytest.raises(DepositRefused) as caught:
        client.deposit(DECLARANT, b"NOT A DSN\n")

    assert caught.value.report.kind is ReturnKind.ARE
    assert caught.value.anomalies


def test_wrong_password_is_refused_with_the_realm(base_url, mock_admin):
    wrong = ConcentratorCredentials(
        siret="18751249600022", nom="CTR2000", prenom="concentrateur", password="wrong"
    )
    with make_client(base_url, wrong) as client, pytest.raises(AuthenticationFailed) as caught:
        client.authenticate()
    assert caught.value.realm == "net-entreprises.fr"
