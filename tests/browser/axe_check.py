"""axe-core (vendored in ./axe) run in a page: WCAG 2.1 A and AA rules, violations as text.

The script is handed to the page through the devtools protocol (`page.evaluate`), not a
script tag, so the app's strict security policy stays as users get it (a tag, inline or
served, would need the policy loosened or axe shipped to every user).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERIOUS = {"serious", "critical"}


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page: Any) -> list[dict[str, Any]]:
    """The page's WCAG 2.1 AA violations as axe reports them."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """(tags) => axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations'],
        }).then((r) => r.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({
                target: n.target.join(' '), summary: n.failureSummary || '',
            })),
        })))""",
        WCAG_AA,
    )
    return list(result)


def serious(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in found if v["impact"] in SERIOUS]


def readable(name: str, found: list[dict[str, Any]]) -> str:
    """One block per violation: rule, impact, what to fix, and each element it found."""
    lines = []
    for violation in found:
        lines.append(f"{name}: {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:8]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary[:300]}")
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more")
    return "\n".join(lines)
