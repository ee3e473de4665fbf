"""The rules the validator runs for a catalogue: the listed controls of every theme and the
derived ones, whose id the catalogue holds, compiled once per catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from dsnlink.norm.catalogue import Catalogue
from dsnlink.norm.rules import (
    changes,
    contract,
    contributions,
    declaration,
    individual,
    memory,
    regularisations,
    remuneration,
    s89,
    signalements,
    versements,
)
from dsnlink.norm.rules import scans as _scans
from dsnlink.norm.rules.derived import derived_checks
from dsnlink.norm.rules.scans import Scan
from dsnlink.norm.rules.templates import GATES, NEEDS, NEEDS_ANY, Check

K = TypeVar("K")
V = TypeVar("V")

# One module per theme; each holds `CHECKS` and may hold its own `SCANS` (id -> block, scan),
# `SCAN_GATES`, `SCAN_CHILD`, `NOT_CHECKED` (id -> (state, why), for coverage) and `NOT_IN`
# (id -> norm versions whose rule text for that id says something else: the check is not run there;
# a version not named, a new year included, runs it).
THEMES = (
    declaration,
    versements,
    individual,
    contract,
    changes,
    remuneration,
    regularisations,
    signalements,
    contributions,
    s89,
    memory,
)


def _merged(name: str, *extra: Mapping[K, V]) -> dict[K, V]:
    """The theme modules' tables called `name` (and `extra`) as one; a key twice is a bug."""
    out: dict[K, V] = {}
    for table in (*extra, *(getattr(m, name, {}) for m in THEMES)):
        twice = set(out) & set(table)
        if twice:
            raise RuntimeError(f"{name}: defined twice: {sorted(map(str, twice))}")
        out.update(table)
    return out


CHECKS: dict[str, Check] = _merged("CHECKS")
SCANS: dict[str, tuple[bytes, Scan]] = _merged("SCANS", _scans.SCANS)
SCAN_GATES: dict[Scan, tuple[str, frozenset[bytes]]] = _merged("SCAN_GATES", _scans.SCAN_GATES)
SCAN_CHILD: dict[Scan, bytes] = _merged("SCAN_CHILD", _scans.SCAN_CHILD)
NOT_CHECKED: dict[str, tuple[str, str]] = _merged("NOT_CHECKED")
NOT_IN: dict[str, frozenset[str]] = _merged("NOT_IN")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    block: bytes  # block at whose close the rule runs
    check: Check | None = None
    scan: Scan | None = None
    # Fields of `block` the rule cannot fire without: when one is absent it is skipped unrun;
    # when none of `needs_any` is present (and it is not empty), likewise.
    needs: frozenset[bytes] = frozenset()
    needs_any: frozenset[bytes] = frozenset()
    # A field of `block` and the values it must hold for the rule to fire, if any.
    gate: tuple[bytes, frozenset[bytes]] | None = None
    # A child block the rule needs (a scan over a block's children), if any.
    child: bytes | None = None


_COMPILED: dict[int, tuple[Catalogue, list[Rule]]] = {}


def rules_for(catalogue: Catalogue) -> list[Rule]:
    """Every rule this validator runs for a catalogue: listed or derived, and whose id the
    catalogue holds (a control the norm dropped is not run). Built once per catalogue."""
    known = _COMPILED.get(id(catalogue))
    if known is not None and known[0] is catalogue:
        return known[1]
    rules = _build_rules(catalogue)
    _COMPILED[id(catalogue)] = (catalogue, rules)
    return rules


def _build_rules(catalogue: Catalogue) -> list[Rule]:
    rules: list[Rule] = []
    checks = {**derived_checks(catalogue), **CHECKS}
    for cid, check in sorted(checks.items()):
        if cid in catalogue.messages and catalogue.version not in NOT_IN.get(cid, ()):
            own = cid[:10]
            needs = frozenset(r[11:].encode() for r in NEEDS.get(check, ()) if r[:10] == own)
            anyof = NEEDS_ANY.get(check, ())
            needs_any = (
                frozenset(r[11:].encode() for r in anyof)
                if anyof and all(r[:10] == own for r in anyof)
                else frozenset()
            )
            gate_of = GATES.get(check)
            gate = (
                (gate_of[0][11:].encode(), gate_of[1])
                if gate_of is not None and gate_of[0][:10] == own
                else None
            )
            rules.append(
                Rule(cid, own.encode(), check=check, needs=needs, needs_any=needs_any, gate=gate)
            )
    for cid, (at, scan) in sorted(SCANS.items()):
        if cid in catalogue.messages and catalogue.version not in NOT_IN.get(cid, ()):
            gate_of = SCAN_GATES.get(scan)
            gate = (
                (gate_of[0][11:].encode(), gate_of[1])
                if gate_of is not None and gate_of[0][:10].encode() == at
                else None
            )
            rules.append(Rule(cid, at, scan=scan, gate=gate, child=SCAN_CHILD.get(scan)))
    return rules


def rule_ids(catalogue: Catalogue) -> frozenset[str]:
    return frozenset(r.id for r in rules_for(catalogue))
