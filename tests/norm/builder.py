"""Small valid DSN files for the norm tests, built rubric by rubric so each test can spoil one."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

Line = tuple[str, str]  # (rubric id, value)

SIREN = "732829320"  # valid Luhn key
NIC = "00074"  # 73282932000074 is a valid SIRET
NIR = "1850775123456"  # born 1985, Paris 75


@dataclass
class Employee:
    nir: str | None = NIR
    birth: str = "15071985"
    ntt: str | None = None
    family_name: str = "DUPONT"


@dataclass
class Declaration:
    nature: str = "01"
    type: str = "01"
    fraction: str = "11"
    month: str = "01012026"
    replaced_id: str | None = None
    siren: str = SIREN
    nic: str = NIC
    employees: list[Employee] = field(default_factory=lambda: [Employee()])


def envoi_lines(version: str = "P26V01", envoi_type: str = "01") -> list[Line]:
    return [
        ("S10.G00.00.001", "dsnlink-tests"),
        ("S10.G00.00.002", "dsnlink"),
        ("S10.G00.00.003", "1.0"),
        ("S10.G00.00.005", "01"),
        ("S10.G00.00.006", version),
        ("S10.G00.00.007", "01"),
        ("S10.G00.00.008", envoi_type),
        ("S10.G00.01.001", SIREN),
        ("S10.G00.01.002", NIC),
        ("S10.G00.01.003", "ACME"),
        ("S10.G00.01.004", "1 RUE DE LA PAIX"),
        ("S10.G00.01.005", "75002"),
        ("S10.G00.01.006", "PARIS"),
        ("S10.G00.02.002", "MARTIN PAUL"),
        ("S10.G00.02.004", "0102030405"),
    ]


def declaration_lines(d: Declaration) -> list[Line]:
    lines: list[Line] = [
        ("S20.G00.05.001", d.nature),
        ("S20.G00.05.002", d.type),
        ("S20.G00.05.003", d.fraction),
        ("S20.G00.05.004", "1"),
        ("S20.G00.05.005", d.month),
    ]
    if d.replaced_id is not None:
        lines.append(("S20.G00.05.006", d.replaced_id))
    lines += [
        ("S20.G00.05.007", "05012026"),
        ("S20.G00.05.010", "01"),
        ("S21.G00.06.001", d.siren),
        ("S21.G00.06.002", d.nic),
        ("S21.G00.06.003", "6201Z"),
        ("S21.G00.06.004", "1 RUE DE LA PAIX"),
        ("S21.G00.06.005", "75002"),
        ("S21.G00.06.006", "PARIS"),
        ("S21.G00.11.001", d.nic),
        ("S21.G00.11.002", "6201Z"),
        ("S21.G00.11.003", "1 RUE DE LA PAIX"),
        ("S21.G00.11.004", "75002"),
        ("S21.G00.11.005", "PARIS"),
    ]
    for e in d.employees:
        lines += employee_lines(e, d.month)
    return lines


def employee_lines(e: Employee, month: str = "01012026") -> list[Line]:
    """An individual with one contract paid for the declared month (`01MMYYYY`)."""
    mm, yyyy = month[2:4], month[4:]
    last = f"{calendar.monthrange(int(yyyy), int(mm))[1]:02d}{mm}{yyyy}"
    lines: list[Line] = []
    if e.nir is not None:
        lines.append(("S21.G00.30.001", e.nir))
    lines += [
        ("S21.G00.30.002", e.family_name),
        ("S21.G00.30.004", "JEAN"),
        ("S21.G00.30.005", "01"),
        ("S21.G00.30.006", e.birth),
        ("S21.G00.30.007", "PARIS"),
    ]
    if e.ntt is not None:
        lines.append(("S21.G00.30.020", e.ntt))
    lines += [
        ("S21.G00.40.001", "01012020"),
        ("S21.G00.40.002", "01"),
        ("S21.G00.40.003", "04"),
        ("S21.G00.40.007", "01"),
        ("S21.G00.40.009", "C0001"),
        ("S21.G00.40.012", "151.67"),
        ("S21.G00.40.013", "151.67"),
        ("S21.G00.40.017", "1486"),
        ("S21.G00.71.002", "RUAA"),
        ("S21.G00.50.001", last),
        ("S21.G00.50.002", "2500.00"),
    ]
    # The remunerations a contract paid in a monthly DSN (or a FCTU) must carry: 001, 002 (with
    # its activity), 003 and 010 (S21.G00.51.011/CCH-11, CCH-15).
    for pay_type in ("001", "002", "003", "010"):
        lines += [
            ("S21.G00.51.001", f"01{mm}{yyyy}"),
            ("S21.G00.51.002", last),
            ("S21.G00.51.010", "C0001"),
            ("S21.G00.51.011", pay_type),
            ("S21.G00.51.013", "3000.00"),
        ]
        if pay_type == "002":
            lines += [
                ("S21.G00.53.001", "01"),
                ("S21.G00.53.002", "151.67"),
                ("S21.G00.53.003", "10"),
            ]
    lines += [
        # The net social amount of a payment in the declared month (S21.G00.50.001/CCH-14).
        ("S21.G00.58.001", f"01{mm}{yyyy}"),
        ("S21.G00.58.002", last),
        ("S21.G00.58.003", "03"),
        ("S21.G00.58.004", "2400.00"),
        # Capped and uncapped gross bases go together (S21.G00.78.001/SIG-19).
        ("S21.G00.78.001", "02"),
        ("S21.G00.78.002", f"01{mm}{yyyy}"),
        ("S21.G00.78.003", last),
        ("S21.G00.78.004", "3000.00"),
        ("S21.G00.78.001", "03"),
        ("S21.G00.78.002", f"01{mm}{yyyy}"),
        ("S21.G00.78.003", last),
        ("S21.G00.78.004", "3000.00"),
        # Seniority in the company, for a CDI in a monthly DSN (S21.G00.86.001/CCH-14).
        ("S21.G00.86.001", "07"),
        ("S21.G00.86.002", "01"),
        ("S21.G00.86.003", "2200"),
        ("S21.G00.86.005", "C0001"),
    ]
    return lines


def build_lines(
    declarations: Sequence[Declaration] | None = None,
    *,
    version: str = "P26V01",
    envoi_type: str | None = None,
) -> list[Line]:
    """Rubric lines of a whole envoi, S90 totals included and correct."""
    decls = list(declarations) if declarations is not None else [Declaration()]
    if envoi_type is None:
        empty = all(d.nature == "01" and d.type in ("02", "05") for d in decls)
        envoi_type = "02" if empty else "01"
    lines = envoi_lines(version, envoi_type)
    for d in decls:
        lines += declaration_lines(d)
    total = len(lines) + 2
    lines += [("S90.G00.90.001", str(total)), ("S90.G00.90.002", str(len(decls)))]
    return lines


def render(lines: Iterable[Line], *, eol: bytes = b"\n") -> bytes:
    return b"".join(f"{rid},'{value}'".encode("latin-1") + eol for rid, value in lines)


def build(
    declarations: Sequence[Declaration] | None = None,
    *,
    version: str = "P26V01",
    envoi_type: str | None = None,
    eol: bytes = b"\n",
) -> bytes:
    return render(build_lines(declarations, version=version, envoi_type=envoi_type), eol=eol)


def replace(lines: list[Line], rubric: str, value: str, occurrence: int = 0) -> list[Line]:
    """A copy of `lines` with the n-th occurrence of `rubric` set to `value`."""
    out, seen = [], 0
    for rid, v in lines:
        if rid == rubric:
            if seen == occurrence:
                v = value
            seen += 1
        out.append((rid, v))
    return out


def line_of(lines: list[Line], rubric: str, occurrence: int = 0) -> int:
    """1-based line number of the n-th occurrence of `rubric`."""
    seen = 0
    for i, (rid, _) in enumerate(lines, start=1):
        if rid == rubric:
            if seen == occurrence:
                return i
            seen += 1
    raise KeyError(rubric)
