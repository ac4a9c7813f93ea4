"""CSV cells that a spreadsheet shows as text, never runs as a formula (CSV injection)."""

from __future__ import annotations

import re

# What a spreadsheet reads as the start of a formula, or strips before reading one (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Numbers, or a list of them as the exports write phone numbers ("+15551230001; +4930…"):
# no function, reference or command can be spelled with digits, signs and a point, so they
# stay as they are and re-import unchanged.
_NUMBERS = re.compile(r"[+-]?\d+(?:\.\d+)?(?:;\s*[+-]?\d+(?:\.\d+)?)*")


def spreadsheet_safe(value: str) -> str:
    """`value` with a single quote in front when a spreadsheet would read it as a formula."""
    if value.startswith(_FORMULA_START) and not _NUMBERS.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_value(cell: str) -> str:
    """The value behind a cell `spreadsheet_safe` wrote (its inverse, for re-import)."""
    if cell.startswith("'") and cell[1:].startswith(_FORMULA_START):
        return cell[1:]
    return cell
