"""When callers arrive: a Poisson process per queue, constant-rate or by intraday profile."""

from __future__ import annotations

import heapq
from heapq import heappush
from typing import TYPE_CHECKING

from callcenter.calls.records import Direction
from sim.distributions import Draw
from sim.scenario import DAY_S, QueueSpec
from sim.state import SimQueue
from sim.timeline import ARRIVAL, Timeline

INBOUND = Direction.INBOUND

if TYPE_CHECKING:
    from sim.call_flow import CallFlow


def next_arrival(
    spec: QueueSpec, unit_exponential: Draw, start_clock_s: float, t: float
) -> float | None:
    """The first arrival after simulated time `t`, or None if the queue gets no callers.

    With a profile the rate is piecewise constant (per 15-minute interval, zero outside the
    profile, repeating daily): one unit-exponential draw of "integrated rate" is spent across
    the intervals, which is exact for a non-homogeneous Poisson process.
    """
    profile = spec.arrival_profile
    if profile is None:
        rate = spec.arrival_rate_per_hour
        return t + unit_exponential() * (3600.0 / rate) if rate > 0 else None
    if not spec.has_arrivals:
        return None
    need = unit_exponential()
    rates, width = profile.rates_per_hour, profile.interval_s
    while True:
        offset = (start_clock_s + t - profile.start_s) % DAY_S
        index = int(offset // width)
        if index >= len(rates):
            t += DAY_S - offset  # closed until the profile starts again the next day
            continue
        left = width * (index + 1) - offset
        rate = rates[index] / 3600.0
        if rate > 0 and need <= rate * left:
            return t + need / rate
        need -= rate * left
        t += left


def rate_per_hour_at(spec: QueueSpec, start_clock_s: float, t: float) -> float:
    """The queue's arrival rate (calls per hour) at simulated time `t`."""
    profile = spec.arrival_profile
    if profile is None:
        return spec.arrival_rate_per_hour
    offset = (start_clock_s + t - profile.start_s) % DAY_S
    index = int(offset // profile.interval_s)
    return profile.rates_per_hour[index] if index < len(profile.rates_per_hour) else 0.0


class Arrivals:
    """The engine's callers: each queue's next arrival on the timeline, and when they stop.

    `left` callers more (None: no limit) or none after `until` (simulated seconds); `pending`
    counts the arrivals scheduled, so a fast run knows when the center has drained.
    """

    def __init__(self, timeline: Timeline, flow: CallFlow) -> None:
        self.timeline = timeline
        self.flow = flow
        self.left: int | None = None
        self.until: float | None = None
        self.pending = 0

    def schedule(self, queue: SimQueue) -> None:
        """Put the queue's next caller on the timeline (if it comes before the end)."""
        timeline = self.timeline
        gap = queue.mean_gap_s
        if gap is not None:  # constant rate: next_arrival's arithmetic, without the call
            at = timeline.now + queue.draws.arrival() * gap
        else:
            found = next_arrival(
                queue.spec, queue.draws.arrival, timeline.start_clock_s, timeline.now
            )
            if found is None:
                return
            at = found
        until = self.until
        if until is not None and at > until:
            return
        self.pending += 1
        heappush(timeline.heap, (at, next(timeline.seq), ARRIVAL, queue, None, None))

    def drop(self, after: float = -1.0) -> None:
        """Forget scheduled arrivals later than `after` (all of them by default)."""
        heap = self.timeline.heap
        kept = [e for e in heap if not (e[2] == ARRIVAL and e[0] > after)]
        self.pending -= len(heap) - len(kept)
        heap[:] = kept  # in place: a running loop holds this list
        heapq.heapify(heap)

    def on_arrival(self, queue: SimQueue, _token: None, _extra: None) -> None:
        """A caller dials the queue (an ARRIVAL event); the next one is scheduled."""
        self.pending -= 1
        left = self.left
        if left is not None:
            if left <= 0:
                return
            self.left = left - 1
        queue.arrivals += 1
        flow = self.flow
        call = flow.new_call(queue, INBOUND)
        if left is None or left > 1:
            gap = queue.mean_gap_s
            if gap is not None and self.until is None:  # `schedule`, without the call
                timeline = self.timeline
                at = timeline.now + queue.draws.arrival() * gap
                self.pending += 1
                heappush(timeline.heap, (at, next(timeline.seq), ARRIVAL, queue, None, None))
            else:
                self.schedule(queue)
        else:
            self.drop()  # that was the last caller: other queues' arrivals go too
        flow.arrive(call, queue)
