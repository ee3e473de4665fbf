"""The folders tell the architecture: these boundaries are checked, not just documented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _imported_roots(package: str) -> dict[Path, set[str]]:
    found: dict[Path, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        roots: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots.add(node.module.split(".")[0])
        found[path] = roots
    return found


def test_domain_core_knows_no_http_framework() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(roots & {"fastapi", "starlette"})
        for path, roots in _imported_roots("dsnlink").items()
        if roots & {"fastapi", "starlette"}
    }
    assert offenders == {}


def test_mock_deposit_point_imports_nothing_from_dsnlink() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path, roots in _imported_roots("mock_netentreprises").items()
        if "dsnlink" in roots or "api" in roots
    ]
    assert offenders == []


def test_no_query_written_under_api() -> None:
    pattern = re.compile(r"\bselect\(")
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "api").rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_product_never_reads_shared_folder() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("dsnlink", "api", "mock_netentreprises")
        for path in (ROOT / package).rglob("*.py")
        if "../shared" in path.read_text(encoding="utf-8")
        or "/work/shared" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
