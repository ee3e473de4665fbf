"""Rubrics a block cannot go without (the norm's "tableau des usages", partly).

The official usage table (O mandatory / C conditional / F optional / N forbidden, per rubric and
declaration nature) is not in the shared data. This table is assembled from:
- the public partial extract of the CT2025 usage table (repository Thorf1nn/dsn-mcp,
  `data/2025/usages.json`: S21.G00.06.001, .11.001, .30.001, .30.006, .40.001/.002/.003/.007/
  .009/.017, .60.001/.002, .62.001/.002, .82.001/.002 per nature 01, 04, 05, 07, 08, 09);
- rubrics that identify their block, without which no organism can use it (a contract's start
  date and number, a remuneration's period, type and amount, a base's code, dates and amount…);
- the rubrics the gateway needs to identify a declaration (SIREN, NIC).
Where the extract says C (conditional) for a nature, the rubric is required only for the natures
where it says O. A rubric whose nature the extract does not cover (nature 10, DPAE) is required
only when it identifies its block. S21.G00.30.001 (NIR) is not listed: an individual may be
identified by a temporary number instead (S21.G00.30.020/CCH-12).
"""

from __future__ import annotations

# Natures where the extract marks the contract's identifying rubrics O (04/05: C, 10: not known).
CONTRACT_NATURES = frozenset({"01", "07", "08", "09"})

# rubric -> natures where it is mandatory (None: every nature) whenever its block is present.
MANDATORY: dict[str, frozenset[str] | None] = {
    # Envoi, émetteur, contact
    "S10.G00.00.001": None,
    "S10.G00.00.002": None,
    "S10.G00.00.003": None,
    "S10.G00.00.005": None,
    "S10.G00.00.006": None,
    "S10.G00.00.007": None,
    "S10.G00.00.008": None,
    "S10.G00.01.001": None,
    "S10.G00.01.002": None,
    "S10.G00.01.003": None,
    "S10.G00.02.002": None,
    # Déclaration
    "S20.G00.05.001": None,
    "S20.G00.05.002": None,
    "S20.G00.05.003": None,
    "S20.G00.05.004": None,
    "S20.G00.05.005": None,
    "S20.G00.05.007": None,
    # Entreprise, établissement
    "S21.G00.06.001": None,
    "S21.G00.06.002": None,
    "S21.G00.11.001": None,
    # Individu
    "S21.G00.30.002": None,
    "S21.G00.30.004": None,
    "S21.G00.30.006": None,
    # Contrat
    "S21.G00.40.001": CONTRACT_NATURES,
    "S21.G00.40.002": CONTRACT_NATURES,
    "S21.G00.40.003": CONTRACT_NATURES,
    "S21.G00.40.007": CONTRACT_NATURES,
    "S21.G00.40.009": None,
    "S21.G00.40.017": CONTRACT_NATURES,
    # Versement individu, rémunération
    "S21.G00.50.001": None,
    "S21.G00.50.002": None,
    "S21.G00.51.001": None,
    "S21.G00.51.002": None,
    "S21.G00.51.010": None,
    "S21.G00.51.011": None,
    "S21.G00.51.013": None,
    "S21.G00.52.001": None,
    "S21.G00.52.002": None,
    "S21.G00.54.001": None,
    "S21.G00.54.002": None,
    # Arrêt, fin de contrat (usage O for the nature that reports them, and a block present in a
    # DSN mensuelle cannot do without them either)
    "S21.G00.60.001": None,
    "S21.G00.60.002": None,
    "S21.G00.62.001": None,
    "S21.G00.62.002": None,
    "S21.G00.63.001": None,
    "S21.G00.65.001": None,
    "S21.G00.65.002": None,
    # Retraite complémentaire, prévoyance
    "S21.G00.71.002": None,
    "S21.G00.15.001": None,
    "S21.G00.15.002": None,
    "S21.G00.15.005": None,
    "S21.G00.70.012": None,
    "S21.G00.70.013": None,
    # Base assujettie, cotisation individuelle, composant
    "S21.G00.78.001": None,
    "S21.G00.78.002": None,
    "S21.G00.78.003": None,
    "S21.G00.78.004": None,
    "S21.G00.79.001": None,
    "S21.G00.79.004": None,
    "S21.G00.81.001": None,
    # Versement OPS, composant, bordereau, cotisation agrégée, cotisation établissement
    "S21.G00.20.001": None,
    "S21.G00.20.005": None,
    "S21.G00.20.010": None,
    "S21.G00.55.001": None,
    "S21.G00.55.002": None,
    "S21.G00.22.001": None,
    "S21.G00.22.003": None,
    "S21.G00.22.004": None,
    "S21.G00.22.005": None,
    "S21.G00.23.001": None,
    "S21.G00.23.002": None,
    "S21.G00.82.001": None,
    "S21.G00.82.002": None,
    "S21.G00.86.001": None,
    "S21.G00.86.002": None,
    "S21.G00.86.003": None,
    "S21.G00.41.001": None,
    "S21.G00.31.001": None,
    "S21.G00.44.001": None,
}
