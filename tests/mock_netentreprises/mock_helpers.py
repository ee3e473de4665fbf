"""Helpers of the mock deposit point tests: DSN files, identifiants, logged-in sessions."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime
from pathlib import Path

import httpx

from mock_netentreprises.dsnfile import luhn_ok

START = datetime(2026, 3, 10, 9, 0, 0, tzinfo=UTC)
DECLARANT = ("99900000300015", "declarant", "declarant", "Refonte01")
CONCENTRATOR = ("18751249600022", "CTR2000", "concentrateur", "azerty")
SIREN = "732829320"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "returns"


def valid_nic(siren: str, start: int = 1) -> str:
    """The first NIC from `start` making a SIRET with a valid Luhn key."""
    for number in range(start, 100000):
        nic = f"{number:05d}"
        if luhn_ok(siren + nic):
            return nic
    raise AssertionError("no NIC found")


def build_dsn(
    *,
    nature: str = "01",
    siren: str = SIREN,
    nic: str | None = None,
    individuals: int = 2,
    declarations: int = 1,
    total: int | None = None,
    essai: str = "01",
    extra: tuple[str, ...] = (),
) -> bytes:
    """A small DSN envoi that passes the mock's checks unless told otherwise."""
    nic = nic or valid_nic(siren)
    lines = [
        "S10.G00.00.001,'PaieTest'",
        "S10.G00.00.002,'Editeur'",
        "S10.G00.00.003,'1.0'",
        f"S10.G00.00.005,'{essai}'",
        "S10.G00.00.006,'P26V01'",
        "S10.G00.00.007,'01'",
        "S10.G00.00.008,'01'",
        f"S10.G00.01.001,'{siren}'",
        f"S10.G00.01.002,'{nic}'",
        "S10.G00.01.003,'Société d'essai'",
        "S10.G00.02.002,'Contact'",
    ]
    for _ in range(declarations):
        lines += [
            f"S20.G00.05.001,'{nature}'",
            "S20.G00.05.002,'01'",
            "S20.G00.05.003,'11'",
            "S20.G00.05.004,'1'",
            "S20.G00.05.005,'01022026'",
            "S20.G00.05.007,'05032026'",
            f"S21.G00.06.001,'{siren}'",
            f"S21.G00.06.002,'{nic}'",
            f"S21.G00.11.001,'{nic}'",
            "S21.G00.20.005,'1234.56'",
            "S21.G00.22.005,'1234.56'",
        ]
        for index in range(individuals):
            lines += [
                f"S21.G00.30.001,'18507751234{index:02d}'",
                f"S21.G00.30.002,'DUPONT{index}'",
                "S21.G00.30.004,'Jean'",
                "S21.G00.30.005,'01'",
                "S21.G00.30.006,'01011985'",
                f"S21.G00.30.019,'MAT{index:04d}'",
                "S21.G00.40.001,'01012020'",
            ]
    lines += list(extra)
    count = len(lines) + 2
    lines += [
        f"S90.G00.90.001,'{total if total is not None else count}'",
        f"S90.G00.90.002,'{declarations}'",
    ]
    return ("\n".join(lines) + "\n").encode("iso-8859-1")


def identifiants(siret: str, nom: str, prenom: str, motdepasse: str, service: str) -> bytes:
    return (
        f"<identifiants><siret>{siret}</siret><nom>{nom}</nom><prenom>{prenom}</prenom>"
        f"<motdepasse>{motdepasse}</motdepasse><service>{service}</service></identifiants>"
    ).encode()


def declarant_part(siret: str, nom: str, prenom: str) -> str:
    return base64.b64encode(f"{siret};{nom};{prenom}".encode()).decode()


class Session:
    """A logged-in client in declarant or concentrator mode, with the spec's headers."""

    def __init__(self, http: httpx.AsyncClient, authorization: str) -> None:
        self.http = http
        self.authorization = authorization

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": self.authorization, "Accept-Encoding": "gzip", **extra}

    async def deposit(self, raw: bytes) -> httpx.Response:
        return await self.http.post(
            "/deposer-dsn/1.0/",
            content=gzip.compress(raw),
            headers=self.headers(**{"Content-Encoding": "gzip", "Content-Type": "text/plain"}),
        )

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path, headers=self.headers())


async def login(http: httpx.AsyncClient, who: tuple[str, str, str, str], service: str) -> str:
    response = await http.post("/authentifier/1.0/", content=identifiants(*who, service))
    assert response.status_code == 200, response.headers
    return response.text
