"""Readable tables in tests: pipe-separated rows under a header line."""

from __future__ import annotations


def table(text: str) -> list[dict[str, str]]:
    """Rows of a `a | b | c` table as dicts keyed by the header; blank cells are ""."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    header = [cell.strip() for cell in lines[0].split("|")]
    return [
        dict(zip(header, (cell.strip() for cell in line.split("|")), strict=True))
        for line in lines[1:]
    ]


def number(cell: str) -> float | None:
    return float(cell) if cell else None
