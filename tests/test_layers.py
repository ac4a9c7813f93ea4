"""The design's import rules: below agent_ui, only the web boundary touches request objects."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The composition root and the web boundary: they turn requests into plain values.
WEB_BOUNDARY = {"callcenter/app.py", "callcenter/deps.py", "callcenter/errors.py"}
REQUEST_OBJECTS = {"Request", "WebSocket", "HTTPConnection"}
WEB_PACKAGES = ("fastapi", "starlette")


def request_imports(path: Path) -> list[str]:
    """`module.Name` for every request object the file imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in WEB_PACKAGES:
            found += [f"{node.module}.{a.name}" for a in node.names if a.name in REQUEST_OBJECTS]
    return found


def modules_below_agent_ui() -> list[str]:
    paths = [p for package in ("callcenter", "crm", "kpi") for p in (ROOT / package).rglob("*.py")]
    names = (p.relative_to(ROOT).as_posix() for p in paths)
    return sorted(n for n in names if n not in WEB_BOUNDARY)


def test_no_request_objects_below_agent_ui() -> None:
    found = {m: request_imports(ROOT / m) for m in modules_below_agent_ui()}
    assert {m: names for m, names in found.items() if names} == {}


def test_the_check_sees_a_request_import(tmp_path: Path) -> None:
    sample = tmp_path / "router.py"
    sample.write_text("from fastapi import APIRouter, Request\n")
    assert request_imports(sample) == ["fastapi.Request"]


PACKAGES = ("callcenter", "crm", "kpi", "sim", "agent_ui")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    paths = (p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))
    return {module_name(p): p for p in paths if "migrations" not in p.parts}


def imported_modules(path: Path, name: str, modules: dict[str, Path]) -> set[str]:
    """Project modules `path` imports anywhere: at the top, in a function, or for typing."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(cycles)


def test_no_import_cycles_between_modules() -> None:
    modules = project_modules()
    graph = {name: imported_modules(path, name, modules) for name, path in modules.items()}
    # A package's __init__ re-exporting its modules is not a cycle of design.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    assert import_cycles(graph) == []


def test_the_cycle_check_sees_a_cycle_hidden_in_a_function() -> None:
    assert import_cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [["a", "b"]]


def test_every_module_imports() -> None:
    """A module moved or renamed leaves no stale import behind, even in one no test runs."""
    failed = {}
    for name in project_modules():
        if name.endswith("__main__"):
            continue
        try:
            importlib.import_module(name)
        except ImportError as exc:
            failed[name] = str(exc)
    assert failed == {}


# The foundation's PBX side: it publishes on the bus and stores records; who listens (CRM
# history, KPI rollups, the console, the simulator) is wired above it (callcenter.wiring).
FOUNDATION_PACKAGES = ("callcenter/cti", "callcenter/calls", "callcenter/queues")
ABOVE_THE_FOUNDATION = ("crm", "kpi", "agent_ui", "sim")


def upward_imports(package: str) -> dict[str, list[str]]:
    """Modules of `package` (a folder) and what they import from above the foundation."""
    modules = project_modules()
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        name = module_name(path)
        upward = sorted(
            target
            for target in imported_modules(path, name, modules)
            if target.split(".")[0] in ABOVE_THE_FOUNDATION
            or target in {"callcenter.wiring", "callcenter.pbx_cli"}
        )
        if upward:
            found[name] = upward
    return found


def test_the_pbx_side_of_the_foundation_imports_nothing_above_it() -> None:
    assert {package: upward_imports(package) for package in FOUNDATION_PACKAGES} == {
        package: {} for package in FOUNDATION_PACKAGES
    }


def test_the_upward_check_sees_a_function_level_import(tmp_path: Path) -> None:
    modules = project_modules()
    sample = tmp_path / "sample.py"
    sample.write_text("def f() -> None:\n    from kpi.thresholds import Thresholds\n")
    assert imported_modules(sample, "callcenter.cti.sample", modules) == {"kpi.thresholds"}
