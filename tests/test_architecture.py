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


# --- the package-level import graph of the core ---------------------------------------------------

_MODULE_STRING = re.compile(r"^(dsnlink|api)(\.[A-Za-z_]\w*)+(:\w+)?$")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imported_modules(path: Path) -> set[str]:
    """Every module this file names: imports at any depth (in functions too), relative imports
    resolved, and module paths written as strings ("dsnlink.x.y", "api.cli:main")."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _MODULE_STRING.match(node.value)
        ):
            found.add(node.value.split(":")[0])
    return found


def _unit(module: str) -> str | None:
    """The top-level unit of dsnlink a module belongs to (a sub-package or a single module)."""
    parts = module.split(".")
    if parts[0] != "dsnlink" or len(parts) < 2:
        return None
    name = parts[1]
    if (ROOT / "dsnlink" / name).is_dir() or (ROOT / "dsnlink" / f"{name}.py").is_file():
        return name
    return None


def core_import_graph() -> dict[str, dict[str, set[str]]]:
    """unit -> imported unit -> the files that import it."""
    graph: dict[str, dict[str, set[str]]] = {}
    for path in (ROOT / "dsnlink").rglob("*.py"):
        source = _unit(_module_name(path))
        if source is None:  # dsnlink/__init__.py: the version, nothing else
            continue
        graph.setdefault(source, {})
        for imported in _imported_modules(path):
            target = _unit(imported)
            if target is not None and target != source:
                graph[source].setdefault(target, set()).add(str(path.relative_to(ROOT)))
    return graph


def _cycles(graph: dict[str, dict[str, set[str]]]) -> list[list[str]]:
    """Strongly connected components with more than one unit (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        on_stack.add(unit)
        for target in graph.get(unit, {}):
            if target not in index:
                visit(target)
                low[unit] = min(low[unit], low[target])
            elif target in on_stack:
                low[unit] = min(low[unit], index[target])
        if low[unit] == index[unit]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == unit:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for unit in sorted(graph):
        if unit not in index:
            visit(unit)
    return found


def test_the_graph_sees_imports_in_functions_and_module_strings(tmp_path: Path) -> None:
    probe = ROOT / "dsnlink" / "_architecture_probe.py"
    probe.write_text(
        "def f():\n    from dsnlink.tenants import service\n\n"
        'HOOK = "dsnlink.transmission.worker:build_worker"\n',
        encoding="utf-8",
    )
    try:
        edges = core_import_graph()["_architecture_probe"]
    finally:
        probe.unlink()
    assert set(edges) == {"tenants", "transmission"}


def test_a_cycle_between_units_is_found() -> None:
    graph = {"a": {"b": {"a.py"}}, "b": {"c": {"b.py"}}, "c": {"a": {"c.py"}}, "d": {"a": {"d"}}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle_between_the_units_of_the_core() -> None:
    graph = core_import_graph()
    cycles = _cycles(graph)
    detail = {
        " ↔ ".join(cycle): {
            f"{a} -> {b}": sorted(graph[a][b]) for a in cycle for b in cycle if b in graph[a]
        }
        for cycle in cycles
    }
    assert cycles == [], detail


def test_the_core_never_imports_the_http_edge() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            m for m in _imported_modules(path) if m == "api" or m.startswith("api.")
        )
        for path in (ROOT / "dsnlink").rglob("*.py")
    }
    assert {path: found for path, found in offenders.items() if found} == {}


def test_no_core_file_is_over_600_lines() -> None:
    generated = {"migrations"}
    long_files = {
        str(path.relative_to(ROOT)): n
        for path in (ROOT / "dsnlink").rglob("*.py")
        if not generated & set(path.parts)
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert long_files == {}


# --- one owner of the declaration's status --------------------------------------------------------


def test_only_the_timeline_changes_a_declaration_status() -> None:
    """`declaration.status = ...` (or a Declaration built in another status than `received`, or
    an UPDATE of its status) is written only in dsnlink/declarations/timeline.py."""
    owner = ROOT / "dsnlink" / "declarations" / "timeline.py"
    offenders: list[str] = []
    for package in ("dsnlink", "api"):
        for path in (ROOT / package).rglob("*.py"):
            if path == owner or "migrations" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source, filename=str(path))
            for node in ast.walk(tree):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
                if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if (
                            isinstance(target, ast.Attribute)
                            and target.attr == "status"
                            and "DeclarationStatus" in ast.unparse(node)
                        ):
                            offenders.append(where)
                        if (
                            isinstance(target, ast.Attribute)
                            and target.attr == "status"
                            and isinstance(target.value, ast.Name)
                            and "declaration" in target.value.id.lower()
                        ):
                            offenders.append(where)
                elif isinstance(node, ast.Call):
                    name = ast.unparse(node.func)
                    status = next((k for k in node.keywords if k.arg == "status"), None)
                    if (
                        name == "Declaration"
                        and status is not None
                        and (ast.unparse(status.value) != "DeclarationStatus.RECEIVED")
                    ):
                        offenders.append(where)
                    if (
                        name.endswith(".values")
                        and "Declaration" in ast.unparse(node)
                        and (status is not None)
                    ):
                        offenders.append(where)
    assert sorted(set(offenders)) == []
