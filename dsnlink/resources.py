"""Where the shipped data (schemas/: norm catalogues, offerings, XSDs) is found at run time."""

from __future__ import annotations

from pathlib import Path

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"


def schema_path(*parts: str) -> Path:
    """Path of a shipped data file under schemas/."""
    return SCHEMAS_DIR.joinpath(*parts)
