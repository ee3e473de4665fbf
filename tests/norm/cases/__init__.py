"""Breaking and legal cases of the controls, one module per theme (each defines `CASES`, same
shape as `tests/norm/test_controls.py`'s table, which merges them all)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def all_cases() -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        table: dict[str, Any] = module.CASES
        twice = set(merged) & set(table)
        if twice:
            raise RuntimeError(f"cases defined twice ({info.name}): {sorted(twice)}")
        merged.update(table)
    return merged
