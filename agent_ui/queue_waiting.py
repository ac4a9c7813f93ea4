"""The callers waiting in each agent's queues, as their consoles show them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from typing import Any

from agent_ui.console_state import AgentConsole
from agent_ui.hub import ConsoleHub
from callcenter.queues.presence import Presence

# Seconds between two updates of a queue's callers waiting on its members' consoles.
WAITING_PUSH_S = 1.0
# Consoles sent their queues' update per turn of the loop.
WAITING_SLICE = 50

Row = dict[str, Any]


class QueueWaiting:
    """Shows each agent the callers waiting in their queues and when the longest-waiting joined.

    A queue's members get its new figures at most once per WAITING_PUSH_S, and only when they
    differ from the last ones shown (the console counts the wait up itself): at 100 calls/s
    into a queue of 1,000 agents, a frame per caller joining or leaving would be 200,000
    frames a second. The frames carry no sequence (the next one replaces them and a
    reconnect's snapshot has them), and agents with the same queues share one encoded frame.
    """

    def __init__(
        self, hub: ConsoleHub, presence: Presence, screens: Callable[[], Iterable[AgentConsole]]
    ) -> None:
        self.hub = hub
        self.presence = presence
        self.screens = screens
        self._due: dict[str, asyncio.TimerHandle] = {}  # queues due to be shown, and when
        self._shown: dict[str, Row] = {}  # each queue's row as its members last got it

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

    def of(self, screen: AgentConsole) -> list[Row]:
        """The agent's queues with the callers waiting now and when the longest-waiting joined."""
        queues = sorted(screen.presence.queues) if screen.presence else []
        return [self._row(queue) for queue in queues]

    def _row(self, queue: str) -> Row:
        oldest = self.presence.oldest_waiting(queue)
        return {
            "queue": queue,
            "callers": len(self.presence.waiting(queue)),
            "oldest": oldest.isoformat() if oldest else None,
        }

    def _publish(self, queue: str) -> None:
        self._due.pop(queue, None)
        row = self._row(queue)
        if self._shown.get(queue) == row:
            return  # callers came and went within the second: nothing new to show
        self._shown[queue] = row
        members = [
            screen
            for screen in self.screens()
            if screen.presence is not None and queue in screen.presence.queues
        ]
        self._publish_some(members, {queue: row}, {})

    def _publish_some(
        self, members: list[AgentConsole], rows: dict[str, Row], texts: dict[tuple[str, ...], str]
    ) -> None:
        """Send to a slice of `members`, then let the loop run (a pop waiting behind a whole
        floor's frames would be late) before the next slice."""
        for screen in members[:WAITING_SLICE]:
            queues = tuple(sorted(screen.presence.queues)) if screen.presence else ()
            text = texts.get(queues)
            if text is None:
                frame = {"type": "waiting", "waiting": [self._cached(q, rows) for q in queues]}
                text = texts[queues] = json.dumps(frame, separators=(",", ":"))
            self.hub.show(screen.user_id, text)
        rest = members[WAITING_SLICE:]
        if rest:
            asyncio.get_running_loop().call_soon(self._publish_some, rest, rows, texts)

    def _cached(self, queue: str, rows: dict[str, Row]) -> Row:
        row = rows.get(queue)
        if row is None:
            row = rows[queue] = self._row(queue)
        return row
