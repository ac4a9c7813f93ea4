"""Find the line of a key in TOML text (tomllib reports values, not where they were written)."""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _split_key(dotted: str) -> list[str]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)", dotted)
    return [a or b or c for a, b, c in parts]


class _ArrayScan:
    """Follows one multi-line array value: nesting depth and how many items have begun."""

    def __init__(self) -> None:
        self.depth = 0
        self.items = 0
        self.expecting = False
        self.quote = ""

    def feed(self, text: str) -> int:
        """Scan one line; returns how many top-level items start on it."""
        started = 0
        for ch in text:
            if self.quote:
                if ch == self.quote:
                    self.quote = ""
                continue
            if ch == "#":
                break
            if ch.isspace():
                continue
            if self.depth == 1 and self.expecting and ch not in ",]":
                started += 1
                self.expecting = False
            if ch in "\"'":
                self.quote = ch
            elif ch in "[{":
                self.depth += 1
                if self.depth == 1:
                    self.expecting = True
            elif ch in "]}":
                self.depth -= 1
            elif ch == "," and self.depth == 1:
                self.expecting = True
        self.items += started
        return started


class KeyLines:
    """Index of TOML text: the first line (1-based) of each key path, arrays of tables counted.

    Paths look like `("queue", 1, "talk")` for the `talk` key of the second `[[queue]]`.
    Elements of a multi-line array get their own entry when each starts a line, so
    `("agent", 0, "pauses", 1)` finds the second pause of a multi-line `pauses = [...]`.
    """

    def __init__(self, text: str) -> None:
        self.lines: dict[Path, int] = {}
        counts: dict[Path, int] = {}
        table: Path = ()
        array: _ArrayScan | None = None
        array_path: Path = ()
        for number, raw in enumerate(text.splitlines(), start=1):
            if array is not None:
                first = array.items
                for index in range(first, first + array.feed(raw)):
                    self.lines.setdefault((*array_path, index), number)
                if array.depth <= 0:
                    array = None
                continue
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            assign = _ASSIGN.match(raw)
            header = None if assign else _HEADER.match(raw)
            if header:
                keys = _split_key(header.group(2))
                if header.group(1) == "[[":
                    path = (*self._resolve(keys[:-1], counts), keys[-1])
                    index = counts.get(path, 0)
                    counts[path] = index + 1
                    path = (*path, index)
                else:
                    path = self._resolve(keys, counts)
                table = path
                self.lines.setdefault(path, number)
                continue
            if not assign:
                continue
            path = (*table, *_split_key(assign.group(1)))
            self.lines.setdefault(path, number)
            value = raw[assign.end() :]
            if value.strip().startswith("["):
                scan = _ArrayScan()
                for index in range(scan.feed(value)):
                    self.lines.setdefault((*path, index), number)
                if scan.depth > 0:
                    array, array_path = scan, path

    @staticmethod
    def _resolve(keys: list[str], counts: dict[Path, int]) -> Path:
        """Dotted header keys, with each array-of-tables step pointing at its latest element."""
        path: Path = ()
        for key in keys:
            path = (*path, key)
            if path in counts:
                path = (*path, counts[path] - 1)
        return path

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its longest prefix that was written in the file."""
        for end in range(len(path), 0, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return None


def format_path(path: Path) -> str:
    """`("queue", 1, "talk", "mean_s")` -> `queue[1].talk.mean_s`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out
