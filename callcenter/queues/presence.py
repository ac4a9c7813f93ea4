"""Live presence: every agent's state and memberships and each queue's waiting callers.

The one live projection of the tracker's domain events: the console, the live KPIs and the
wallboard's alerts read it; none of them keeps a copy of its own. It holds what is true right
now (who is available, who waits since when), never counts over time (those are KPIs).
"""

from __future__ import annotations

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

    def subscribe(self, bus: Bus) -> Callable[[], None]:
        """Follow the bus; returns a function that unsubscribes everything."""
        handlers = [
            bus.subscribe(AgentStateChanged, self.on_agent_state),
            bus.subscribe(CallQueued, self.on_queued),
            bus.subscribe(CallAnswered, self.on_answered),
            bus.subscribe(CallAbandoned, self.on_abandoned),
            bus.subscribe(CallEnded, self.on_ended),
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

    def waiting(self, queue: str) -> dict[str, datetime]:
        """The callers waiting in `queue` now, by linkedid, oldest first (do not modify)."""
        return self._waiting.get(queue) or {}

    def oldest_waiting(self, queue: str) -> datetime | None:
        """When the caller who has waited longest in `queue` joined it (None: nobody waits)."""
        return next(iter(self.waiting(queue).values()), None)

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
        self.agents[event.agent] = after
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
        self._queue_changed(queue)

    def _queue_changed(self, queue: str) -> None:
        for listener in self._queue_listeners:
            listener(queue)
