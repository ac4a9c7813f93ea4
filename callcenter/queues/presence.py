"""Live presence: every agent's state and memberships and each queue's waiting callers.

The one live projection of the tracker's domain events: the console, the live KPIs and the
wallboard's alerts read it; none of them keeps a copy of its own. It holds what is true right
now (who is available, who waits since when), never counts over time (those are KPIs).
A process that missed events (started late, lost some on the shared bus) takes the PBX
process's FloorSnapshot: that server's agents and callers are replaced by the snapshot's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.events import (
    AgentStateChanged,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallQueued,
    FloorSnapshot,
)

AgentListener = Callable[["AgentPresence | None", "AgentPresence"], None]
QueueListener = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class AgentPresence:
    """One agent as the PBX last reported them; immutable, so it can be handed on as is.

    `since` is when the PBX reported the state (None until a state other than the initial
    logged-out one is seen); `queues` every membership (none once logged out).
    """

    name: str
    interface: str
    state: AgentState = AgentState.LOGGED_OUT
    reason: str | None = None
    since: datetime | None = None
    queues: frozenset[str] = frozenset()


class Presence:
    """Agents by name and interface, waiting callers by queue (oldest first), from the bus."""

    def __init__(self) -> None:
        self.agents: dict[str, AgentPresence] = {}
        self._by_interface: dict[str, AgentPresence] = {}
        # queue -> linkedid -> when the caller joined; insertion order is arrival order, so
        # the longest wait is one look-up.
        self._waiting: dict[str, dict[str, datetime]] = {}
        self._agent_listeners: list[AgentListener] = []
        self._queue_listeners: list[QueueListener] = []
        # Which PBX reported each agent and each waiting caller: a FloorSnapshot replaces
        # only its own server's.
        self._agent_server: dict[str, str] = {}
        self._caller_server: dict[tuple[str, str], str] = {}
        # Names the FloorSnapshots this Presence is the source of (it ignores those).
        self.id = uuid.uuid4().hex

    def subscribe(self, bus: Bus) -> Callable[[], None]:
        """Follow the bus; returns a function that unsubscribes everything."""
        handlers = [
            bus.subscribe(AgentStateChanged, self.on_agent_state),
            bus.subscribe(CallQueued, self.on_queued),
            bus.subscribe(CallAnswered, self.on_answered),
            bus.subscribe(CallAbandoned, self.on_abandoned),
            bus.subscribe(CallEnded, self.on_ended),
            bus.subscribe(FloorSnapshot, self.on_floor),
        ]

        def unsubscribe() -> None:
            for handler in handlers:
                handler()

        return unsubscribe

    def listen(
        self, *, agent: AgentListener | None = None, queue: QueueListener | None = None
    ) -> Callable[[], None]:
        """Call `agent(before, after)` on every agent change and `queue(name)` whenever a
        queue appears or its waiting callers change; returns the function that stops it."""
        if agent is not None:
            self._agent_listeners.append(agent)
        if queue is not None:
            self._queue_listeners.append(queue)

        def stop() -> None:
            if agent is not None and agent in self._agent_listeners:
                self._agent_listeners.remove(agent)
            if queue is not None and queue in self._queue_listeners:
                self._queue_listeners.remove(queue)

        return stop

    # reading

    def of_interface(self, interface: str) -> AgentPresence | None:
        """The agent using `interface`, if the PBX ever reported them."""
        return self._by_interface.get(interface)

    def server_of(self, interface: str) -> str | None:
        """The PBX that last reported the agent using `interface`, if any did."""
        agent = self._by_interface.get(interface)
        return self._agent_server.get(agent.name) if agent is not None else None

    def waiting(self, queue: str) -> dict[str, datetime]:
        """The callers waiting in `queue` now, by linkedid, oldest first (do not modify)."""
        return self._waiting.get(queue) or {}

    def oldest_waiting(self, queue: str) -> datetime | None:
        """When the caller who has waited longest in `queue` joined it (None: nobody waits)."""
        return next(iter(self.waiting(queue).values()), None)

    def queue_names(self) -> list[str]:
        """Every queue seen (by a member or a caller), waited in now or not."""
        return list(self._waiting)

    def agents_of(self, server: str) -> list[AgentPresence]:
        """The agents `server` reported."""
        return [a for name, a in self.agents.items() if self._agent_server.get(name) == server]

    def waiting_of(self, server: str) -> list[tuple[str, str, datetime]]:
        """(queue, linkedid, queued at) of every caller waiting on `server`, oldest first in
        each queue."""
        return [
            (queue, linkedid, at)
            for queue, callers in self._waiting.items()
            for linkedid, at in callers.items()
            if self._caller_server.get((queue, linkedid)) == server
        ]

    # agents

    def on_agent_state(self, event: AgentStateChanged) -> None:
        before = self.agents.get(event.agent)
        current = before or AgentPresence(event.agent, event.interface)
        since = current.since
        if current.state is not event.state or current.reason != event.reason:
            since = event.at
        after = replace(
            current,
            interface=event.interface or current.interface,
            state=event.state,
            reason=event.reason,
            since=since,
            queues=frozenset(event.queues),
        )
        self._agent_server[event.agent] = event.server
        self._put(before, after)

    def _put(self, before: AgentPresence | None, after: AgentPresence) -> None:
        self.agents[after.name] = after
        if before is not None and before.interface != after.interface:
            self._by_interface.pop(before.interface, None)
        self._by_interface[after.interface] = after
        for queue in after.queues - (before.queues if before else frozenset()):
            self._waiting.setdefault(queue, {})
            self._queue_changed(queue)
        for listener in self._agent_listeners:
            listener(before, after)

    # waiting callers

    def on_queued(self, event: CallQueued) -> None:
        self._waiting.setdefault(event.queue, {})[event.linkedid] = event.at
        self._caller_server[event.queue, event.linkedid] = event.server
        self._queue_changed(event.queue)

    def on_answered(self, event: CallAnswered) -> None:
        if event.queue is not None:
            self._left(event.queue, event.linkedid)

    def on_abandoned(self, event: CallAbandoned) -> None:
        self._left(event.queue, event.linkedid)

    def on_ended(self, event: CallEnded) -> None:
        for visit in event.record.queue_visits:
            waiting = self._waiting.get(visit.queue)
            if waiting is not None and event.record.linkedid in waiting:
                self._left(visit.queue, event.record.linkedid)

    def _left(self, queue: str, linkedid: str) -> None:
        self._waiting.setdefault(queue, {}).pop(linkedid, None)
        self._caller_server.pop((queue, linkedid), None)
        self._queue_changed(queue)

    def _queue_changed(self, queue: str) -> None:
        for listener in self._queue_listeners:
            listener(queue)

    # the floor as the PBX's process knows it

    def on_floor(self, event: FloorSnapshot) -> None:
        """Replace `event.server`'s agents and waiting callers by the snapshot's, telling
        the listeners what changed (an agent the snapshot lacks goes, as logged out)."""
        if event.origin == self.id:
            return
        fresh = {
            a.name: AgentPresence(
                a.name, a.interface, a.state, a.reason, a.since, frozenset(a.queues)
            )
            for a in event.agents
        }
        for name, server in list(self._agent_server.items()):
            if server == event.server and name not in fresh:
                self._drop_agent(name)
        for name, after in fresh.items():
            self._agent_server[name] = event.server
            before = self.agents.get(name)
            if before != after:
                self._put(before, after)
        self._replace_waiting(event)

    def _drop_agent(self, name: str) -> None:
        del self._agent_server[name]
        before = self.agents.pop(name, None)
        if before is None:
            return
        if self._by_interface.get(before.interface) is before:
            del self._by_interface[before.interface]
        for listener in self._agent_listeners:
            listener(before, AgentPresence(name, before.interface))

    def _replace_waiting(self, event: FloorSnapshot) -> None:
        fresh: dict[str, dict[str, datetime]] = {queue: {} for queue in event.queues}
        for caller in event.waiting:
            fresh.setdefault(caller.queue, {})[caller.linkedid] = caller.queued_at
        changed = {queue for queue in fresh if queue not in self._waiting}
        for (queue, linkedid), server in list(self._caller_server.items()):
            if server == event.server and linkedid not in fresh.get(queue, {}):
                del self._caller_server[queue, linkedid]
                self._waiting.get(queue, {}).pop(linkedid, None)
                changed.add(queue)
        for queue, callers in fresh.items():
            waiting = self._waiting.setdefault(queue, {})
            for linkedid, at in callers.items():
                self._caller_server[queue, linkedid] = event.server
                if waiting.get(linkedid) != at:
                    waiting[linkedid] = at
                    changed.add(queue)
        for queue in sorted(changed):
            # Oldest first again (the snapshot's callers may be older than this one's).
            callers = self._waiting[queue]
            self._waiting[queue] = dict(sorted(callers.items(), key=lambda item: item[1]))
            self._queue_changed(queue)
