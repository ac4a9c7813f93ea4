"""The simulation engine: a call center as a discrete-event simulation, for fast and live runs.

One `Engine` holds its own event heap and draws every random number from the seeded
`numpy.random.Generator` it is given (never global state), so a scenario and a seed fix the run.

Fast mode (capacity planning, KPI validation: `sim.run`)::

    engine = Engine(scenario, np.random.default_rng(seed), on_call_end=collect)
    engine.run(calls=100_000)            # or hours=8; then the center drains

`on_call_end(trace)` receives each finished call as a `CallTrace` (simulated seconds);
`engine.call_record(trace)` turns it into the same immutable `CallRecord` the CTI tracker
writes. With no observer the engine skips all
callbacks behind one `is None` test per step.

Live mode (the simulated PBX in `sim.pbx`): the PBX owns the wall clock and steps the engine::

    engine = Engine(scenario, rng, observer=pbx, live_humans=True)
    while True:
        engine.run_until(sim_seconds_now)   # handles every event due, in order
        wait_until(engine.next_event_time())  # or until an AMI action arrives

An `EngineObserver` (`sim.observer`) hears every call arrival, queue join, agent ring,
ring-no-answer, answer, abandon, queue timeout, transfer, call end (with its record), agent
state change, login/logout and pause, with the simulated time. Control methods act at
`engine.now` as a console's AMI actions would: `hangup` / `agent_hangup`, `pause` / `unpause`
(with reason, one queue or all), `login` / `logout` (QueueAdd / QueueRemove), `blind_transfer`
(to a queue or a number), `originate` (an agent's outbound call) and `inject_call` (a scripted
caller). With `live_humans=True`, calls answered by `human = true` agents have no planned end:
they last until `hangup`, or until the caller gives up after the agent's `max_talk_s`.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable

import numpy as np

from callcenter.calls.records import AgentState, CallOutcome, Direction, VisitOutcome
from sim.core import DIALING, ENDED, RETRYING, RINGING, TALKING, WRAP_UP, CallFlow
from sim.desk import (
    ANSWER,
    ARRIVAL,
    DIAL_ANSWER,
    PATIENCE,
    RETRY,
    RING_OUT,
    TALK_END,
    TIMEOUT,
    WRAP_END,
)
from sim.observer import EngineObserver
from sim.records import CallTrace
from sim.scenario import Scenario
from sim.state import CallPhase, SimAgent, SimCall

__all__ = ["CallTrace", "Engine", "EngineObserver", "SimAgent", "SimCall"]


class Engine(CallFlow):
    """A running simulated call center (see the module docstring for both ways to drive it)."""

    def __init__(
        self,
        scenario: Scenario,
        rng: np.random.Generator,
        observer: EngineObserver | None = None,
        *,
        on_call_end: Callable[[CallTrace], None] | None = None,
        live_humans: bool = False,
        auto_arrivals: bool = True,
    ) -> None:
        super().__init__(scenario, rng, observer, on_call_end=on_call_end, live_humans=live_humans)
        self._plan_agents()
        if auto_arrivals:
            for queue in self.queues.values():
                self._schedule_arrival(queue)

    # -- stepping -----------------------------------------------------------------------------

    def next_event_time(self) -> float | None:
        """When the next event that still matters is due (simulated seconds), or None.

        Events made moot since they were scheduled (the patience of a caller already answered,
        the talk end of a call hung up from the console) are dropped here, so a live PBX
        never wakes up for nothing.
        """
        heap = self._heap
        while heap:
            _, _, kind, subject, token, _ = heap[0]
            if self._still_due(kind, subject, token):
                return heap[0][0]
            heapq.heappop(heap)
        return None

    def run_until(self, t: float) -> None:
        """Handle every event due at or before `t`, then set the clock to `t`."""
        heap = self._heap
        while heap and heap[0][0] <= t:
            at, _, kind, subject, token, extra = heapq.heappop(heap)
            self.now = at
            self._dispatch(kind, subject, token, extra)
        self.now = max(self.now, t)

    def run(
        self,
        *,
        calls: int | None = None,
        hours: float | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Fast mode: let `calls` callers arrive (or arrivals run for `hours`), then drain.

        Stops once no arrival is pending and no call is in progress. `progress(finished)` is
        called every few thousand events. Python's cyclic garbage collector is paused during
        the run (the engine frees what it no longer needs by reference counting).
        """
        paused_gc = gc.isenabled()
        gc.disable()
        try:
            self._run(calls, hours, progress)
        finally:
            if paused_gc:
                gc.enable()

    def _run(
        self, calls: int | None, hours: float | None, progress: Callable[[int], None] | None
    ) -> None:
        if calls is None and hours is None and self._pending_arrivals:
            raise ValueError("give calls or hours: the scenario's arrivals never stop")
        if calls is not None:
            self.arrivals_left = calls
        if hours is not None:
            self.arrivals_until = hours * 3600.0
            self._drop_arrivals(self.arrivals_until)
        heap = self._heap
        pop = heapq.heappop
        dispatch = self._dispatch
        active = self.calls
        handled = 0
        while heap:
            if not self._pending_arrivals and not active:
                break
            at, _, kind, subject, token, extra = pop(heap)
            self.now = at
            dispatch(kind, subject, token, extra)
            handled += 1
            if progress is not None and not handled & 0x1FFF:
                progress(self.finished)
        self._close_idle_time()
        if progress is not None:
            progress(self.finished)

    def _close_idle_time(self) -> None:
        """Book the idle time of agents still free, so occupancy covers the whole run."""
        for agent in self.agents.values():
            if agent.idle_since is not None:
                self._unavailable(agent)
                self._make_available(agent)

    # -- outbound calls and the event dispatch ----------------------------------------------

    def _on_dial_answer(self, call: SimCall, agent: SimAgent) -> None:
        call.phase = TALKING
        step = call.step = call.step + 1
        call.answered_at = self.now
        call.first_answered_at = self.now
        call.last_agent = agent.name
        if self.observer is not None:
            self.observer.answered(self.now, call, agent)
        if self.live_humans and agent.human:
            self._push(self.now + agent.spec.max_talk_s, TALK_END, call, step, "caller")
        else:
            first = agent.spec.memberships[0].queue
            self._push(self.now + self.queues[first].draws.talk(), TALK_END, call, step)

    # -- the event loop -----------------------------------------------------------------------

    def _dispatch(self, kind: int, subject: object, token: object, extra: object) -> None:
        """Handle one popped event (`self.now` already set); stale events are dropped."""
        if kind == TALK_END:
            call: SimCall = subject  # type: ignore[assignment]
            if call.step == token and call.phase is TALKING:
                by = extra if extra is not None else self._hangup_side(call)
                self._end_talk(call, by)  # type: ignore[arg-type]
        elif kind == ARRIVAL:
            self._on_arrival(subject)  # type: ignore[arg-type]
        elif kind in (PATIENCE, TIMEOUT):
            call = subject  # type: ignore[assignment]
            if call.visit == token and call.phase is not TALKING and call.phase is not ENDED:
                self._leave_queue(
                    call, VisitOutcome.ABANDONED if kind == PATIENCE else VisitOutcome.TIMEOUT
                )
        elif kind == ANSWER:
            call = subject  # type: ignore[assignment]
            if call.step == token and call.phase is RINGING:
                self._answer(call, extra)  # type: ignore[arg-type]
        elif kind == WRAP_END:
            agent: SimAgent = subject  # type: ignore[assignment]
            if agent.wrap == token and agent.activity is WRAP_UP:
                self._free(agent)
        elif kind == RING_OUT:
            call = subject  # type: ignore[assignment]
            if call.step == token and call.phase is RINGING:
                self._on_ring_out(call)
        elif kind == RETRY:
            call = subject  # type: ignore[assignment]
            if call.step == token and call.phase is RETRYING:
                self._on_retry(call)
        elif kind == DIAL_ANSWER:
            call = subject  # type: ignore[assignment]
            if call.step == token and call.phase is DIALING:
                self._on_dial_answer(call, extra)  # type: ignore[arg-type]
        else:
            self._on_agent_plan(kind, subject, token)  # type: ignore[arg-type]

    def _still_due(self, kind: int, subject: object, token: object) -> bool:
        """Whether a scheduled event still matters (the same tests `_dispatch` makes)."""
        if kind == WRAP_END:
            agent: SimAgent = subject  # type: ignore[assignment]
            return agent.wrap == token and agent.activity is WRAP_UP
        if not isinstance(subject, SimCall):
            return True
        if kind in (PATIENCE, TIMEOUT):
            return subject.visit == token and subject.phase not in (TALKING, ENDED)
        wanted = {TALK_END: TALKING, ANSWER: RINGING, RING_OUT: RINGING, RETRY: RETRYING}
        phase = wanted.get(kind, DIALING)
        return subject.step == token and subject.phase is phase

    def _hangup_side(self, call: SimCall) -> str:
        queue = call.queue
        if queue is None or queue.spec.agent_hangup_share <= 0:
            return "caller"
        return "agent" if queue.draws.hangup() < queue.spec.agent_hangup_share else "caller"

    # -- control (what a console or supervisor does through the PBX) --------------------------

    def call(self, ident: int | str) -> SimCall:
        """A call in progress by id or linkedid (KeyError if it is not in progress)."""
        if isinstance(ident, int):
            return self.calls[ident]
        for call in self.calls.values():
            if call.linkedid == ident:
                return call
        raise KeyError(ident)

    def inject_call(
        self,
        queue: str,
        caller_number: str | None = None,
        caller_name: str | None = None,
    ) -> SimCall:
        """A caller dials `queue` now (a scripted call, on top of the scenario's arrivals)."""
        target = self.queues[queue]
        call = self._new_call(target, Direction.INBOUND)
        if caller_number is not None:
            call.caller_number = caller_number
            call.caller_name = caller_name
        target.arrivals += 1
        self._enter(call, target)
        return call

    def hangup(self, call: SimCall | int | str, by: str = "agent") -> None:
        """Hang up a call now: a talking call ends (hung up by `by`), a waiting or ringing
        caller abandons, an outbound call still dialling fails."""
        target = call if isinstance(call, SimCall) else self.call(call)
        phase = target.phase
        if phase is CallPhase.TALKING:
            target.planned_transfer = None  # a hang-up overrides a transfer the scenario planned
            self._end_talk(target, by)
        elif phase is CallPhase.DIALING:
            agent = target.agent
            target.step += 1
            target.agent = None
            target.hangup_by = by
            if agent is not None:
                self._after_call(agent, None)
            self._finish(target, CallOutcome.FAILED)
        elif phase is not CallPhase.ENDED:
            self._leave_queue(target, VisitOutcome.ABANDONED)

    def agent_hangup(self, agent: SimAgent | str) -> None:
        """The agent's console hangs up whatever call the agent is on."""
        member = self.agent(agent) if isinstance(agent, str) else agent
        if member.call is not None:
            self.hangup(member.call, by="agent")

    def blind_transfer(self, call: SimCall | int | str, target: str) -> None:
        """Blind-transfer a connected call to a queue (by name) or to a number."""
        found = call if isinstance(call, SimCall) else self.call(call)
        if found.phase is not CallPhase.TALKING:
            raise ValueError(f"call {found.linkedid} is not connected to an agent")
        found.planned_transfer = None
        self._end_talk(found, None, transfer_to=target)

    def originate(self, agent: SimAgent | str, number: str, answer_after_s: float = 3.0) -> SimCall:
        """An outbound call from the agent to `number`; the customer answers after
        `answer_after_s`. Raises ValueError if the agent is busy."""
        member = self.agent(agent) if isinstance(agent, str) else agent
        if member.activity is not AgentState.AVAILABLE:
            raise ValueError(f"agent {member.name} is busy")
        call = self._new_call(None, Direction.OUTBOUND)
        call.caller_number = member.interface.rsplit("/", 1)[-1]
        call.caller_name = member.name
        call.dialed_number = number
        call.phase = CallPhase.DIALING
        call.agent = member
        call.step += 1
        self._unavailable(member)
        member.activity = AgentState.ON_CALL
        member.call = call
        self._report(member)
        self._push(self.now + answer_after_s, DIAL_ANSWER, call, call.step, member)
        return call
