"""Staffing: agents needed for a service-level target by Erlang C and Erlang A, and the
expected service level, ASA and abandonment over a range of agent counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kpi.erlang import ErlangA, ErlangC, agents_for_service_level


@dataclass(frozen=True, slots=True)
class StaffingQuestion:
    """Calls per hour, mean handle time, target (e.g. 80 % within 20 s), optional patience."""

    calls_per_hour: float
    aht_s: float
    target: float = 0.8
    threshold_s: float = 20.0
    patience_s: float | None = None

    def __post_init__(self) -> None:
        if self.calls_per_hour <= 0 or self.aht_s <= 0:
            raise ValueError("calls per hour and AHT must be positive")
        if not 0 < self.target < 1:
            raise ValueError("the target share must be between 0 and 1, e.g. 0.8/20")
        if self.threshold_s < 0:
            raise ValueError("the target time must not be negative")
        if self.patience_s is not None and self.patience_s <= 0:
            raise ValueError("patience must be positive")


def parse_target(text: str) -> tuple[float, float]:
    """`0.8/20` or `80/20` -> (0.8, 20.0): share answered within seconds."""
    share_text, sep, seconds_text = text.partition("/")
    try:
        share, seconds = float(share_text), float(seconds_text)
    except ValueError:
        raise ValueError(f"target must look like 0.8/20 (share/seconds), got {text!r}") from None
    if not sep:
        raise ValueError(f"target must look like 0.8/20 (share/seconds), got {text!r}")
    return (share / 100 if share > 1 else share), seconds


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def staffing_table(question: StaffingQuestion, spread: int = 4) -> dict[str, Any]:
    """Agents needed by each model, and each model's figures from `needed - spread` agents
    to `needed + spread` (never fewer than one agent, only stable counts for Erlang C)."""
    rate = question.calls_per_hour / 3600.0
    load = rate * question.aht_s
    needed_c = agents_for_service_level(rate, question.aht_s, question.target, question.threshold_s)
    needed_a = (
        agents_for_service_level(
            rate, question.aht_s, question.target, question.threshold_s, question.patience_s
        )
        if question.patience_s is not None
        else None
    )
    low = max(1, min(needed_c, needed_a or needed_c) - spread)
    high = max(needed_c, needed_a or needed_c) + spread
    rows: list[dict[str, Any]] = []
    for agents in range(low, high + 1):
        erlang_c = ErlangC(rate, question.aht_s, agents)
        row: dict[str, Any] = {
            "agents": agents,
            "occupancy": erlang_c.occupancy,
            "erlang_c": {
                "service_level": erlang_c.service_level(question.threshold_s),
                "asa_s": _number(erlang_c.asa_s),
                "p_wait": erlang_c.p_wait,
            },
        }
        if question.patience_s is not None:
            erlang_a = ErlangA(rate, question.aht_s, agents, question.patience_s)
            row["erlang_a"] = {
                "service_level": erlang_a.service_level(question.threshold_s),
                "asa_s": _number(erlang_a.asa_s),
                "abandon_rate": erlang_a.p_abandon,
            }
        rows.append(row)
    return {
        "calls_per_hour": question.calls_per_hour,
        "aht_s": question.aht_s,
        "load_erlangs": load,
        "target": question.target,
        "threshold_s": question.threshold_s,
        "patience_s": question.patience_s,
        "agents_erlang_c": needed_c,
        "agents_erlang_a": needed_a,
        "rows": rows,
    }
