"""The official GIP-MDS samples the tests read (tests/fixtures/returns)."""

from __future__ import annotations

from pathlib import Path

from dsnlink.deposit_point.returns import ReturnDocument, read_return

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "returns"


def sample_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def sample(name: str, **kwargs: str) -> ReturnDocument:
    return read_return(sample_bytes(name), name=name, **kwargs)
