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
# A queue's members get its update spread over this share of WAITING_PUSH_S, a slice at a
# time: a whole floor's frames at once would hold the pops behind them on every worker and
# every tab's link for a visible moment each second.
WAITING_SPREAD = 0.5

Row = dict[str, Any]


class QueueWaiting:
    """Shows each agent the callers waiting in their queues and when the longest-waiting joined.

    A queue's members get its new figures at most once per WAITING_PUSH_S, and only when they
    differ from the last ones shown (the console counts the wait up itself): at 100 calls/s
    into a queue of 1,000 agents, a frame per caller joining or leaving would be 200,000
    frames a second. The frames carry no sequence (the next one replaces them and a
    reconnect's snapshot has them), and agents with the same queues share one encoded frame.
    The members of a big queue get the update in slices spread over half the push interval,
    always in the same order, so each of them still gets it once per interval.
    """

    def __init__(
        self, hub: ConsoleHub, presence: Presence, screens: Callable[[], Iterable[AgentConsole]]
    ) -> None:
        self.hub = hub
        self.presence = presence
        self.screens = screens
        self._due: dict[str, asyncio.TimerHandle] = {}  # queues due to be shown, and when
        self._shown: dict[str, Row] = {}  # each queue's row as its members last got it
        self._spreads: dict[str, asyncio.TimerHandle] = {}  # each queue's next slice due

    def changed(self, queue: str) -> None:
        """Callers joined or left `queue` (call on the consoles' loop)."""
        if queue not in self._due:
            loop = asyncio.get_running_loop()
            self._due[queue] = loop.call_later(WAITING_PUSH_S, self._publish, queue)

    def stop(self) -> None:
        """Show nothing more."""
        for due in [*self._due.values(), *self._spreads.values()]:
            due.cancel()
        self._due.clear()
        self._spreads.clear()

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
        late = self._spreads.pop(queue, None)
        if late is not None:  # the previous figures' last slices: the new ones replace them
            late.cancel()
        slices = -(-len(members) // WAITING_SLICE)
        gap_s = WAITING_PUSH_S * WAITING_SPREAD / slices if slices > 1 else 0.0
        self._publish_some(queue, members, {queue: row}, {}, gap_s)

    def _publish_some(
        self,
        queue: str,
        members: list[AgentConsole],
        rows: dict[str, Row],
        texts: dict[tuple[str, ...], str],
        gap_s: float,
    ) -> None:
        """Send `queue`'s update to a slice of `members`, then let the loop run for `gap_s`
        (a pop waiting behind a whole floor's frames would be late) before the next slice."""
        for screen in members[:WAITING_SLICE]:
            queues = tuple(sorted(screen.presence.queues)) if screen.presence else ()
            text = texts.get(queues)
            if text is None:
                frame = {"type": "waiting", "waiting": [self._cached(q, rows) for q in queues]}
                text = texts[queues] = json.dumps(frame, separators=(",", ":"))
            self.hub.show(screen.user_id, text)
        rest = members[WAITING_SLICE:]
        if not rest:
            self._spreads.pop(queue, None)
            return
        self._spreads[queue] = asyncio.get_running_loop().call_later(
            gap_s, self._publish_some, queue, rest, rows, texts, gap_s
        )

    def _cached(self, queue: str, rows: dict[str, Row]) -> Row:
        row = rows.get(queue)
        if row is None:
            row = rows[queue] = self._row(queue)
        return row
