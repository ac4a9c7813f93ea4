"""Tables on standard output: plain aligned columns for a pipe, rich boxes for a terminal.

Nothing is ever cut short: piped output has no width to respect, and on a terminal long
names wrap within their column while numbers keep their whole width.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class Column:
    """A column's title; `number` columns align right and are never split over lines."""

    title: str
    number: bool = False


@dataclass
class TextTable:
    """A titled table of text cells, printed whole wherever it goes."""

    columns: Sequence[Column]
    rows: list[list[str]]
    title: str | None = None
    caption: str | None = None

    def plain(self) -> str:
        """Space-aligned columns, one line a row, under the title and above the caption."""
        cells = [[c.title for c in self.columns]] + [
            [" ".join(cell.split("\n")) for cell in row] for row in self.rows
        ]
        widths = [max(cell_len(row[i]) for row in cells) for i in range(len(self.columns))]
        lines = [self.title] if self.title else []
        for row in cells:
            padded = [
                _pad(cell, width, right=column.number)
                for cell, width, column in zip(row, widths, self.columns, strict=True)
            ]
            lines.append("  ".join(padded).rstrip())
        if self.caption:
            lines.append(self.caption)
        return "\n".join(lines)

    def rich(self) -> Table:
        """The table for a terminal: names fold within their column, numbers stay whole."""
        table = Table(title=self.title, caption=self.caption)
        for index, column in enumerate(self.columns):
            widest = max((cell_len(row[index]) for row in self.rows), default=0)
            table.add_column(
                column.title,
                justify="right" if column.number else "left",
                overflow="fold",
                no_wrap=column.number,
                min_width=max(widest, cell_len(column.title)) if column.number else None,
            )
        for row in self.rows:
            # Text, never markup: names come from people and from the PBX (`[...]` stays).
            table.add_row(*(Text(cell) for cell in row))
        return table


def _pad(cell: str, width: int, *, right: bool) -> str:
    space = " " * (width - cell_len(cell))
    return space + cell if right else cell + space


def print_tables(*tables: TextTable, out: TextIO | None = None) -> None:
    """Print the tables to standard output (or `out`): plain when it is not a terminal."""
    stream = out if out is not None else sys.stdout
    if not stream.isatty():
        print("\n\n".join(table.plain() for table in tables), file=stream)
        return
    console = Console(file=stream)
    for table in tables:
        console.print(table.rich())
