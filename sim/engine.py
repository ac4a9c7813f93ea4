"""The simulation engine: a call center as a discrete-event simulation, for fast and live runs.

One `Engine` holds its own timeline of events and draws every random number from the seeded
`numpy.random.Generator` it is given (never global state), so a scenario and a seed fix the run.

Fast mode (capacity planning, KPI validation: `sim.run`)::

    engine = Engine(scenario, np.random.default_rng(seed), on_call_end=collect)
    engine.run(calls=100_000)            # or hours=8; then the center drains

`on_call_end(trace)` receives each finished call as a `CallTrace` (simulated seconds);
`engine.call_record(trace)` turns it into the same immutable `CallRecord` the CTI tracker
writes. With no observer the engine skips all callbacks, and runs the frequent events of a
common center (agents answering at once, one queue each) inline (`sim.direct_run`).

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
from functools import partial
from typing import Any

import numpy as np

from callcenter.calls.records import AgentState, CallOutcome, CallRecord, Direction, VisitOutcome
from sim.arrivals import Arrivals
from sim.call_events import CallEvents
from sim.call_flow import DIALING, ENDED, RETRYING, RINGING, TALKING, WRAP_UP, CallFlow
from sim.direct_run import fits_direct_run, run_direct
from sim.distributions import Draws
from sim.inbound import InboundRouting, Route
from sim.observer import EngineObserver
from sim.records import CallTrace
from sim.scenario import Scenario
from sim.staff import Staff
from sim.state import CallPhase, SimAgent, SimCall, SimQueue
from sim.timeline import (
    ANSWER,
    ARRIVAL,
    DIAL_ANSWER,
    DIAL_GIVE_UP,
    PATIENCE,
    PAUSE_END,
    PAUSE_START,
    RELAX_NEED,
    RETRY,
    RING_OUT,
    SHIFT_END,
    SHIFT_START,
    TALK_END,
    TIMEOUT,
    WRAP_END,
    Event,
    Timeline,
)

__all__ = ["CallTrace", "Engine", "EngineObserver", "SimAgent", "SimCall"]


class Engine:
    """A running simulated call center (see the module docstring for both ways to drive it).

    Its collaborators share one timeline, the queues and the observer: `staff` (who is free,
    logins, pauses, shifts), `flow` (calls through queues and agents) and `arrivals` (when
    callers come); the engine runs the events in time order and offers the control methods.
    """

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
        self.scenario = scenario
        self.observer = observer
        self.timeline = Timeline(scenario.start)
        draws = Draws(scenario, rng)
        self.queues = {s.name: SimQueue(s, draws.queues[s.name]) for s in scenario.queues}
        self.agents: dict[str, SimAgent] = {}
        for agent_spec in scenario.agents:
            agent = SimAgent(agent_spec, draws.agents[agent_spec.name])
            self.agents[agent.name] = agent
            for membership in agent_spec.memberships:
                self.queues[membership.queue].member_order.append(agent)
        self.staff = Staff(self.timeline, self.queues, self.agents, observer)
        self.flow = CallFlow(
            scenario,
            self.timeline,
            self.staff,
            draws,
            observer,
            on_call_end=on_call_end,
            live_humans=live_humans,
        )
        self.staff.offer = self.flow.ring
        self.inbound = InboundRouting(self.flow, self.staff, self.timeline)
        self.arrivals = Arrivals(self.timeline, self.flow)
        self._handlers = self._event_handlers()
        self.staff.plan()
        if auto_arrivals:
            for queue in self.queues.values():
                self.arrivals.schedule(queue)

    @property
    def now(self) -> float:
        """Simulated seconds since the scenario start."""
        return self.timeline.now

    @property
    def calls(self) -> dict[int, SimCall]:
        """Calls in progress, by id."""
        return self.flow.calls

    @property
    def finished(self) -> int:
        """How many calls have ended."""
        return self.flow.finished

    def call_record(self, call: CallTrace) -> CallRecord:
        """The immutable record of a finished call (same shape as the CTI's)."""
        return self.flow.call_record(call)

    # -- stepping -----------------------------------------------------------------------------

    def next_event_time(self) -> float | None:
        """When the next event that still matters is due (simulated seconds), or None.

        Events made moot since they were scheduled (the patience of a caller already answered,
        the talk end of a call hung up from the console) are dropped here, so a live PBX
        never wakes up for nothing.
        """
        heap = self.timeline.heap
        while heap:
            _, _, kind, subject, token, _ = heap[0]
            if self._still_due(kind, subject, token):
                return heap[0][0]
            heapq.heappop(heap)
        return None

    def run_until(self, t: float) -> None:
        """Handle every event due at or before `t`, then set the clock to `t`."""
        heap, step = self.timeline.heap, self._step
        while heap and heap[0][0] <= t:
            step(heapq.heappop(heap))
        self.timeline.now = max(self.timeline.now, t)

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
        flow, arrivals = self.flow, self.arrivals
        if calls is None and hours is None and arrivals.pending:
            raise ValueError("give calls or hours: the scenario's arrivals never stop")
        if calls is not None:
            arrivals.left = calls
        if hours is not None:
            arrivals.until = hours * 3600.0
            arrivals.drop(arrivals.until)
        heap = self.timeline.heap
        active = flow.calls
        if progress is None and fits_direct_run(flow):
            # The common center unwatched: its frequent events inline, the same calls.
            run_direct(self.timeline, flow, arrivals, self._handlers)
        elif progress is None:
            timeline, handlers = self.timeline, self._handlers
            pop = heapq.heappop
            while heap and (arrivals.pending or active):
                at, _, kind, subject, token, extra = pop(heap)
                timeline.now = at
                handlers[kind](subject, token, extra)
        else:
            self._drain_reporting(lambda: bool(arrivals.pending or active), progress)
        self._close_idle_time()
        if progress is not None:
            progress(flow.finished)

    def _close_idle_time(self) -> None:
        """Book the idle time of agents still free, so occupancy covers the whole run."""
        staff = self.staff
        for agent in self.agents.values():
            if agent.idle_since is not None:
                staff.take_out(agent)
                staff.make_available(agent)

    def _drain_reporting(self, going: Callable[[], bool], progress: Callable[[int], None]) -> None:
        """`_drain`, calling `progress(finished)` every few thousand events."""
        heap, step, flow = self.timeline.heap, self._step, self.flow
        handled = 0
        while heap and going():
            step(heapq.heappop(heap))
            handled += 1
            if not handled & 0x1FFF:
                progress(flow.finished)

    def _step(self, event: Event) -> None:
        """Handle one event taken off the timeline; stale events are dropped."""
        at, _, kind, subject, token, extra = event
        self.timeline.now = at
        self._handlers[kind](subject, token, extra)

    def _event_handlers(self) -> tuple[Callable[[Any, Any, Any], None], ...]:
        """What each kind of event does, indexed by kind; each drops its event if stale."""
        calls, staff = CallEvents(self.flow), self.staff
        handlers: dict[int, Callable[[Any, Any, Any], None]] = {
            ARRIVAL: self.arrivals.on_arrival,
            ANSWER: calls.on_answer,
            RING_OUT: calls.on_ring_out,
            TALK_END: calls.on_talk_end,
            PATIENCE: calls.on_patience,
            TIMEOUT: calls.on_timeout,
            WRAP_END: staff.on_wrap_end,
            RETRY: calls.on_retry,
            DIAL_ANSWER: calls.on_dial_answer,
        }
        for kind in (SHIFT_START, SHIFT_END, PAUSE_START, PAUSE_END):
            handlers[kind] = partial(staff.on_plan, kind)
        handlers[DIAL_GIVE_UP] = self.inbound.on_give_up
        handlers[RELAX_NEED] = self.inbound.on_relax
        return tuple(handlers[kind] for kind in range(len(handlers)))

    def _still_due(self, kind: int, subject: object, token: object) -> bool:
        """Whether a scheduled event still matters (the same tests `_step` makes)."""
        if kind == WRAP_END:
            agent: SimAgent = subject  # type: ignore[assignment]
            return agent.wrap == token and agent.activity is WRAP_UP
        if not isinstance(subject, SimCall):
            return True
        if kind in (PATIENCE, TIMEOUT):
            return subject.visit == token and subject.phase not in (TALKING, ENDED)
        if kind == RELAX_NEED:
            return subject.visit == token and subject.phase in (CallPhase.QUEUED, RINGING, RETRYING)
        wanted = {TALK_END: TALKING, ANSWER: RINGING, RING_OUT: RINGING, RETRY: RETRYING}
        phase = wanted.get(kind, DIALING)
        return subject.step == token and subject.phase is phase

    # -- agents (what a console or supervisor does through the PBX) ---------------------------

    def agent(self, name: str) -> SimAgent:
        """The agent with this member name or interface (KeyError if none)."""
        return self.staff.agent(name)

    def login(self, agent: SimAgent | str, queue: str, penalty: int | None = None) -> None:
        """Add the agent to `queue` (AMI QueueAdd); its scenario penalty unless given."""
        self.staff.login(agent, queue, penalty)

    def logout(self, agent: SimAgent | str, queue: str) -> None:
        """Remove the agent from `queue` (AMI QueueRemove); a call in progress goes on."""
        self.staff.logout(agent, queue)

    def pause(
        self, agent: SimAgent | str, reason: str | None = None, queue: str | None = None
    ) -> None:
        """Pause the agent in `queue`, or in all its queues (AMI QueuePause Paused=true)."""
        self.staff.pause(agent, reason, queue)

    def unpause(self, agent: SimAgent | str, queue: str | None = None) -> None:
        """Unpause the agent in `queue`, or in all its queues."""
        self.staff.unpause(agent, queue)

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
        *,
        dialed: str | None = None,
    ) -> SimCall:
        """A caller dials `queue` now (a scripted call, on top of the scenario's arrivals).

        With `dialed` (one of the queue's numbers) the caller dials that number and goes
        through the PBX's routing like the scenario's callers; without, straight into `queue`.
        """
        target = self.queues[queue]
        call = self.flow.new_call(target, Direction.INBOUND)
        if caller_number is not None:  # the script's caller: no class of the scenario's
            call.caller_number = caller_number
            call.caller_name = caller_name
            call.caller_class, call.priority, call.need = "regular", 0, None
        target.arrivals += 1
        if dialed is not None:
            call.dialed_number = dialed
            self.flow.arrive(call, target)
        else:
            self.flow.enter(call, target)
        return call

    def route(self, call: SimCall | int | str, route: Route) -> None:
        """Send a caller held by the PBX's routing where the routing server said."""
        target = call if isinstance(call, SimCall) else self.call(call)
        self.inbound.route(target, route)

    def hangup(self, call: SimCall | int | str, by: str = "agent") -> None:
        """Hang up a call now: a talking call ends (hung up by `by`), a waiting or ringing
        caller abandons, an outbound call still dialling fails."""
        target = call if isinstance(call, SimCall) else self.call(call)
        phase = target.phase
        if phase is CallPhase.TALKING:
            target.planned_transfer = None  # a hang-up overrides a transfer the scenario planned
            self.flow.end_talk(target, by)
        elif phase is CallPhase.ROUTING:
            target.hangup_by = by
            self.inbound.turn_away(target, CallOutcome.ABANDONED)
        elif phase is CallPhase.DIALING:
            agent = target.agent
            target.step += 1
            target.agent = None
            target.hangup_by = by
            if agent is not None:
                self.flow.after_call(agent, None)
            self.flow.finish(target, CallOutcome.FAILED)
        elif phase is not CallPhase.ENDED:
            self.flow.leave_queue(target, VisitOutcome.ABANDONED)

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
        self.flow.end_talk(found, None, transfer_to=target)

    def originate(self, agent: SimAgent | str, number: str, answer_after_s: float = 3.0) -> SimCall:
        """An outbound call from the agent to `number`; the customer answers after
        `answer_after_s`. Raises ValueError if the agent is busy."""
        member = self.agent(agent) if isinstance(agent, str) else agent
        if member.activity is not AgentState.AVAILABLE:
            raise ValueError(f"agent {member.name} is busy")
        call = self.flow.new_call(None, Direction.OUTBOUND)
        call.caller_number = member.interface.rsplit("/", 1)[-1]
        call.caller_name = member.name
        call.dialed_number = number
        call.phase = CallPhase.DIALING
        call.agent = member
        call.step += 1
        self.staff.take_out(member)
        member.activity = AgentState.ON_CALL
        member.call = call
        self.staff.report(member)
        self.timeline.push(self.now + answer_after_s, DIAL_ANSWER, call, call.step, member)
        return call
