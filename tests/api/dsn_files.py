"""DSN files for the integration tests: samples, and corrections (types 03/04/05) of them."""

from __future__ import annotations

import re

from dsnlink.norm.sample import sample_bytes

SIREN_A, NIC_A = "732829320", "00074"


def dsn(
    *,
    employees: int = 3,
    month: str = "2026-10",
    seed: int = 0,
    nic: str = NIC_A,
    siren: str = SIREN_A,
) -> bytes:
    return sample_bytes(employees=employees, month=month, seed=seed, siren=siren, nic=nic)


def order_number(body: bytes) -> str:
    """The declaration's identifier as an A&R names it: S20.G00.05.007 then S20.G00.05.004."""
    number = re.search(rb"S20\.G00\.05\.004,'([^']*)'", body)
    built = re.search(rb"S20\.G00\.05\.007,'([^']*)'", body)
    assert number is not None and built is not None
    return built.group(1).decode() + number.group(1).decode()


def correction(body: bytes, *, type_: str = "03", replaces: str | None = None) -> bytes:
    """`body` turned into a correction of type `type_` naming `replaces` in S20.G00.05.006, with
    a new order number and the S90 line count kept right."""
    out = body.replace(b"S20.G00.05.002,'01'", f"S20.G00.05.002,'{type_}'".encode())
    out = re.sub(rb"S20\.G00\.05\.004,'[^']*'", b"S20.G00.05.004,'777001'", out)
    if replaces is not None:
        out = re.sub(
            rb"(S20\.G00\.05\.005,'[^']*'\n)",
            lambda m: m.group(1) + f"S20.G00.05.006,'{replaces}'\n".encode(),
            out,
        )
        count = re.search(rb"S90\.G00\.90\.001,'(\d+)'", out)
        assert count is not None
        out = out.replace(
            count.group(0), f"S90.G00.90.001,'{int(count.group(1)) + 1}'".encode()
        )
    return out
