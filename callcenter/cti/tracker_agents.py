"""Agent-state tracking: each queue member's state as intervals, from membership and call events.

A pause whose reason is the wrap-up reason (`Settings.wrap_up_reason`, the one the console
pauses agents with after a call) is the wrap-up state, not a pause: its exact intervals are
attributed to the queue visit the agent answered last. Asterisk's own queue `wrapuptime`
(the member is not offered calls for a while after one) produces no AMI event at all, so it
cannot be seen here: the agent looks available meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from callcenter.calls.records import AgentState, AgentStateRecord
from callcenter.cti.agent_leg import device_of_interface
from callcenter.cti.pbx_events import MemberChanged, MemberChangeKind
from callcenter.cti.tracker_state import Visit, to_datetime
from callcenter.events import AgentStateChanged, AgentStateClosed, DomainEvent

log = logging.getLogger(__name__)

# QueueMemberStatus `Status` is the member's device state (AST_DEVICE_*).
_RINGING_STATUSES = frozenset({6, 7})  # RINGING, RINGINUSE
_BUSY_STATUSES = frozenset({2, 3, 8})  # INUSE, BUSY, ONHOLD
_UNREACHABLE_STATUSES = frozenset({4, 5})  # INVALID, UNAVAILABLE
_IDLE = 1
_IN_USE = 2


class Agent:
    """One queue member (keyed by its interface) and the interval it is in now."""

    __slots__ = (
        "device",
        "gap",
        "interface",
        "last_visit",
        "legs",
        "name",
        "published_queues",
        "queues",
        "reason",
        "rings",
        "since",
        "since_exact",
        "state",
        "status",
        "status_during_ring",
    )

    def __init__(self, interface: str, name: str, at: float) -> None:
        self.interface = interface
        self.name = name
        self.device: str | None = None
        self.queues: dict[str, tuple[bool, str | None]] = {}
        self.published_queues: tuple[str, ...] = ()  # the memberships listeners last heard of
        self.status: int | None = None
        self.status_during_ring = False
        self.rings: dict[str, float] = {}
        self.legs: dict[str, str] = {}
        self.state = AgentState.LOGGED_OUT
        self.reason: str | None = None
        self.since = at
        self.since_exact = False
        self.gap = False
        # The queue visit this agent answered last: the call a wrap-up follows.
        self.last_visit: Visit | None = None

    def derive(self, wrap_up_reason: str) -> tuple[AgentState, str | None]:
        """The state the facts add up to (a call outranks a pause: occupancy counts it)."""
        if not self.queues:
            return AgentState.LOGGED_OUT, None
        if self.legs:
            return AgentState.ON_CALL, None
        if self.rings or self.status in _RINGING_STATUSES:
            return AgentState.RINGING, None
        if self.status in _BUSY_STATUSES:
            return AgentState.ON_CALL, None
        if self.status in _UNREACHABLE_STATUSES:
            return AgentState.LOGGED_OUT, None
        pauses = list(self.queues.values())
        if all(paused for paused, _ in pauses):
            reason = next((reason for _, reason in pauses if reason), None)
            if reason == wrap_up_reason:
                return AgentState.WRAP_UP, reason
            return AgentState.PAUSED, reason
        return AgentState.AVAILABLE, None


class AgentTracker:
    """Turns membership, device-state and queue-call facts into agent-state intervals.

    An interval is published (AgentStateClosed) when it ends; every change is published as
    AgentStateChanged. Local-channel devices report "in use" while ringing; a ring that
    ends unanswered therefore also ends the busy status it caused.
    """

    def __init__(
        self,
        server: str,
        publish: Callable[[DomainEvent], None],
        *,
        wrap_up_reason: str,
        wrap_up_ended: Callable[[Visit, float, float], None] | None = None,
    ) -> None:
        self.server = server
        self._publish = publish
        self.wrap_up_reason = wrap_up_reason
        # Called with (visit, seconds, end) when an exact wrap-up interval after `visit` ends.
        self._wrap_up_ended = wrap_up_ended
        self.agents: dict[str, Agent] = {}
        self._by_device: dict[str, Agent] = {}
        self._by_member_channel: dict[str, Agent] = {}

    # lookups used by the call tracker

    def name_of_device(self, device: str | None) -> str | None:
        agent = self._by_device.get(device) if device else None
        return agent.name if agent else None

    def interface_of_device(self, device: str | None) -> str | None:
        """The queue interface of the agent whose phone is `device`."""
        agent = self._by_device.get(device) if device else None
        return agent.interface if agent else None

    def of_device(self, device: str | None) -> Agent | None:
        """The member whose device (state interface) or interface `device` is."""
        if device is None:
            return None
        return self._by_device.get(device) or self.agents.get(device)

    def is_agent_device(self, device: str | None) -> bool:
        return device is not None and device in self._by_device

    # facts

    def member_changed(self, event: MemberChanged, at: float, *, exact: bool = True) -> None:
        agent, new = self._agent(event.interface, event.member_name, at)
        # First sight of a member: its state began earlier, unless this is its login.
        exact = exact and (not new or event.kind is MemberChangeKind.ADDED)
        # Channels are named after the device without a Local interface's dial options,
        # whatever StateInterface the member was added with.
        device = device_of_interface(event.state_interface or event.interface)
        if agent.device != device:
            agent.device = device
            self._by_device[device] = agent
        if event.kind is MemberChangeKind.REMOVED:
            agent.queues.pop(event.queue, None)
        else:
            paused, reason = agent.queues.get(event.queue, (False, None))
            if event.paused is not None:
                paused, reason = event.paused, (event.paused_reason if event.paused else None)
            agent.queues[event.queue] = (paused, reason)
        if event.status is not None:
            agent.status = event.status
            agent.status_during_ring = bool(agent.rings)
        self._settle(agent, at, exact=exact)

    def ringing(self, interface: str, name: str, queue: str, member: str, at: float) -> None:
        agent, new = self._agent(interface, name, at)
        agent.queues.setdefault(queue, (False, None))
        agent.rings[member] = at
        self._by_member_channel[member] = agent
        self._settle(agent, at, exact=not new)

    def ring_ended(self, interface: str, member: str | None, at: float) -> None:
        agent = self.agents.get(interface)
        if agent is None:
            return
        if member is not None:
            agent.rings.pop(member, None)
        self._after_ring(agent, at)

    def ring_started(self, interface: str, member: str | None) -> float | None:
        """When the member's device started ringing for this caller (None if unknown)."""
        agent = self.agents.get(interface)
        return agent.rings.get(member) if agent is not None and member is not None else None

    def connected(
        self,
        interface: str,
        name: str | None,
        queue: str,
        member: str | None,
        at: float,
        visit: Visit | None = None,
    ) -> None:
        """The member answered `visit` (None when the caller's visit is not known)."""
        agent, new = self._agent(interface, name, at)
        agent.last_visit = visit
        agent.queues.setdefault(queue, (False, None))
        if member is not None:
            agent.rings.pop(member, None)
            self._by_member_channel[member] = agent
        agent.legs[member or queue] = queue
        agent.status_during_ring = False
        if agent.status in _RINGING_STATUSES:
            agent.status = _IN_USE  # answered: the device no longer rings, whatever lags

        self._settle(agent, at, exact=not new)

    def completed(self, interface: str, queue: str, member: str | None, at: float) -> None:
        agent = self.agents.get(interface)
        if agent is None:
            return
        if member is not None and member in agent.legs:
            del agent.legs[member]
        else:
            for key, leg_queue in list(agent.legs.items()):
                if leg_queue == queue:
                    del agent.legs[key]
                    break
        self._settle(agent, at)

    def channel_gone(self, uniqueid: str, at: float) -> None:
        """A member channel hung up: its ring (cancelled) or its call is over."""
        agent = self._by_member_channel.pop(uniqueid, None)
        if agent is None:
            return
        agent.legs.pop(uniqueid, None)
        if uniqueid in agent.rings:
            del agent.rings[uniqueid]
            self._after_ring(agent, at)
        else:
            self._settle(agent, at)

    # connection life

    def connection_lost(self) -> None:
        """Every open interval may have missed its end: flag it."""
        for agent in self.agents.values():
            agent.gap = True

    def reconcile(
        self, snapshot: Iterable[MemberChanged], listed_queues: set[str], at: float
    ) -> None:
        """Apply a QueueStatus answer; members of listed queues not in it have left."""
        seen: set[tuple[str, str]] = set()
        for event in snapshot:
            seen.add((event.interface, event.queue))
            agent = self.agents.get(event.interface)
            if agent is not None:
                # A reconnect loses rings and calls in flight; the snapshot's status rules.
                agent.rings.clear()
                agent.legs.clear()
            self.member_changed(event, at, exact=False)
        for agent in self.agents.values():
            gone = [
                q for q in agent.queues if q in listed_queues and (agent.interface, q) not in seen
            ]
            for queue in gone:
                del agent.queues[queue]
            if gone:
                self._settle(agent, at, exact=False)

    def close_all(self, at: float) -> None:
        """End of stream: close every open interval, flagged as cut short."""
        for agent in self.agents.values():
            agent.gap = True
            self._close(agent, at)
            agent.since = at

    # transitions

    def _agent(self, interface: str, name: str | None, at: float) -> tuple[Agent, bool]:
        agent = self.agents.get(interface)
        if agent is None:
            agent = self.agents[interface] = Agent(interface, name or interface, at)
            return agent, True
        if name and agent.name != name:
            agent.name = name
        return agent, False

    def _after_ring(self, agent: Agent, at: float) -> None:
        if not agent.rings and not agent.legs and agent.status_during_ring:
            # The busy status was the ring itself (Local devices have no RINGING state).
            agent.status = _IDLE
            agent.status_during_ring = False
        self._settle(agent, at)

    def _settle(self, agent: Agent, at: float, *, exact: bool = True) -> None:
        state, reason = agent.derive(self.wrap_up_reason)
        queues = tuple(sorted(agent.queues))
        same_state = state is agent.state and reason == agent.reason
        if same_state and queues == agent.published_queues:
            return
        if not same_state:
            # Only a state change ends the interval; a membership change alone is news
            # for listeners (per-queue agent counts) but not a new interval.
            self._close(agent, at)
            agent.state, agent.reason = state, reason
            agent.since, agent.since_exact, agent.gap = at, exact, not exact
            if state is AgentState.LOGGED_OUT:
                agent.last_visit = None  # a wrap-up after the next login follows no call of ours
        agent.published_queues = queues
        self._publish(
            AgentStateChanged(
                at=to_datetime(at),
                server=self.server,
                agent=agent.name,
                interface=agent.interface,
                state=state,
                reason=reason,
                queue=None,
                queues=queues,
            )
        )

    def _close(self, agent: Agent, at: float) -> None:
        # An interval first seen mid-way (or before a stream without timestamps had any
        # time at all) has an unknown start: it is written only when its start is known
        # to the second, flagged; a zero-length interval carries nothing.
        if agent.since <= 0 or at <= agent.since:
            return
        if agent.state is AgentState.LOGGED_OUT and not agent.since_exact:
            return
        record = AgentStateRecord(
            server=self.server,
            agent=agent.name,
            interface=agent.interface,
            state=agent.state,
            started_at=to_datetime(agent.since),
            ended_at=to_datetime(at),
            reason=agent.reason,
            queue=None,
            data_gap=agent.gap or not agent.since_exact,
        )
        self._publish(AgentStateClosed(at=record.ended_at, server=self.server, record=record))
        if (
            record.state is AgentState.WRAP_UP
            and not record.data_gap  # cut by a gap: its length is unknown, none is invented
            and agent.last_visit is not None
            and self._wrap_up_ended is not None
        ):
            self._wrap_up_ended(agent.last_visit, at - agent.since, at)
