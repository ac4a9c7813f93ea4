"""The fast path: FIFO queues with dedicated agent pools, simulated by the workload recursion.

When every agent serves exactly one queue, answers at once (no ring delay, no ring-no-answer),
works all day (no shifts or scheduled pauses), nobody is transferred and each queue hands
calls to the member free longest (`leastrecent`), a queue is a FIFO multi-server queue with
impatient callers. Such a queue can be simulated exactly caller by caller, in order of
arrival (the Kiefer-Wolfowitz recursion): a heap holds when each agent is next free; a caller
arriving at t with patience p is answered at max(t, earliest free) if that wait is at most p
(or the queue timeout), and otherwise leaves at t + p without ever touching an agent.

This gives the same calls as `sim.engine.Engine` on the same scenario and seed (same random
streams, same draws per caller, same tie-breaks: tested), several times faster, because no
per-event bookkeeping is needed. `sim.run` uses it whenever `unsupported_reason` is None.
Callers are handed to `on_call_end` in order of arrival rather than of hang-up.
"""

from __future__ import annotations

import bisect
import gc
import heapq
import math
from collections.abc import Callable, Generator, Iterator
from typing import TypeVar

import numpy as np

from callcenter.calls.records import CallOutcome, Direction, VisitOutcome
from sim.arrivals import next_arrival
from sim.distributions import Draws, QueueDraws
from sim.records import CallTrace, RecordClock, VisitTrace
from sim.scenario import QueueSpec, Scenario, Strategy


def unsupported_reason(scenario: Scenario) -> str | None:
    """Why the fast path cannot run `scenario` exactly, or None if it can."""
    for agent in scenario.agents:
        if len(agent.memberships) != 1:
            return f"agent {agent.name} serves several queues"
        if not agent.ring.is_zero or agent.ring_no_answer_probability > 0:
            return f"agent {agent.name} rings before answering"
        if agent.shift is not None or agent.pauses:
            return f"agent {agent.name} has a shift or pauses"
    for queue in scenario.queues:
        if queue.transfer is not None:
            return f"queue {queue.name} transfers calls"
        if queue.strategy is not Strategy.LEASTRECENT:
            return f"queue {queue.name} uses {queue.strategy.value}, not leastrecent"
        if queue.agent_hangup_share > 0:
            # Who hangs up is drawn in a different order here than in the event engine.
            return f"queue {queue.name} has agents hanging up first"
    return None


class _Pool:
    """One queue's agents (when each is next free), its waiting callers and its settings."""

    __slots__ = (
        "arrival", "busy_s", "dialed", "draws", "free", "hangup", "hangup_share", "idle_s",
        "leaving", "name", "names", "patience", "rate_s", "spec", "talk", "timeout", "wrap",
    )  # fmt: skip

    def __init__(self, spec: QueueSpec, agent_names: list[str], draws: QueueDraws) -> None:
        self.spec = spec
        self.name = spec.name
        self.names = agent_names
        self.free = [(0.0, i) for i in range(len(agent_names))]  # (next free at, agent index)
        self.leaving: list[float] = []  # sorted: when each waiting caller leaves the queue
        self.draws = draws
        self.arrival = draws.arrival
        self.talk = draws.talk
        self.patience = draws.patience
        self.hangup = draws.hangup
        self.timeout = spec.timeout_s
        self.wrap = spec.wrap_up_s
        self.hangup_share = spec.agent_hangup_share
        self.dialed = spec.dialed_number or spec.name
        # Mean seconds between arrivals when the rate is constant (None: by profile).
        rate = spec.arrival_rate_per_hour
        self.rate_s = 3600.0 / rate if spec.arrival_profile is None and rate > 0 else None
        self.busy_s = 0.0
        self.idle_s = 0.0


_NEVER = object()  # a sentinel no draw ever returns
_Value = TypeVar("_Value")


def _values(draw: Callable[[], _Value]) -> Iterator[_Value]:
    """The values `draw` would return, one per step, as an iterator over the same stream.

    Iterating a block stream's generator directly (e.g. in `zip`) saves a Python call per value
    and takes exactly the values the calls would have taken, in the same order.
    """
    stream = getattr(draw, "__self__", None)
    if isinstance(stream, Generator):
        return stream
    return iter(draw, _NEVER)


class FastKernel:
    """Runs a supported scenario; exposes the same results as an engine's fast run."""

    def __init__(
        self,
        scenario: Scenario,
        rng: np.random.Generator,
        on_call_end: Callable[[CallTrace], None] | None = None,
    ) -> None:
        reason = unsupported_reason(scenario)
        if reason is not None:
            raise ValueError(f"the fast path cannot run this scenario: {reason}")
        self.scenario = scenario
        self.draws = Draws(scenario, rng)
        self.on_call_end = on_call_end
        self.clock = RecordClock(scenario.start)
        start = scenario.start
        self._start_clock_s = start.hour * 3600.0 + start.minute * 60.0 + start.second
        self.pools: dict[str, _Pool] = {}
        for spec in scenario.queues:
            names = [a.name for a in scenario.agents if a.memberships[0].queue == spec.name]
            self.pools[spec.name] = _Pool(spec, names, self.draws.queues[spec.name])
        self.now = 0.0
        self.finished = 0

    def run(
        self,
        *,
        calls: int | None = None,
        hours: float | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Let `calls` callers arrive (or arrivals run for `hours`) and serve them all.

        Python's cyclic garbage collector is paused meanwhile: the loop makes no reference
        cycles, and its scans would otherwise cost about a third of the run.
        """
        paused_gc = gc.isenabled()
        gc.disable()
        try:
            pools = list(self.pools.values())
            if len(pools) == 1 and pools[0].rate_s is not None:
                self._run_one_queue(pools[0], calls, hours, progress)
            else:
                self._run(calls, hours, progress)
        finally:
            if paused_gc:
                gc.enable()

    def _run(
        self, calls: int | None, hours: float | None, progress: Callable[[int], None] | None
    ) -> None:
        until = hours * 3600.0 if hours is not None else math.inf
        left = calls if calls is not None else -1  # -1: no limit on the number of calls
        pools = [self.pools[spec.name] for spec in self.scenario.queues]
        start_clock = self._start_clock_s
        arrivals: list[tuple[float, int]] = []
        for index, pool in enumerate(pools):
            at = next_arrival(pool.spec, pool.draws.arrival, start_clock, 0.0)
            if at is not None and at <= until:
                heapq.heappush(arrivals, (at, index))
        callers = self.draws.callers
        # The caller draws of CallerDraws.next_caller, unrolled: same streams, same order.
        known_share = callers.callers.known_share
        known_draw, pick_known, unknown_draw = callers.known, callers.pick, callers.unknown
        known_numbers, known_names = callers.callers.numbers, callers.callers.names
        prefix = callers.callers.unknown_prefix
        epoch = self.clock.epoch
        on_call_end = self.on_call_end
        end_of_run = 0.0
        ident = 0
        new = tuple.__new__
        answered, abandoned = VisitOutcome.ANSWERED, VisitOutcome.ABANDONED
        timed_out, inbound = VisitOutcome.TIMEOUT, Direction.INBOUND
        call_answered, call_abandoned = CallOutcome.ANSWERED, CallOutcome.ABANDONED
        call_timeout = CallOutcome.TIMEOUT
        heapreplace, heappop = heapq.heapreplace, heapq.heappop
        insort, bisect_right = bisect.insort, bisect.bisect_right
        while arrivals and left:
            t, index = arrivals[0]
            pool = pools[index]
            mean_gap = pool.rate_s
            if mean_gap is not None:
                after: float | None = t + pool.arrival() * mean_gap
            else:
                after = next_arrival(pool.spec, pool.arrival, start_clock, t)
            if after is None or after > until:
                heappop(arrivals)
            else:
                heapreplace(arrivals, (after, index))
            left -= 1
            if pick_known is not None and known_draw() < known_share:
                known = pick_known()
                number = known_numbers[known]
                name = known_names[known] if known_names else None
            else:
                number, name = f"{prefix}{unknown_draw():07d}", None
            talk = pool.talk()
            patience = pool.patience() if pool.patience is not None else None
            leaving = pool.leaving
            if leaving and leaving[0] <= t:
                del leaving[: bisect_right(leaving, t)]
            position = len(leaving) + 1
            free = pool.free
            free_at, agent = free[0]
            start = free_at if free_at > t else t
            limit, outcome = patience, abandoned
            timeout = pool.timeout
            if timeout is not None and (limit is None or timeout < limit):
                limit, outcome = timeout, timed_out
            if limit is not None and start - t > limit:
                end = t + limit
                exit_position = 1 + len(leaving) - bisect_right(leaving, end)
                insort(leaving, end)
                hangup_by = "caller" if outcome is abandoned else None
                visit = new(VisitTrace, (
                    pool.name, outcome, t, end, position, None, end - t, None, None, 0, None,
                    exit_position, hangup_by,
                ))  # fmt: skip
                trace = new(CallTrace, (
                    ident, f"{int(epoch + t)}.{ident}", inbound, t, end,
                    call_abandoned if outcome is abandoned else call_timeout, number, name,
                    pool.dialed, None, None, None, None, hangup_by, (visit,),
                ))  # fmt: skip
            else:
                if start > t:
                    insort(leaving, start)
                end = start + talk
                if free_at < start:
                    pool.idle_s += start - free_at
                wrap = pool.wrap
                heapreplace(free, (end + wrap, agent))
                talked = end - start
                pool.busy_s += talked + wrap
                share = pool.hangup_share
                hangup_by = "agent" if share > 0 and pool.hangup() < share else "caller"
                agent_name = pool.names[agent]
                visit = new(VisitTrace, (
                    pool.name, answered, t, end, position, agent_name, start - t, 0.0, talked,
                    0, None, None, hangup_by,
                ))  # fmt: skip
                trace = new(CallTrace, (
                    ident, f"{int(epoch + t)}.{ident}", inbound, t, end, call_answered, number,
                    name, pool.dialed, start, talked, agent_name, None, hangup_by, (visit,),
                ))  # fmt: skip
            ident += 1
            if end > end_of_run:
                end_of_run = end
            if on_call_end is not None:
                on_call_end(trace)
            if progress is not None and not ident & 0x1FFF:
                progress(ident)
        self.finished = ident
        self.now = end_of_run
        for pool in pools:
            for free_at, _ in pool.free:
                if free_at < end_of_run:
                    pool.idle_s += end_of_run - free_at
        if progress is not None:
            progress(ident)

    def _run_one_queue(
        self,
        pool: _Pool,
        calls: int | None,
        hours: float | None,
        progress: Callable[[int], None] | None,
    ) -> None:
        """`_run` for one queue with a constant arrival rate, the common case, made lean.

        Every unconditional draw (arrival gap, talk, patience, and the unknown number when no
        caller is known) is taken by iterating its stream in `zip`, the rest by calls, so each
        stream gives the same values to the same callers as in `_run` and in the engine.
        """
        until = hours * 3600.0 if hours is not None else math.inf
        left = calls if calls is not None else -1  # -1: no limit on the number of calls
        mean_gap = pool.rate_s
        assert mean_gap is not None
        t = 0.0 + pool.arrival() * mean_gap  # as next_arrival(spec, arrival, clock, 0.0)
        if t > until:
            left = 0
        callers = self.draws.callers
        known_share = callers.callers.known_share
        known_draw, pick_known, unknown_draw = callers.known, callers.pick, callers.unknown
        known_numbers, known_names = callers.callers.numbers, callers.callers.names
        prefix = callers.callers.unknown_prefix
        epoch = self.clock.epoch
        on_call_end = self.on_call_end
        end_of_run = 0.0
        ident = 0
        new = tuple.__new__
        answered, abandoned = VisitOutcome.ANSWERED, VisitOutcome.ABANDONED
        timed_out, inbound = VisitOutcome.TIMEOUT, Direction.INBOUND
        call_answered, call_abandoned = CallOutcome.ANSWERED, CallOutcome.ABANDONED
        call_timeout = CallOutcome.TIMEOUT
        heapreplace = heapq.heapreplace
        insort, bisect_right = bisect.insort, bisect.bisect_right
        queue_name, dialed, names, free, leaving = (
            pool.name,
            pool.dialed,
            pool.names,
            pool.free,
            pool.leaving,
        )
        timeout, wrap, share, hangup = pool.timeout, pool.wrap, pool.hangup_share, pool.hangup
        busy_s, idle_s = pool.busy_s, pool.idle_s
        gaps = _values(pool.arrival)
        talks = _values(pool.talk)
        no_patience: Callable[[], float | None] = lambda: None  # noqa: E731
        patiences = _values(pool.patience or no_patience)
        # Unknown numbers are drawn for every caller only when nobody is a known customer.
        no_number: Callable[[], int] = lambda: 0  # noqa: E731
        unknowns = _values(unknown_draw if pick_known is None else no_number)
        for gap, talk, patience, unknown in zip(gaps, talks, patiences, unknowns, strict=False):
            if not left:
                break
            left -= 1
            after = t + gap * mean_gap
            if pick_known is None:
                number, name = f"{prefix}{unknown:07d}", None
            elif known_draw() < known_share:
                known = pick_known()
                number = known_numbers[known]
                name = known_names[known] if known_names else None
            else:
                number, name = f"{prefix}{unknown_draw():07d}", None
            if leaving and leaving[0] <= t:
                del leaving[: bisect_right(leaving, t)]
            position = len(leaving) + 1
            free_at, agent = free[0]
            start = free_at if free_at > t else t
            limit, outcome = patience, abandoned
            if timeout is not None and (limit is None or timeout < limit):
                limit, outcome = timeout, timed_out
            if limit is not None and start - t > limit:
                end = t + limit
                exit_position = 1 + len(leaving) - bisect_right(leaving, end)
                insort(leaving, end)
                hangup_by = "caller" if outcome is abandoned else None
                visit = new(VisitTrace, (
                    queue_name, outcome, t, end, position, None, end - t, None, None, 0, None,
                    exit_position, hangup_by,
                ))  # fmt: skip
                trace = new(CallTrace, (
                    ident, f"{int(epoch + t)}.{ident}", inbound, t, end,
                    call_abandoned if outcome is abandoned else call_timeout, number, name,
                    dialed, None, None, None, None, hangup_by, (visit,),
                ))  # fmt: skip
            else:
                if start > t:
                    insort(leaving, start)
                end = start + talk
                if free_at < start:
                    idle_s += start - free_at
                heapreplace(free, (end + wrap, agent))
                talked = end - start
                busy_s += talked + wrap
                hangup_by = "agent" if share > 0 and hangup() < share else "caller"
                agent_name = names[agent]
                visit = new(VisitTrace, (
                    queue_name, answered, t, end, position, agent_name, start - t, 0.0, talked,
                    0, None, None, hangup_by,
                ))  # fmt: skip
                trace = new(CallTrace, (
                    ident, f"{int(epoch + t)}.{ident}", inbound, t, end, call_answered, number,
                    name, dialed, start, talked, agent_name, None, hangup_by, (visit,),
                ))  # fmt: skip
            ident += 1
            if end > end_of_run:
                end_of_run = end
            if on_call_end is not None:
                on_call_end(trace)
            if progress is not None and not ident & 0x1FFF:
                progress(ident)
            if after > until:
                break
            t = after
        self.finished = ident
        self.now = end_of_run
        for free_at, _ in free:
            if free_at < end_of_run:
                idle_s += end_of_run - free_at
        pool.busy_s, pool.idle_s = busy_s, idle_s
        if progress is not None:
            progress(ident)
