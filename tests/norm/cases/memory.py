"""Breaking and legal cases of the controls that relate an individual's blocks to blocks declared
before or after it (S21.G00.85 places, adhesions, CNIEG payments, amorçage). The harness keeps
every block, so these cases exercise the scans' reading of the kept tree; the streamed path
(what the recorders remember) is tested in tests/norm/test_memory_controls.py."""

from __future__ import annotations

from typing import Any

DECL = "S20.G00.05"
COMPANY = {"001": "732829320"}
ESTABLISHMENT = {"001": "00074", "002": "6201Z"}
NIR = "1850775123456"
NTT = "1732829320XY"
OTHER_SIRET = "73282932000082"
CNIEG_PAYMENT = {"001": "CNIEG", "002": "CNIEG_COT_RS", "005": "100.00"}


def _declaration(nature: str = "01", **blocks: Any) -> dict[str, Any]:
    """A declaration with its company, establishment and one individual, plus `blocks`
    (block id with dots as underscores -> rubrics)."""
    out: dict[str, Any] = {
        DECL: {"001": nature},
        "S21.G00.06": COMPANY,
        "S21.G00.11": ESTABLISHMENT,
        "S21.G00.30": {"001": NIR},
    }
    out.update({k.replace("_", "."): v for k, v in blocks.items()})
    return out


CASES: dict[str, Any] = {
    # The workplace named by the contract has no S21.G00.85 block; legal once it has one.
    "S21.G00.40.019/CCH-11": (
        _declaration(
            S21_G00_40={"019": OTHER_SIRET},
            S21_G00_85={"001": "73282932000090", "010": "01"},
        ),
        _declaration(
            S21_G00_40={"019": OTHER_SIRET},
            S21_G00_85={"001": OTHER_SIRET, "010": "01"},
        ),
    ),
    "S21.G00.40.046/CCH-13": (
        _declaration(S21_G00_40={"046": OTHER_SIRET}, S21_G00_85={"001": "73282932000090"}),
        _declaration(S21_G00_40={"046": OTHER_SIRET}, S21_G00_85={"001": OTHER_SIRET}),
    ),
    # A S21.G00.85 without APET: broken when a contract names it as user establishment, legal
    # when it names it as its workplace (S21.G00.40.019) only.
    "S21.G00.85.002/CCH-12": (
        _declaration(S21_G00_40={"046": OTHER_SIRET}, S21_G00_85={"001": OTHER_SIRET}),
        _declaration(S21_G00_40={"019": OTHER_SIRET}, S21_G00_85={"001": OTHER_SIRET}),
    ),
    # An adhesion with staff covered that no affiliation names; legal when one does.
    "S21.G00.15.001/CCH-13": (
        _declaration(
            S21_G00_15={"001": "PREV2026", "004": "01", "005": "1"},
            S21_G00_40={"009": "C0001"},
            S21_G00_70={"012": "1", "013": "2"},
        ),
        _declaration(
            S21_G00_15={"001": "PREV2026", "004": "01", "005": "1"},
            S21_G00_40={"009": "C0001"},
            S21_G00_70={"012": "1", "013": "1"},
        ),
    ),
    # A CNIEG payment (slip) with no contract under the regime 147; legal with one.
    "S21.G00.20.002/CCH-12": (
        _declaration(S21_G00_20=CNIEG_PAYMENT, S21_G00_40={"020": "200"}),
        _declaration(S21_G00_20=CNIEG_PAYMENT, S21_G00_40={"020": "147"}),
    ),
    "S21.G00.22.002/CCH-13": (
        _declaration(
            S21_G00_22={"001": "CNIEG", "002": "CNIEG_COT_POOL"}, S21_G00_40={"020": "200"}
        ),
        _declaration(
            S21_G00_22={"001": "CNIEG", "002": "CNIEG_COT_POOL"}, S21_G00_40={"020": "147"}
        ),
    ),
    # An amorçage (08) with an individual and a non-salaried one; legal with the individual only.
    "S21.G00.30.001/CCH-15": (
        _declaration("08", S89_G00_91={"001": "2920299123456"}),
        _declaration("08"),
        "08",
    ),
    "S21.G00.30.020/CCH-15": (
        _declaration("08", S21_G00_30={"020": NTT}, S89_G00_91={"021": "1732829320XZ"}),
        _declaration("08", S21_G00_30={"020": NTT}),
        "08",
    ),
}

# The S89 blocks that name an individual: (block, NIR rubric, temporary number rubric).
_IDENTIFIED = (
    ("S89_G00_67", "001", "002", "S89.G00.67.002/CCH-12"),
    ("S89_G00_87", "007", "008", "S89.G00.87.008/CCH-13"),
    ("S89_G00_88", "008", "009", "S89.G00.88.009/CCH-13"),
    ("S89_G00_89", "007", "008", "S89.G00.89.008/CCH-13"),
)
CORSICAN = "170022A123456"  # born in February 1970 in 2A, which only exists from 1976
BEFORE_1976 = "1700220123456"  # the same, born in 20 (Corsica before 1976)
for _block, _nir, _ntt, _ntt_id in _IDENTIFIED:
    _rubric = _block.replace("_", ".")
    # A NIR no individual of the declaration declares; legal when it is the individual's.
    CASES[f"{_rubric}.{_nir}/CCH-13"] = (
        _declaration(**{_block: {_nir: "2920299123456"}}),
        _declaration(**{_block: {_nir: NIR}}),
    )
    # A temporary number no individual declares; legal when it is the individual's.
    CASES[_ntt_id] = (
        _declaration(S21_G00_30={"020": NTT}, **{_block: {_ntt: "1732829320XZ"}}),
        _declaration(S21_G00_30={"020": NTT}, **{_block: {_ntt: NTT}}),
    )
    # The individual with this NIR was born in 1970: 2A did not exist; 20 did.
    CASES[f"{_rubric}.{_nir}/CCH-11"] = (
        _declaration(S21_G00_30={"001": CORSICAN, "006": "15021970"}, **{_block: {_nir: CORSICAN}}),
        _declaration(
            S21_G00_30={"001": BEFORE_1976, "006": "15021970"}, **{_block: {_nir: BEFORE_1976}}
        ),
    )
