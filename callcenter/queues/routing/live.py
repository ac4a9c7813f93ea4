"""Live state for routing: Presence as the PBX reports it, or nothing without a PBX link."""

from __future__ import annotations

from datetime import datetime

from callcenter.calls.records import AgentState
from callcenter.queues.presence import Presence
from callcenter.queues.routing.facts import AgentLive

PAUSED_STATES = frozenset({AgentState.PAUSED, AgentState.WRAP_UP})


class PresenceLive:
    """Reads the one live projection (callcenter.queues.presence); call on its loop."""

    def __init__(self, presence: Presence) -> None:
        self.presence = presence

    def agent_by_interface(self, interface: str) -> AgentLive | None:
        agent = self.presence.of_interface(interface)
        if agent is None:
            return None
        return AgentLive(
            signed_in=agent.state is not AgentState.LOGGED_OUT,
            paused=agent.state in PAUSED_STATES,
            queues=agent.queues,
        )

    def longest_wait_s(self, queue: str, at: datetime) -> float:
        oldest = self.presence.oldest_waiting(queue)
        return 0.0 if oldest is None else max(0.0, (at - oldest).total_seconds())


class NoLive:
    """Without a PBX link: no agent is known to be signed in, no queue has a wait."""

    def agent_by_interface(self, interface: str) -> AgentLive | None:
        del interface
        return None

    def longest_wait_s(self, queue: str, at: datetime) -> float:
        del queue, at
        return 0.0
