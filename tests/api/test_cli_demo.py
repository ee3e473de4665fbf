"""`dsnlink demo`: the newcomer's command runs the whole chain through real servers on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.cli import main
from dsnlink.config import get_settings


@pytest.fixture
def demo_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DSNLINK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DSNLINK_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_demo_transmits_a_sample_up_to_its_certificate_of_conformity(
    demo_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["demo", "--port", "0", "--mock-port", "0", "--exit-when-done", "--timeout", "90"]

    first = main(args)
    first_out = capsys.readouterr().out
    second = main(args)  # the demo tenant exists now: a fresh key, a new declaration
    second_out = capsys.readouterr().out

    assert (first, second) == (0, 0)
    for out in (first_out, second_out):
        assert "demo tenant API key:  dsnl_" in out
        assert "status: deposited" in out
        assert out.rstrip().endswith("status: conform")
    key_line = [line for line in first_out.splitlines() if "API key" in line]
    assert key_line and key_line[0] not in second_out
    assert (demo_env / "data" / "dsnlink.sqlite3").exists()


def test_demo_says_clearly_when_its_port_is_taken(
    demo_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        code = main(["demo", "--port", "0", "--mock-port", str(port), "--exit-when-done"])

    assert code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in capsys.readouterr().err
