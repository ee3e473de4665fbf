"""The rules the validator runs for a catalogue: the listed controls of every theme and the
derived ones, whose id the catalogue holds, compiled once per catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from dsnlink.norm.catalogue import Catalogue
from dsnlink.norm.rules import (
    contract,
    contributions,
    declaration,
    individual,
    remuneration,
    s89,
    signalements,
    versements,
)
from dsnlink.norm.rules.derived import derived_checks
from dsnlink.norm.rules.scans import SCAN_CHILD, SCAN_GATES, SCANS, Scan
from dsnlink.norm.rules.templates import GATES, NEEDS, NEEDS_ANY, Check

CHECKS: dict[str, Check] = {
    **declaration.CHECKS,
    **versements.CHECKS,
    **individual.CHECKS,
    **contract.CHECKS,
    **remuneration.CHECKS,
    **signalements.CHECKS,
    **contributions.CHECKS,
    **s89.CHECKS,
}


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
        if cid in catalogue.messages:
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
        if cid in catalogue.messages:
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
