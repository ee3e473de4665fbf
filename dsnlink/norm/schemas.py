"""Output shapes of a validation: the report, its anomalies and the declarations it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    """Whether an anomaly stops the deposit (the deposit point's own two words)."""

    BLOQUANT = "bloquant"
    NON_BLOQUANT = "non-bloquant"


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One defect: official control id (`S21.G00.30.001/CCH-14`) or project id (`DSNLINK-...`)."""

    id: str
    category: str
    message: str
    line: int | None
    rubric: str | None
    value: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "category": self.category,
            "message": self.message,
            "line": self.line,
            "rubric": self.rubric,
            "value": self.value,
        }


@dataclass(slots=True)
class DeclarationSummary:
    """What identifies one S20.G00.05 declaration of the envoi."""

    nature: str | None = None
    type: str | None = None
    month: str | None = None  # "YYYY-MM"
    siren: str | None = None
    nic: str | None = None
    individuals: int = 0
    fraction: str | None = None
    order_number: str | None = None
    replaced_id: str | None = None
    line: int | None = None
    event_date: str | None = None  # "YYYY-MM-DD": the event a signalement reports (its deadline)

    def to_dict(self) -> dict[str, Any]:
        return {
            "nature": self.nature,
            "type": self.type,
            "month": self.month,
            "siren": self.siren,
            "nic": self.nic,
            "individuals": self.individuals,
        }


@dataclass(slots=True)
class ValidationReport:
    """Result of validating one DSN file; `valid` means no blocking anomaly."""

    file: str
    norm_version: str | None = None
    declarations: list[DeclarationSummary] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)
    line_count: int = 0
    bytes_read: int = 0
    envoi_type: str | None = None  # S10.G00.00.008: 01 normal, 02 néant
    test_or_real: str | None = None  # S10.G00.00.005: 01 essai, 02 réel
    blocking_count: int = 0
    non_blocking_count: int = 0
    truncated: bool = False  # anomalies beyond the cap were counted, not listed
    not_checked: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.blocking_count == 0

    @property
    def anomaly_count(self) -> int:
        return self.blocking_count + self.non_blocking_count

    def to_dict(self) -> dict[str, Any]:
        """The fixed JSON shape of `dsnlink validate --json` (other tools read it: documented in
        docs/anomalies.md, no key more)."""
        families: dict[str, int] = {}
        for cid in self.not_checked:
            family = cid.split("/", 1)[-1][:3]
            families[family] = families.get(family, 0) + 1
        return {
            "file": self.file,
            "norm_version": self.norm_version,
            "valid": self.valid,
            "declarations": [d.to_dict() for d in self.declarations],
            "anomalies": [a.to_dict() for a in self.anomalies],
            "not_checked": {
                "count": len(self.not_checked),
                "by_family": dict(sorted(families.items())),
                "ids": list(self.not_checked),
            },
        }

    def details(self) -> dict[str, Any]:
        """Counters beyond the fixed shape: lines read, totals, truncation, controls not checked."""
        return {
            "line_count": self.line_count,
            "anomaly_count": self.anomaly_count,
            "blocking_count": self.blocking_count,
            "truncated": self.truncated,
            "not_checked": list(self.not_checked),
        }
