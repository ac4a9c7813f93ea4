"""The agents' side of the engine: availability, logins, pauses, shifts and time accounting."""

from __future__ import annotations

from collections.abc import Callable

from callcenter.calls.records import AgentState
from sim.observer import EngineObserver
from sim.routing import pick_call
from sim.scenario import DAY_S, Pause
from sim.state import SimAgent, SimCall, SimQueue
from sim.timeline import PAUSE_END, PAUSE_START, SHIFT_END, SHIFT_START, Timeline

AVAILABLE, WRAP_UP = AgentState.AVAILABLE, AgentState.WRAP_UP


class Staff:
    """The simulated agents: who is free for which queue, logins, pauses and shifts.

    Shares the engine's timeline, queues and observer. `offer(call, [agent])` is the call
    flow's ring, set once both exist: a freed agent takes the best waiting caller through it.
    """

    def __init__(
        self,
        timeline: Timeline,
        queues: dict[str, SimQueue],
        agents: dict[str, SimAgent],
        observer: EngineObserver | None,
    ) -> None:
        self.timeline = timeline
        self.queues = queues
        self.agents = agents
        self.observer = observer
        self.offer: Callable[[SimCall, list[SimAgent]], None] = _nobody_rings

    # -- availability ---------------------------------------------------------------------

    def report(self, agent: SimAgent) -> None:
        """Tell the observer if the agent's overall state or pause reason changed."""
        observer = self.observer
        if observer is None:
            return
        state = agent.state
        reason = agent.pause_reason if state is AgentState.PAUSED else None
        if state is not agent.reported or reason != agent.reported_reason:
            agent.reported, agent.reported_reason = state, reason
            observer.agent_state_changed(self.timeline.now, agent, state, reason)

    def take_out(self, agent: SimAgent) -> None:
        """Take a free agent out of every queue's free list, booking its idle time."""
        since = agent.idle_since
        if since is None:
            return
        idle = self.timeline.now - since
        agent.idle_since = None
        queues = self.queues
        for name in agent.memberships:
            queue = queues[name]
            available = queue.available
            if agent in available:
                del available[agent]
                queue.idle_s += idle

    def free(self, agent: SimAgent) -> None:
        """The agent has nothing to do: take the best waiting caller, or wait for one."""
        agent.activity = AVAILABLE
        agent.call = None
        if agent.memberships:
            call = pick_call(agent, self.queues)
            if call is not None:
                self.offer(call, [agent])
                return
            self.make_available(agent)
        if self.observer is not None:
            self.report(agent)

    def on_wrap_end(self, agent: SimAgent, wrap: int, _extra: None) -> None:
        """The agent's wrap-up is over (unless it has moved on since)."""
        if agent.wrap == wrap and agent.activity is WRAP_UP:
            self.free(agent)

    def make_available(self, agent: SimAgent) -> None:
        if agent.idle_since is not None:
            self.take_out(agent)
        agent.idle_since = self.timeline.now
        paused = agent.paused
        queues = self.queues
        if paused:
            for name in agent.memberships:
                if name not in paused:
                    queues[name].available[agent] = None
        else:
            for name in agent.memberships:
                queues[name].available[agent] = None

    def refresh(self, agent: SimAgent) -> None:
        """Re-evaluate a free agent after a login/pause change."""
        if agent.activity is AgentState.AVAILABLE:
            self.take_out(agent)
            self.free(agent)
        else:
            self.report(agent)

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
        self.take_out(member)
        member.memberships[queue] = penalty
        target.members[member] = penalty
        target.penalties_differ = len(set(target.members.values())) > 1
        if member not in target.member_order:
            target.member_order.append(member)
        if self.observer is not None:
            self.observer.member_added(self.timeline.now, member, queue, penalty)
        self.refresh(member)

    def logout(self, agent: SimAgent | str, queue: str) -> None:
        """Remove the agent from `queue` (AMI QueueRemove); a call in progress goes on."""
        member = self.agent(agent) if isinstance(agent, str) else agent
        target = self.queues[queue]
        if member not in target.members:
            return
        self.take_out(member)
        del member.memberships[queue]
        member.paused.pop(queue, None)
        del target.members[member]
        target.penalties_differ = len(set(target.members.values())) > 1
        if self.observer is not None:
            self.observer.member_removed(self.timeline.now, member, queue)
        self.refresh(member)

    def pause(
        self, agent: SimAgent | str, reason: str | None = None, queue: str | None = None
    ) -> None:
        """Pause the agent in `queue`, or in all its queues (AMI QueuePause Paused=true).

        A call in progress goes on; the agent is offered no new call until unpaused.
        """
        member = self.agent(agent) if isinstance(agent, str) else agent
        names = [queue] if queue is not None else list(member.memberships)
        self.take_out(member)
        for name in names:
            if name in member.memberships:
                member.paused[name] = reason
                if self.observer is not None:
                    self.observer.member_paused(self.timeline.now, member, name, True, reason)
        self.refresh(member)

    def unpause(self, agent: SimAgent | str, queue: str | None = None) -> None:
        """Unpause the agent in `queue`, or in all its queues."""
        member = self.agent(agent) if isinstance(agent, str) else agent
        names = [queue] if queue is not None else list(member.paused)
        self.take_out(member)
        for name in names:
            if name in member.paused:
                del member.paused[name]
                if self.observer is not None:
                    self.observer.member_paused(self.timeline.now, member, name, False, None)
        self.refresh(member)

    # -- shifts and scheduled pauses --------------------------------------------------------

    def plan(self) -> None:
        """Log agents in at the start (or schedule their shift) and schedule their pauses."""
        for agent in self.agents.values():
            shift = agent.spec.shift
            on_duty = shift is None or self.timeline.in_clock_range(shift.start_s, shift.end_s)
            if on_duty:
                self.shift_start(agent)
            if shift is not None:
                first = SHIFT_END if on_duty else SHIFT_START
                clock = shift.end_s if on_duty else shift.start_s
                self.timeline.push(self.timeline.next_clock(clock, 0.0), first, agent)
            for pause in agent.spec.pauses:
                into = (self.timeline.start_clock_s - pause.at_s) % DAY_S
                if into < pause.duration_s and agent.memberships:
                    # The run starts during this pause: the agent is already paused.
                    self.pause(agent, pause.reason)
                    self.timeline.push(pause.duration_s - into, PAUSE_END, agent, pause)
                    self.timeline.push(
                        self.timeline.next_clock(pause.at_s, 0.0, strictly=True),
                        PAUSE_START,
                        agent,
                        pause,
                    )
                else:
                    self.timeline.push(
                        self.timeline.next_clock(pause.at_s, 0.0), PAUSE_START, agent, pause
                    )

    def shift_start(self, agent: SimAgent) -> None:
        for membership in agent.spec.memberships:
            self.login(agent, membership.queue, membership.penalty)

    def on_plan(self, kind: int, agent: SimAgent, pause: Pause | None, _extra: None) -> None:
        shift = agent.spec.shift
        if kind == SHIFT_START and shift is not None:
            self.shift_start(agent)
            self.timeline.push(
                self.timeline.next_clock(shift.end_s, self.timeline.now, strictly=True),
                SHIFT_END,
                agent,
            )
        elif kind == SHIFT_END and shift is not None:
            for name in list(agent.memberships):
                self.logout(agent, name)
            self.timeline.push(
                self.timeline.next_clock(shift.start_s, self.timeline.now, strictly=True),
                SHIFT_START,
                agent,
            )
        elif kind == PAUSE_START and pause is not None:
            self.pause(agent, pause.reason)
            self.timeline.push(self.timeline.now + pause.duration_s, PAUSE_END, agent, pause)
            self.timeline.push(
                self.timeline.next_clock(pause.at_s, self.timeline.now, strictly=True),
                PAUSE_START,
                agent,
                pause,
            )
        elif kind == PAUSE_END:
            self.unpause(agent)


def _nobody_rings(call: SimCall, agents: list[SimAgent]) -> None:
    raise RuntimeError("the staff was not given a call flow to offer calls through")
