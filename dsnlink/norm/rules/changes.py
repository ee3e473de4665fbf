"""Controls of the contract changes (S21.G00.41) that the catalogue states in the cahier's
§4.4.14 principles rather than in a rule's text: an identifying change and a modality change
are declared in separate blocks, and a payroll recalculation depth only with a modality change."""

from __future__ import annotations

from dsnlink.norm.rules.templates import NEEDS, NEEDS_ANY, Check
from dsnlink.norm.tree import Env, Node

# Assumed from §4.4.14.1: the contract's identifying data are its establishment's SIRET, its
# number and its start date (old values 41.012, .014, .021). Every other "ancien" rubric is a
# modality, except the workplace (.013) and the maritime contract id (.054), left out of both as
# their kind is not stated in the catalogue.
CHANGE_IDENTIFYING = frozenset({b"012", b"014", b"021"})
CHANGE_NEITHER = frozenset({b"001", b"028", b"013", b"054"})


def identifying_and_modality(n: Node, e: Env) -> bool:
    """S21.G00.41.001/CCH-16: no identifying change and modality change in the same block."""
    fields = n.values.keys()
    return not CHANGE_IDENTIFYING.isdisjoint(fields) and bool(
        fields - CHANGE_IDENTIFYING - CHANGE_NEITHER
    )


NEEDS_ANY[identifying_and_modality] = tuple(
    f"S21.G00.41.{f.decode()}" for f in sorted(CHANGE_IDENTIFYING)
)


def recalculation_with_identifying(n: Node, e: Env) -> bool:
    """S21.G00.41.028/CCH-12: no payroll recalculation depth in a block changing an identifying
    datum."""
    fields = n.values.keys()
    return b"028" in fields and not CHANGE_IDENTIFYING.isdisjoint(fields)


NEEDS[recalculation_with_identifying] = ("S21.G00.41.028",)


CHECKS: dict[str, Check] = {
    "S21.G00.41.001/CCH-16": identifying_and_modality,
    "S21.G00.41.028/CCH-12": recalculation_with_identifying,
}
