"""The callers waiting in each agent's queues, as their consoles show them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from agent_ui.console_state import AgentConsole
from agent_ui.hub import PopHub
from callcenter.queues.presence import Presence

# Seconds between two updates of a queue's callers waiting on its members' consoles.
WAITING_PUSH_S = 1.0
# Consoles sent their queues' update per turn of the loop.
WAITING_SLICE = 50


class QueueWaiting:
    """Shows each agent the callers waiting in their queues and the longest wait so far.

    A queue's members get its new count at most once per WAITING_PUSH_S: at 100 calls/s into
    a queue of 1,000 agents, a frame per caller joining or leaving would be 200,000 frames a
    second.
    """

    def __init__(
        self, hub: PopHub, presence: Presence, screens: Callable[[], Iterable[AgentConsole]]
    ) -> None:
        self.hub = hub
        self.presence = presence
        self.screens = screens
        self._due: dict[str, asyncio.TimerHandle] = {}  # queues due to be shown, and when

    def changed(self, queue: str) -> None:
        """Callers joined or left `queue` (call on the consoles' loop)."""
        if queue not in self._due:
            loop = asyncio.get_running_loop()
            self._due[queue] = loop.call_later(WAITING_PUSH_S, self._publish, queue)

    def stop(self) -> None:
        """Show nothing more."""
        for due in self._due.values():
            due.cancel()
        self._due.clear()

    def of(self, screen: AgentConsole) -> list[dict[str, Any]]:
        """The agent's queues with the callers waiting now and when the longest-waiting joined."""
        queues = sorted(screen.presence.queues) if screen.presence else []
        return [self._row(queue) for queue in queues]

    def _row(self, queue: str) -> dict[str, Any]:
        oldest = self.presence.oldest_waiting(queue)
        return {
            "queue": queue,
            "callers": len(self.presence.waiting(queue)),
            "oldest": oldest.isoformat() if oldest else None,
        }

    def _publish(self, queue: str) -> None:
        self._due.pop(queue, None)
        members = [
            screen
            for screen in self.screens()
            if screen.presence is not None and queue in screen.presence.queues
        ]
        self._publish_some(members, {})

    def _publish_some(self, members: list[AgentConsole], rows: dict[str, dict[str, Any]]) -> None:
        """Publish to a slice of `members`, then let the loop run (a pop waiting behind a
        whole floor's frames would be late) before the next slice."""
        for screen in members[:WAITING_SLICE]:
            self.hub.publish(screen.user_id, "waiting", {"waiting": self._rows(screen, rows)})
        rest = members[WAITING_SLICE:]
        if rest:
            asyncio.get_running_loop().call_soon(self._publish_some, rest, rows)

    def _rows(self, screen: AgentConsole, rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        queues = sorted(screen.presence.queues) if screen.presence else []
        for queue in queues:
            if queue not in rows:
                rows[queue] = self._row(queue)
        return [rows[queue] for queue in queues]
