"""Typed reading of TOML tables for scenarios: value checks whose errors name key and line."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any, TypeVar

from sim.scenario import Distribution, DistributionKind, ScenarioError, Strategy
from sim.toml_lines import KeyLines, Path, format_path

T = TypeVar("T")
D = TypeVar("D")


class Reader:
    """Knows the source text, so any error can name its key and line."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.lines = KeyLines(text)

    def error(self, path: Path, message: str) -> ScenarioError:
        return ScenarioError(
            message, source=self.source, key=format_path(path), line=self.lines.line_of(path)
        )


class Table:
    """One TOML table being read: typed access by key, and a check for keys nobody read."""

    def __init__(self, reader: Reader, data: Any, path: Path) -> None:
        if not isinstance(data, dict):
            raise reader.error(path, "must be a table")
        self.reader = reader
        self.data: dict[str, Any] = data
        self.path = path
        self.read: set[str] = set()

    def has(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, check: Callable[[Any, Path], T], default: D) -> T | D:
        self.read.add(key)
        if key not in self.data:
            return default
        return check(self.data[key], (*self.path, key))

    def need(self, key: str, check: Callable[[Any, Path], T]) -> T:
        self.read.add(key)
        if key not in self.data:
            raise self.reader.error(self.path, f"missing key {key!r}")
        return check(self.data[key], (*self.path, key))

    def table(self, key: str) -> Table | None:
        self.read.add(key)
        if key not in self.data:
            return None
        return Table(self.reader, self.data[key], (*self.path, key))

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.read)
        if unknown:
            path = (*self.path, unknown[0])
            raise self.reader.error(path, "unknown key")


class Checks:
    """Value checks; each takes (value, path) and returns the clean value or raises."""

    def __init__(self, reader: Reader) -> None:
        self.r = reader

    def number(
        self, value: Any, path: Path, *, minimum: float = 0.0, strict: bool = False
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.r.error(path, "must be a number")
        if not math.isfinite(value):
            raise self.r.error(path, "must be a finite number")
        if value < minimum or (strict and value == minimum):
            bound = "greater than" if strict else "at least"
            raise self.r.error(path, f"must be {bound} {minimum:g} (got {value:g})")
        return float(value)

    def non_negative(self, value: Any, path: Path) -> float:
        return self.number(value, path)

    def positive(self, value: Any, path: Path) -> float:
        return self.number(value, path, strict=True)

    def probability(self, value: Any, path: Path) -> float:
        p = self.number(value, path)
        if p > 1:
            raise self.r.error(path, f"must be a probability between 0 and 1 (got {p:g})")
        return p

    def integer(self, value: Any, path: Path, *, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.r.error(path, "must be a whole number")
        if value < minimum:
            raise self.r.error(path, f"must be at least {minimum} (got {value})")
        return value

    def any_integer(self, value: Any, path: Path) -> int:
        return self.integer(value, path, minimum=-(2**63))

    def text(self, value: Any, path: Path) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.r.error(path, "must be a non-empty string")
        return value.strip()

    def flag(self, value: Any, path: Path) -> bool:
        if not isinstance(value, bool):
            raise self.r.error(path, "must be true or false")
        return value

    def texts(self, value: Any, path: Path) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.r.error(path, "must be a list of strings")
        return tuple(self.text(v, (*path, i)) for i, v in enumerate(value))

    def numbers(self, value: Any, path: Path) -> tuple[float, ...]:
        if not isinstance(value, list):
            raise self.r.error(path, "must be a list of numbers")
        return tuple(self.non_negative(v, (*path, i)) for i, v in enumerate(value))

    def clock(self, value: Any, path: Path) -> float:
        """A clock time, "HH:MM[:SS]" or a TOML local time, as seconds after midnight."""
        if isinstance(value, time):
            return value.hour * 3600.0 + value.minute * 60.0 + value.second
        if isinstance(value, str):
            match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", value.strip())
            if match:
                hours, minutes, seconds = (int(g or 0) for g in match.groups())
                if hours < 24 and minutes < 60 and seconds < 60:
                    return hours * 3600.0 + minutes * 60.0 + seconds
        raise self.r.error(path, f'must be a clock time like "08:30" (got {value!r})')

    def moment(self, value: Any, path: Path) -> datetime:
        if not isinstance(value, datetime):
            raise self.r.error(path, "must be a date and time like 2026-01-05T08:00:00Z")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # a local date-time is read as UTC
        return value.astimezone(UTC)

    def strategy(self, value: Any, path: Path) -> Strategy:
        names = ", ".join(s.value for s in Strategy)
        try:
            return Strategy(value)
        except ValueError:
            raise self.r.error(path, f"must be one of {names} (got {value!r})") from None

    def distribution(self, value: Any, path: Path) -> Distribution:
        table = Table(self.r, value, path)
        kinds = ", ".join(k.value for k in DistributionKind)
        raw_kind = table.need("distribution", self.text)
        try:
            kind = DistributionKind(raw_kind)
        except ValueError:
            raise self.r.error((*path, "distribution"), f"must be one of {kinds}") from None
        result: Distribution
        if kind is DistributionKind.EXPONENTIAL:
            result = Distribution.exponential(table.need("mean_s", self.positive))
        elif kind is DistributionKind.DETERMINISTIC:
            result = Distribution.deterministic(table.need("mean_s", self.non_negative))
        elif kind is DistributionKind.LOGNORMAL:
            mean = table.need("mean_s", self.positive)
            result = Distribution.lognormal(mean, table.need("cv", self.positive))
        elif kind is DistributionKind.UNIFORM:
            low = table.need("low_s", self.non_negative)
            high = table.need("high_s", self.non_negative)
            if high < low:
                raise self.r.error((*path, "high_s"), "must not be below low_s")
            result = Distribution.uniform(low, high)
        else:
            values = table.need("values", self.numbers)
            if not values:
                raise self.r.error((*path, "values"), "must list at least one value")
            weights = table.get("weights", self.numbers, ())
            if weights and len(weights) != len(values):
                raise self.r.error((*path, "weights"), "must have one weight per value")
            if weights and sum(weights) <= 0:
                raise self.r.error((*path, "weights"), "must not all be zero")
            result = Distribution.empirical(values, weights)
        table.done()
        return result
