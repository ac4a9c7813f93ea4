"""The fast path: FIFO queues with dedicated agent pools, simulated by the workload recursion.

When every agent serves exactly one queue, answers at once (no ring delay, no ring-no-answer),
works all day (no shifts or scheduled pauses) and nobody is transferred, a queue is a FIFO
multi-server queue with impatient callers. Such a queue can be simulated exactly caller by
caller, in order of arrival (the Kiefer-Wolfowitz recursion): a heap holds when each agent is
next free; a caller arriving at t with patience p is answered at max(t, earliest free) if that
wait is at most p (or the queue timeout), and otherwise leaves at t + p without ever touching
an agent.

With `leastrecent` (the member free longest answers), equal penalties and callers hanging up
first, this gives the same calls as `sim.engine.Engine` on the same scenario and seed (same
random streams, same draws per caller, same tie-breaks: tested), several times faster. With
any other strategy it gives the same queue figures but other agents' names: `sim.run` uses it
then only when no call record is asked for (`unsupported_reason(..., exact=False)`).
Callers are handed to `on_call_end` in order of arrival rather than of hang-up.
"""

from __future__ import annotations

import gc
import heapq
import math
from bisect import bisect_right, insort
from collections.abc import Callable, Generator, Iterator
from heapq import heapreplace
from typing import TypeVar

import numpy as np

from callcenter.calls.records import CallOutcome, Direction, VisitOutcome
from sim.arrivals import next_arrival
from sim.distributions import Draws, QueueDraws
from sim.records import CallTrace, RecordClock, VisitTrace
from sim.scenario import QueueSpec, Scenario, Strategy


def unsupported_reason(scenario: Scenario, *, exact: bool = True) -> str | None:
    """Why the fast path cannot run `scenario`, or None if it can.

    `exact`: the kernel must give the event engine's very calls, down to which agent answered
    and who hung up. Otherwise only each queue's figures must agree; they do not depend on
    which of several free agents answers (each answers at once and serves one queue), nor on
    who hangs up, so any ring strategy, penalties and agent hang-ups are allowed.
    """
    if scenario.callers.has_classes:
        return "callers differ in priority or needs"
    for agent in scenario.agents:
        if len(agent.memberships) != 1:
            return f"agent {agent.name} serves several queues"
        if not agent.ring.is_zero or agent.ring_no_answer_probability > 0:
            return f"agent {agent.name} rings before answering"
        if agent.shift is not None or agent.pauses:
            return f"agent {agent.name} has a shift or pauses"
    for queue in scenario.queues:
        name = queue.name
        if queue.transfer is not None:
            return f"queue {queue.name} transfers calls"
        if not exact:
            continue
        if queue.strategy is not Strategy.LEASTRECENT:
            return f"queue {queue.name} uses {queue.strategy.value}, not leastrecent"
        if queue.agent_hangup_share > 0:
            # Who hangs up is drawn in a different order here than in the event engine.
            return f"queue {queue.name} has agents hanging up first"
        penalties = {m.penalty for a in scenario.agents for m in a.memberships if m.queue == name}
        if len(penalties) > 1:
            return f"queue {queue.name} has members with different penalties"
    return None


ANSWERED, ABANDONED, TIMED_OUT = VisitOutcome.ANSWERED, VisitOutcome.ABANDONED, VisitOutcome.TIMEOUT
INBOUND = Direction.INBOUND
ANSWERED_CALL = CallOutcome.ANSWERED
# The outcome of a call whose only visit ended so.
CALL_OUTCOME = {
    ANSWERED: CallOutcome.ANSWERED,
    ABANDONED: CallOutcome.ABANDONED,
    TIMED_OUT: CallOutcome.TIMEOUT,
}

# One caller's step: (id, linkedid, arrival time, number, name, talk, patience) -> its trace.
Serve = Callable[[int, str, float, str, "str | None", float, "float | None"], CallTrace]
# A caller as the arrival streams give it: (queue, arrival time, number, name, talk, patience).
Caller = tuple["_Pool", float, str, "str | None", float, "float | None"]


class _Pool:
    """One queue's agents (when each is next free), its waiting callers and its settings."""

    __slots__ = (
        "arrival", "busy_s", "dialed", "draws", "free", "hangup", "hangup_share", "idle_s",
        "leaving", "name", "names", "patience", "rate_s", "serve", "spec", "talk", "timeout",
        "wrap",
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
        self.dialed = spec.dialed
        # Mean seconds between arrivals when the rate is constant (None: by profile).
        rate = spec.arrival_rate_per_hour
        self.rate_s = 3600.0 / rate if spec.arrival_profile is None and rate > 0 else None
        self.busy_s = 0.0
        self.idle_s = 0.0
        self.serve = self._step()

    def _step(self) -> Serve:
        """The step for one caller of this queue, with the queue's settings bound once."""
        pool, queue, dialed, names = self, self.name, self.dialed, self.names
        free, leaving = self.free, self.leaving
        timeout, wrap, share, hangup = self.timeout, self.wrap, self.hangup_share, self.hangup
        new_visit, new_trace = VisitTrace._make, CallTrace._make

        def serve(
            ident: int,
            linkedid: str,
            t: float,
            number: str,
            name: str | None,
            talk: float,
            patience: float | None,
        ) -> CallTrace:
            """One caller arriving at `t`: answered by the agent free first, or gone at its
            limit."""
            if leaving and leaving[0] <= t:
                del leaving[: bisect_right(leaving, t)]
            position = len(leaving) + 1
            free_at, agent = free[0]
            start = free_at if free_at > t else t
            limit, outcome = patience, ABANDONED
            if timeout is not None and (limit is None or timeout < limit):
                limit, outcome = timeout, TIMED_OUT
            if limit is not None and start - t > limit:
                end = t + limit
                exit_position = 1 + len(leaving) - bisect_right(leaving, end)
                insort(leaving, end)
                hangup_by = "caller" if outcome is ABANDONED else None
                visit = new_visit((
                    queue, outcome, t, end, position, None, end - t, None, None, 0, None,
                    exit_position, hangup_by,
                ))  # fmt: skip
                return new_trace((
                    ident, linkedid, INBOUND, t, end, CALL_OUTCOME[outcome], number, name,
                    dialed, None, None, None, None, hangup_by, (visit,),
                ))  # fmt: skip
            if start > t:
                insort(leaving, start)
            end = start + talk
            if free_at < start:
                pool.idle_s += start - free_at
            heapreplace(free, (end + wrap, agent))
            talked = end - start
            pool.busy_s += talked + wrap
            hangup_by = "agent" if share > 0 and hangup() < share else "caller"
            agent_name = names[agent]
            visit = new_visit((
                queue, ANSWERED, t, end, position, agent_name, start - t, 0.0, talked, 0, None,
                None, hangup_by,
            ))  # fmt: skip
            return new_trace((
                ident, linkedid, INBOUND, t, end, ANSWERED_CALL, number, name, dialed,
                start, talked, agent_name, None, hangup_by, (visit,),
            ))  # fmt: skip

        return serve

    def close_idle_time(self, end_of_run: float) -> None:
        """Book the idle time of agents free before the run ended."""
        for free_at, _ in self.free:
            if free_at < end_of_run:
                self.idle_s += end_of_run - free_at


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
        *,
        exact: bool = True,
    ) -> None:
        reason = unsupported_reason(scenario, exact=exact)
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
        until = hours * 3600.0 if hours is not None else math.inf
        left = calls if calls is not None else -1  # -1: no limit on the number of calls
        pools = [self.pools[spec.name] for spec in self.scenario.queues]
        paused_gc = gc.isenabled()
        gc.disable()
        try:
            if len(pools) == 1 and pools[0].rate_s is not None:
                self._serve_one_queue(pools[0], left, until, progress)
            else:
                self._serve_all(self._callers_by_arrival(pools, left, until), progress)
        finally:
            if paused_gc:
                gc.enable()
        for pool in pools:
            pool.close_idle_time(self.now)

    def _serve_all(self, callers: Iterator[Caller], progress: Callable[[int], None] | None) -> None:
        """Each caller, in order of arrival, through its queue's step (`_Pool.serve`)."""
        epoch = self.clock.epoch
        on_call_end = self.on_call_end
        end_of_run = 0.0
        ident = 0
        for pool, t, number, name, talk, patience in callers:
            trace = pool.serve(ident, f"{int(epoch + t)}.{ident}", t, number, name, talk, patience)
            ident += 1
            end = trace.ended_at
            if end > end_of_run:
                end_of_run = end
            if on_call_end is not None:
                on_call_end(trace)
            if progress is not None and not ident & 0x1FFF:
                progress(ident)
        self.finished = ident
        self.now = end_of_run
        if progress is not None:
            progress(ident)

    def _callers_by_arrival(self, pools: list[_Pool], left: int, until: float) -> Iterator[Caller]:
        """Every queue's callers merged in order of arrival (any arrival profile)."""
        start_clock = self._start_clock_s
        arrivals: list[tuple[float, int]] = []
        for index, pool in enumerate(pools):
            at = next_arrival(pool.spec, pool.draws.arrival, start_clock, 0.0)
            if at is not None and at <= until:
                heapq.heappush(arrivals, (at, index))
        next_caller = self.draws.callers.next_caller
        while arrivals and left:
            t, index = arrivals[0]
            pool = pools[index]
            mean_gap = pool.rate_s
            if mean_gap is not None:
                after: float | None = t + pool.arrival() * mean_gap
            else:
                after = next_arrival(pool.spec, pool.arrival, start_clock, t)
            if after is None or after > until:
                heapq.heappop(arrivals)
            else:
                heapq.heapreplace(arrivals, (after, index))
            left -= 1
            number, name = next_caller()
            talk = pool.talk()
            patience = pool.patience() if pool.patience is not None else None
            yield pool, t, number, name, talk, patience

    def _serve_one_queue(
        self, pool: _Pool, left: int, until: float, progress: Callable[[int], None] | None
    ) -> None:
        """`_serve_all` for one queue at a constant rate, the common case, made lean.

        Every unconditional draw (arrival gap, talk, patience, and the unknown number when no
        caller is known) is taken by iterating its stream in `zip`, the rest by calls, so each
        stream gives the same values to the same callers as `_callers_by_arrival` and the
        engine; callers go straight to the step, without a generator between.
        """
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
        gaps = _values(pool.arrival)
        talks = _values(pool.talk)
        no_patience: Callable[[], float | None] = lambda: None  # noqa: E731
        patiences = _values(pool.patience or no_patience)
        # Unknown numbers are drawn for every caller only when nobody is a known customer.
        no_number: Callable[[], int] = lambda: 0  # noqa: E731
        unknowns = _values(unknown_draw if pick_known is None else no_number)
        serve, epoch, on_call_end = pool.serve, self.clock.epoch, self.on_call_end
        end_of_run = 0.0
        ident = 0
        for gap, talk, patience, unknown in zip(gaps, talks, patiences, unknowns, strict=False):
            if not left:
                break
            left -= 1
            after = t + gap * mean_gap
            if pick_known is None:  # seven digits, as `CallerDraws.next_caller` writes them
                number, name = prefix + str(unknown).zfill(7), None
            elif known_draw() < known_share:
                known = pick_known()
                number = known_numbers[known]
                name = known_names[known] if known_names else None
            else:
                number, name = prefix + str(unknown_draw()).zfill(7), None
            trace = serve(ident, f"{int(epoch + t)}.{ident}", t, number, name, talk, patience)
            ident += 1
            end = trace.ended_at
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
        if progress is not None:
            progress(ident)
