"""The agents' side of the engine: availability, logins, pauses, shifts and time accounting."""

from __future__ import annotations

import heapq
import itertools
from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from callcenter.calls.records import AgentState
from sim.distributions import Draws
from sim.observer import EngineObserver
from sim.routing import pick_call
from sim.scenario import DAY_S, Pause, Scenario
from sim.state import QueueState, SimAgent, SimCall

# Event kinds, in one table so every heap entry is (time, seq, kind, subject, token, extra).
ARRIVAL, ANSWER, RING_OUT, TALK_END, PATIENCE, TIMEOUT, WRAP_END, RETRY, DIAL_ANSWER = range(9)
SHIFT_START, SHIFT_END, PAUSE_START, PAUSE_END = range(9, 13)

Event = tuple[float, int, int, Any, Any, Any]


class AgentDesk(ABC):
    """Agents and the clock: the part of the engine that knows who can take a call."""

    def __init__(
        self, scenario: Scenario, rng: np.random.Generator, observer: EngineObserver | None
    ) -> None:
        self.scenario = scenario
        self.rng = rng
        self.observer = observer
        self.now = 0.0
        self._heap: list[Event] = []
        self._seq = itertools.count()
        start = scenario.start
        self._start_clock_s = start.hour * 3600.0 + start.minute * 60.0 + start.second
        self.draws = Draws(scenario, rng)
        self.queues: dict[str, QueueState] = {}
        for spec in scenario.queues:
            self.queues[spec.name] = QueueState(spec, self.draws.queues[spec.name])
        self.agents: dict[str, SimAgent] = {}
        for agent_spec in scenario.agents:
            agent = SimAgent(agent_spec, self.draws.agents[agent_spec.name])
            self.agents[agent.name] = agent
            for membership in agent_spec.memberships:
                self.queues[membership.queue].member_order.append(agent)

    # -- time -----------------------------------------------------------------------------

    def _push(
        self, at: float, kind: int, subject: Any, token: Any = None, extra: Any = None
    ) -> None:
        heapq.heappush(self._heap, (at, next(self._seq), kind, subject, token, extra))

    def next_clock(self, clock_s: float, after: float, *, strictly: bool = False) -> float:
        """The first simulated time >= `after` (> with `strictly`) at which the wall clock
        reads `clock_s`."""
        today = (self._start_clock_s + after) % DAY_S
        delta = (clock_s - today) % DAY_S
        if strictly and delta == 0:
            delta = DAY_S
        return after + delta

    # -- abstract: the call side ----------------------------------------------------------

    @abstractmethod
    def _ring(self, call: SimCall, agents: list[SimAgent]) -> None:
        """Start ringing `agents` for `call` (defined by the call flow)."""

    # -- availability ---------------------------------------------------------------------

    def _report(self, agent: SimAgent) -> None:
        """Tell the observer if the agent's overall state or pause reason changed."""
        observer = self.observer
        if observer is None:
            return
        state = agent.state
        reason = agent.pause_reason if state is AgentState.PAUSED else None
        if state is not agent.reported or reason != agent.reported_reason:
            agent.reported, agent.reported_reason = state, reason
            observer.agent_state_changed(self.now, agent, state, reason)

    def _unavailable(self, agent: SimAgent) -> None:
        """Take a free agent out of every queue's free list, booking its idle time."""
        since = agent.idle_since
        if since is None:
            return
        idle = self.now - since
        agent.idle_since = None
        queues = self.queues
        for name in agent.memberships:
            queue = queues[name]
            if agent in queue.available:
                del queue.available[agent]
                queue.idle_s += idle

    def _free(self, agent: SimAgent) -> None:
        """The agent has nothing to do: take the best waiting caller, or wait for one."""
        agent.activity = AgentState.AVAILABLE
        agent.call = None
        if agent.memberships:
            call = pick_call(agent, self.queues)
            if call is not None:
                self._ring(call, [agent])
                return
            self._make_available(agent)
        if self.observer is not None:
            self._report(agent)

    def _make_available(self, agent: SimAgent) -> None:
        if agent.idle_since is not None:
            self._unavailable(agent)
        agent.idle_since = self.now
        paused = agent.paused
        queues = self.queues
        for name in agent.memberships:
            if name not in paused:
                queues[name].available[agent] = None

    def _refresh(self, agent: SimAgent) -> None:
        """Re-evaluate a free agent after a login/pause change."""
        if agent.activity is AgentState.AVAILABLE:
            self._unavailable(agent)
            self._free(agent)
        else:
            self._report(agent)

    # -- logins and pauses ----------------------------------------------------------------

    def agent(self, name: str) -> SimAgent:
        """The agent with this member name or interface (KeyError if none)."""
        found = self.agents.get(name)
        if found is not None:
            return found
        for agent in self.agents.values():
            if agent.interface == name:
                return agent
        raise KeyError(name)

    def login(self, agent: SimAgent | str, queue: str, penalty: int | None = None) -> None:
        """Add the agent to `queue` (AMI QueueAdd); its scenario penalty unless given."""
        member = self.agent(agent) if isinstance(agent, str) else agent
        target = self.queues[queue]
        if penalty is None:
            penalty = next((m.penalty for m in member.spec.memberships if m.queue == queue), 0)
        if member in target.members:
            return
        self._unavailable(member)
        member.memberships[queue] = penalty
        target.members[member] = penalty
        if member not in target.member_order:
            target.member_order.append(member)
        if self.observer is not None:
            self.observer.member_added(self.now, member, queue, penalty)
        self._refresh(member)

    def logout(self, agent: SimAgent | str, queue: str) -> None:
        """Remove the agent from `queue` (AMI QueueRemove); a call in progress goes on."""
        member = self.agent(agent) if isinstance(agent, str) else agent
        target = self.queues[queue]
        if member not in target.members:
            return
        self._unavailable(member)
        del member.memberships[queue]
        member.paused.pop(queue, None)
        del target.members[member]
        if self.observer is not None:
            self.observer.member_removed(self.now, member, queue)
        self._refresh(member)

    def pause(
        self, agent: SimAgent | str, reason: str | None = None, queue: str | None = None
    ) -> None:
        """Pause the agent in `queue`, or in all its queues (AMI QueuePause Paused=true).

        A call in progress goes on; the agent is offered no new call until unpaused.
        """
        member = self.agent(agent) if isinstance(agent, str) else agent
        names = [queue] if queue is not None else list(member.memberships)
        self._unavailable(member)
        for name in names:
            if name in member.memberships:
                member.paused[name] = reason
                if self.observer is not None:
                    self.observer.member_paused(self.now, member, name, True, reason)
        self._refresh(member)

    def unpause(self, agent: SimAgent | str, queue: str | None = None) -> None:
        """Unpause the agent in `queue`, or in all its queues."""
        member = self.agent(agent) if isinstance(agent, str) else agent
        names = [queue] if queue is not None else list(member.paused)
        self._unavailable(member)
        for name in names:
            if name in member.paused:
                del member.paused[name]
                if self.observer is not None:
                    self.observer.member_paused(self.now, member, name, False, None)
        self._refresh(member)

    # -- shifts and scheduled pauses --------------------------------------------------------

    def _plan_agents(self) -> None:
        """Log agents in at the start (or schedule their shift) and schedule their pauses."""
        for agent in self.agents.values():
            shift = agent.spec.shift
            on_duty = shift is None or self._in_shift(shift.start_s, shift.end_s)
            if on_duty:
                self._shift_start(agent)
            if shift is not None:
                first = SHIFT_END if on_duty else SHIFT_START
                clock = shift.end_s if on_duty else shift.start_s
                self._push(self.next_clock(clock, 0.0), first, agent)
            for pause in agent.spec.pauses:
                into = (self._start_clock_s - pause.at_s) % DAY_S
                if into < pause.duration_s and agent.memberships:
                    # The run starts during this pause: the agent is already paused.
                    self.pause(agent, pause.reason)
                    self._push(pause.duration_s - into, PAUSE_END, agent, pause)
                    self._push(
                        self.next_clock(pause.at_s, 0.0, strictly=True), PAUSE_START, agent, pause
                    )
                else:
                    self._push(self.next_clock(pause.at_s, 0.0), PAUSE_START, agent, pause)

    def _in_shift(self, start_s: float, end_s: float) -> bool:
        clock = self._start_clock_s % DAY_S
        if start_s < end_s:
            return start_s <= clock < end_s
        return clock >= start_s or clock < end_s

    def _shift_start(self, agent: SimAgent) -> None:
        for membership in agent.spec.memberships:
            self.login(agent, membership.queue, membership.penalty)

    def _on_agent_plan(self, kind: int, agent: SimAgent, pause: Pause | None) -> None:
        shift = agent.spec.shift
        if kind == SHIFT_START and shift is not None:
            self._shift_start(agent)
            self._push(self.next_clock(shift.end_s, self.now, strictly=True), SHIFT_END, agent)
        elif kind == SHIFT_END and shift is not None:
            for name in list(agent.memberships):
                self.logout(agent, name)
            self._push(self.next_clock(shift.start_s, self.now, strictly=True), SHIFT_START, agent)
        elif kind == PAUSE_START and pause is not None:
            self.pause(agent, pause.reason)
            self._push(self.now + pause.duration_s, PAUSE_END, agent, pause)
            self._push(
                self.next_clock(pause.at_s, self.now, strictly=True), PAUSE_START, agent, pause
            )
        elif kind == PAUSE_END:
            self.unpause(agent)
