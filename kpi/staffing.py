"""Staffing: agents needed for a service-level target by Erlang C and Erlang A, and the
expected service level, ASA and abandonment over a range of agent counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kpi.erlang import ErlangA, ErlangC, agents_for_service_level

# What a call center can mean, and what bounds the work: Erlang A over a few thousand agents
# takes seconds of CPU, so the offered load stops at a 2,000-seat queue.
# At the other end, one call in 100 hours and a 1-second call: below that, the rates
# underflow the Erlang formulas (5e-324 is a float too).
MIN_CALLS_PER_HOUR = 0.01
MAX_CALLS_PER_HOUR = 100_000.0
MIN_AHT_S = 1.0
MAX_AHT_S = 4 * 3600.0
MAX_LOAD_ERLANGS = 2_000.0
MIN_PATIENCE_S = 1.0
MAX_PATIENCE_S = 3600.0
MAX_THRESHOLD_S = 3600.0


@dataclass(frozen=True, slots=True)
class StaffingQuestion:
    """Calls per hour, mean handle time, target (e.g. 80 % within 20 s), optional patience."""

    calls_per_hour: float
    aht_s: float
    target: float = 0.8
    threshold_s: float = 20.0
    patience_s: float | None = None

    def __post_init__(self) -> None:
        numbers = (self.calls_per_hour, self.aht_s, self.target, self.threshold_s)
        if not all(math.isfinite(n) for n in numbers) or not math.isfinite(
            self.patience_s if self.patience_s is not None else 1.0
        ):
            raise ValueError("every figure must be a finite number")
        if not MIN_CALLS_PER_HOUR <= self.calls_per_hour <= MAX_CALLS_PER_HOUR:
            raise ValueError(
                f"calls per hour must be between {MIN_CALLS_PER_HOUR:g}"
                f" and {MAX_CALLS_PER_HOUR:,.0f}"
            )
        if not MIN_AHT_S <= self.aht_s <= MAX_AHT_S:
            raise ValueError(f"AHT must be between {MIN_AHT_S:g} and {MAX_AHT_S:,.0f} s")
        if self.calls_per_hour * self.aht_s / 3600 > MAX_LOAD_ERLANGS:
            raise ValueError(
                f"the offered load (calls per hour x AHT / 3600) must be at most "
                f"{MAX_LOAD_ERLANGS:,.0f} erlangs: plan a larger center queue by queue"
            )
        if not 0 < self.target < 1:
            raise ValueError("the target share must be between 0 and 1, e.g. 0.8/20")
        if not 0 <= self.threshold_s <= MAX_THRESHOLD_S:
            raise ValueError(f"the target time must be between 0 and {MAX_THRESHOLD_S:,.0f} s")
        if self.patience_s is not None and not (
            MIN_PATIENCE_S <= self.patience_s <= MAX_PATIENCE_S
        ):
            raise ValueError(
                f"patience must be between {MIN_PATIENCE_S:g} and {MAX_PATIENCE_S:,.0f} s"
            )


def parse_target(text: str) -> tuple[float, float]:
    """`0.8/20` or `80/20` -> (0.8, 20.0): share answered within seconds."""
    share_text, sep, seconds_text = text[:64].partition("/")
    try:
        share, seconds = float(share_text), float(seconds_text)
    except ValueError:
        raise ValueError(f"target must look like 0.8/20 (share/seconds), got {text!r}") from None
    if not sep or not (math.isfinite(share) and math.isfinite(seconds)):
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
