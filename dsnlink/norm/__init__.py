"""Reading and validating DSN files (norme NEODeS) against the catalogue of their norm version."""

from dsnlink.norm.schemas import Anomaly, Category, DeclarationSummary, ValidationReport
from dsnlink.norm.service import validate_path, validate_stream

__all__ = [
    "Anomaly",
    "Category",
    "DeclarationSummary",
    "ValidationReport",
    "validate_path",
    "validate_stream",
]
