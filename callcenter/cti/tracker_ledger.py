"""What the tracker's handler groups (queue calls, talk) use of the tracker: its ledger of
channels, calls and bridges, and its way out to the bus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from callcenter.cti.tracker_agents import AgentTracker
from callcenter.cti.tracker_clock import EventClock
from callcenter.cti.tracker_state import Channel, TrackedCall
from callcenter.events import DomainEvent


class CallLedger(Protocol):
    """The tracker as its handler groups see it."""

    server: str
    region: str
    clock: EventClock
    agents: AgentTracker
    channels: dict[str, Channel]
    calls: dict[str, TrackedCall]
    bridges: dict[str, set[str]]
    publish: Callable[[DomainEvent], None]

    def channel(self, uniqueid: str, linkedid: str, name: str, at: float) -> Channel | None:
        """The tracked channel, adopting one first seen mid-life."""
        ...

    def call_of(self, uniqueid: str | None, linkedid: str | None) -> TrackedCall | None:
        """The call a channel (or a Linkedid) belongs to."""
        ...

    def close_call(self, call: TrackedCall) -> None:
        """Publish the call's record and forget it."""
        ...
