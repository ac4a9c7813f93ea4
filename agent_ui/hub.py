"""The pop hub: one numbered stream of frames per agent, fanned out to every open console tab.

Each frame gets the agent's next sequence number and is kept in a bounded log. A console
acknowledges what it has shown; after a websocket reconnect it asks for everything after its
last sequence, so a pop sent during a network blink is replayed, never lost. A console whose
gap is older than the log gets a fresh snapshot instead (`resync`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

log = logging.getLogger(__name__)

# A tab that cannot keep up (hung browser) loses its websocket rather than growing memory;
# it reconnects and resumes from its last sequence.
TAB_QUEUE_LIMIT = 1024


class ConsoleFrame(NamedTuple):
    """One message to an agent's consoles; `text` is the JSON sent on the wire.

    A tuple of an int and strings, which the garbage collector stops tracking: the replay
    logs hold hundreds of thousands of frames on a big floor, and a full collection that
    had to walk them all would stall the event loop (and every pop) for a visible moment.
    """

    seq: int
    kind: str
    text: str


def numbered_frame(seq: int, kind: str, payload: dict[str, Any]) -> ConsoleFrame:
    """The frame `seq` of an agent: `payload` with its sequence and type, as JSON."""
    body = {"seq": seq, "type": kind, **payload}
    return ConsoleFrame(seq, kind, json.dumps(body, separators=(",", ":"), default=str))


@dataclass(eq=False)
class Tab:
    """One open console (one websocket) of an agent."""

    user_id: int
    queue: asyncio.Queue[ConsoleFrame | None] = field(
        default_factory=lambda: asyncio.Queue(maxsize=TAB_QUEUE_LIMIT)
    )
    acked: int = 0

    def close(self) -> None:
        """Tell the tab's writer to stop: what it has not sent yet is dropped (it resumes)."""
        while True:
            try:
                self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
        self.queue.put_nowait(None)


@dataclass
class AgentStream:
    """An agent's frames: the last sequence, the replay log, the open tabs."""

    log: deque[ConsoleFrame]
    seq: int = 0
    acked: int = 0
    tabs: set[Tab] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Attachment:
    """What a tab gets on (re)connect: the frames it missed, or a request to resync."""

    tab: Tab
    replay: list[ConsoleFrame]
    resync: bool
    seq: int


class HubUnavailable(Exception):
    """The hub cannot open a tab now (its Redis is out of reach): the console retries."""


class ConsoleHub(Protocol):
    """What the consoles and the websocket use of a hub: `PopHub` in one process,
    `agent_ui.hub_redis.RedisHub` when several processes share Redis."""

    def publish(self, user_id: int, kind: str, payload: dict[str, Any]) -> ConsoleFrame: ...

    def show(self, user_id: int, text: str) -> None: ...

    async def attach(self, user_id: int, since: int | None) -> Attachment: ...

    def detach(self, tab: Tab) -> None: ...

    def ack(self, tab: Tab, seq: int) -> None: ...

    def acked(self, user_id: int) -> int: ...

    def last_seq(self, user_id: int) -> int: ...

    def close(self) -> None: ...


class PopHub:
    """Sequence, log and fan-out of frames per agent (user id); lives in the event loop."""

    def __init__(self, replay_frames: int = 256) -> None:
        self.replay_frames = replay_frames
        self._streams: dict[int, AgentStream] = {}

    def _stream(self, user_id: int) -> AgentStream:
        stream = self._streams.get(user_id)
        if stream is None:
            stream = AgentStream(log=deque(maxlen=self.replay_frames))
            self._streams[user_id] = stream
        return stream

    def publish(self, user_id: int, kind: str, payload: dict[str, Any]) -> ConsoleFrame:
        """Number `payload` as the agent's next frame, log it and send it to every open tab."""
        stream = self._stream(user_id)
        stream.seq += 1
        frame = numbered_frame(stream.seq, kind, payload)
        stream.log.append(frame)
        for tab in list(stream.tabs):
            try:
                tab.queue.put_nowait(frame)
            except asyncio.QueueFull:
                log.warning("console tab of user %s is not reading; dropping it", user_id)
                self._drop(stream, tab)
        return frame

    def show(self, user_id: int, text: str) -> None:
        """Send `text` to the agent's open tabs as it is: no sequence, not logged, not replayed.

        For figures that the next one replaces and a (re)connect's snapshot carries anyway
        (callers waiting): they would push pops out of the replay log and cost an ack each.
        """
        stream = self._streams.get(user_id)
        if stream is None:
            return
        frame = ConsoleFrame(0, "", text)
        for tab in list(stream.tabs):
            try:
                tab.queue.put_nowait(frame)
            except asyncio.QueueFull:
                log.warning("console tab of user %s is not reading; dropping it", user_id)
                self._drop(stream, tab)

    async def attach(self, user_id: int, since: int | None) -> Attachment:
        """Open a tab; `since` is the last sequence this tab showed (None: a fresh tab).

        Async like `RedisHub.attach`, which reads the log from Redis; this one never waits.
        """
        stream = self._stream(user_id)
        tab = Tab(user_id)
        stream.tabs.add(tab)
        if since is None or since > stream.seq:
            # A fresh tab, or a sequence from before a server restart: start from a snapshot.
            return Attachment(tab, [], True, stream.seq)
        oldest = stream.log[0].seq if stream.log else stream.seq + 1
        if since + 1 < oldest:
            return Attachment(tab, [], True, stream.seq)
        replay = [frame for frame in stream.log if frame.seq > since]
        return Attachment(tab, replay, False, stream.seq)

    def detach(self, tab: Tab) -> None:
        """Close a tab."""
        stream = self._streams.get(tab.user_id)
        if stream is not None:
            stream.tabs.discard(tab)

    def ack(self, tab: Tab, seq: int) -> None:
        """The tab has shown every frame up to `seq`."""
        stream = self._stream(tab.user_id)
        seq = min(seq, stream.seq)
        tab.acked = max(tab.acked, seq)
        stream.acked = max(stream.acked, seq)

    def acked(self, user_id: int) -> int:
        """The highest sequence any tab of the agent acknowledged."""
        stream = self._streams.get(user_id)
        return stream.acked if stream else 0

    def last_seq(self, user_id: int) -> int:
        """The agent's latest sequence number."""
        stream = self._streams.get(user_id)
        return stream.seq if stream else 0

    def close(self) -> None:
        """End every tab (server shutdown)."""
        for stream in self._streams.values():
            for tab in list(stream.tabs):
                self._drop(stream, tab)

    def _drop(self, stream: AgentStream, tab: Tab) -> None:
        stream.tabs.discard(tab)
        tab.close()
