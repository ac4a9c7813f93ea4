"""The design's import rules: below agent_ui, only the web boundary touches request objects."""

from __future__ import annotations

import ast
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
