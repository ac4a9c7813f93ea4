"""The engine's clock and agenda: simulated time now, and one heap of events still to happen."""

from __future__ import annotations

import heapq
import itertools
from datetime import datetime
from typing import Any

from sim.scenario import DAY_S

# Event kinds, in one table so every heap entry is (time, seq, kind, subject, token, extra).
ARRIVAL, ANSWER, RING_OUT, TALK_END, PATIENCE, TIMEOUT, WRAP_END, RETRY, DIAL_ANSWER = range(9)
SHIFT_START, SHIFT_END, PAUSE_START, PAUSE_END = range(9, 13)
DIAL_GIVE_UP = 13  # a preferred member dialled for a caller did not answer in time
RELAX_NEED = 14  # a caller has waited long enough for a skill: any member may answer now

Event = tuple[float, int, int, Any, Any, Any]


class Timeline:
    """Simulated seconds since the scenario start, and the events scheduled after them.

    Events due at the same time run in the order they were scheduled (`seq`). `token` lets a
    handler tell a stale event (the call or agent has moved on since) from a due one.
    """

    __slots__ = ("heap", "now", "seq", "start_clock_s")

    def __init__(self, start: datetime) -> None:
        self.now = 0.0
        self.heap: list[Event] = []
        self.seq = itertools.count()
        self.start_clock_s = start.hour * 3600.0 + start.minute * 60.0 + start.second

    def push(
        self, at: float, kind: int, subject: Any, token: Any = None, extra: Any = None
    ) -> None:
        """Schedule an event."""
        heapq.heappush(self.heap, (at, next(self.seq), kind, subject, token, extra))

    def next_clock(self, clock_s: float, after: float, *, strictly: bool = False) -> float:
        """The first simulated time >= `after` (> with `strictly`) at which the wall clock
        reads `clock_s`."""
        today = (self.start_clock_s + after) % DAY_S
        delta = (clock_s - today) % DAY_S
        if strictly and delta == 0:
            delta = DAY_S
        return after + delta

    def in_clock_range(self, start_s: float, end_s: float) -> bool:
        """Whether the wall clock at the start of the run is within [start_s, end_s)."""
        clock = self.start_clock_s % DAY_S
        if start_s < end_s:
            return start_s <= clock < end_s
        return clock >= start_s or clock < end_s
