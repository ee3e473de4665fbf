"""Return documents of the deposit point and the organisms, read into one typed shape.

Three XML families (bilans `gipmds:rapport`, NEOReS `GIPMDS`, complementary organisms' `Fichier`)
and plain text; `read_return` never raises on bad input. No database, no transmission code.
"""

from dsnlink.deposit_point.returns.errors import DecompressionLimitExceeded, UnreadableReturn
from dsnlink.deposit_point.returns.model import (
    Anomaly,
    Calculation,
    Declarant,
    DeclarationIdentification,
    DeclarationOutcome,
    DeclarationReport,
    Employee,
    FlowIdentity,
    PayrollParameter,
    ReturnDocument,
    ReturnFormat,
    ReturnKind,
    ReturnStatus,
    Rubric,
    WithholdingRate,
)
from dsnlink.deposit_point.returns.reader import declaration_outcome, read_return
from dsnlink.deposit_point.returns.render import anomalies_csv, describe, to_dict
from dsnlink.deposit_point.returns.safety import (
    DEFAULT_DECOMPRESSION_LIMIT,
    decompress_bounded,
    iter_decompress_bounded,
)

__all__ = [
    "DEFAULT_DECOMPRESSION_LIMIT",
    "Anomaly",
    "Calculation",
    "Declarant",
    "DeclarationIdentification",
    "DeclarationOutcome",
    "DeclarationReport",
    "DecompressionLimitExceeded",
    "Employee",
    "FlowIdentity",
    "PayrollParameter",
    "ReturnDocument",
    "ReturnFormat",
    "ReturnKind",
    "ReturnStatus",
    "Rubric",
    "UnreadableReturn",
    "WithholdingRate",
    "anomalies_csv",
    "declaration_outcome",
    "decompress_bounded",
    "describe",
    "iter_decompress_bounded",
    "read_return",
    "to_dict",
]
