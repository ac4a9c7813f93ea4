"""Tables on standard output: plain aligned columns for a pipe, rich boxes for a terminal.

Nothing is ever cut short: piped output has no width to respect, and on a terminal the table
fits the width by wrapping names within their columns first and folding numbers only when
that is not enough (a table of 18 figures at 80 columns).
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

# A name column is not narrowed below this many characters while numbers keep their width.
NAME_MIN = 8
# Padding on both sides and one border line, per cell.
CELL_FRAME = 3


@dataclass(frozen=True)
class Column:
    """A column's title; `number` columns align right."""

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

    def rich(self, width: int) -> Table:
        """The table for a terminal `width` columns wide: cells wrap or fold, never end in "…".

        Numbers keep their whole width whenever the names can still have a few columns
        each; names then wrap at spaces (or fold). A table that cannot fit so (18 figures at
        80 columns) folds numbers too.
        """
        widest = [
            max(cell_len(cell) for cell in [column.title, *(row[i] for row in self.rows)])
            for i, column in enumerate(self.columns)
        ]
        least = sum(
            (w if column.number else min(w, NAME_MIN)) + CELL_FRAME
            for w, column in zip(widest, self.columns, strict=True)
        )
        numbers_whole = least + 1 <= width
        table = Table(title=self.title, caption=self.caption)
        for column, w in zip(self.columns, widest, strict=True):
            table.add_column(
                column.title,
                justify="right" if column.number else "left",
                overflow="fold",  # never crop: no_wrap would
                min_width=w if column.number and numbers_whole else None,
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
        console.print(table.rich(console.width))
