"""The PBX link as the process holding its AMI connection serves it: commands, watches, legs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from typing import Any, Protocol

from callcenter.cti.connection import AmiConnection
from callcenter.cti.frames import Frame
from callcenter.cti.protocol import AmiAction, AmiMessage, CommandError

log = logging.getLogger(__name__)

# A watch nobody has asked about for this long is closed (its caller's process died).
WATCH_IDLE_S = 15.0
# Frames a watch keeps for its reader; older ones are dropped first.
WATCH_FRAMES = 5000
MAX_WATCHES = 512
# How long a reader waits for a watch's next frames in one request.
POLL_S = 1.0


class CallLegs(Protocol):
    """Who knows the agents' legs of the calls in flight (the CTI tracker)."""

    def agent_channel(self, interface: str, linkedid: str | None) -> str | None: ...


# -- the side that holds the connection ------------------------------------------------


class _ServedWatch:
    """Frames seen on the PBX since a remote reader opened the watch, numbered."""

    def __init__(self) -> None:
        self.frames: deque[tuple[int, Frame]] = deque()
        self.last = 0
        self.arrived = asyncio.Event()
        self.seen_at = time.monotonic()
        self.stack = contextlib.ExitStack()

    def __call__(self, frame: Frame) -> None:
        self.last += 1
        if len(self.frames) >= WATCH_FRAMES:
            self.frames.popleft()
        self.frames.append((self.last, frame))
        self.arrived.set()

    def after(self, seen: int) -> list[Frame]:
        while self.frames and self.frames[0][0] <= seen:
            self.frames.popleft()
        return [frame for _, frame in self.frames]


class PbxLink:
    """What the process holding the AMI connection does for the others."""

    def __init__(self, connection: AmiConnection, legs: CallLegs | None) -> None:
        self.connection = connection
        self.legs = legs
        self.watches: dict[str, _ServedWatch] = {}

    async def call(
        self,
        headers: dict[str, str | list[str]],
        as_list: bool = False,
        timeout: float | None = None,
        wait_connected: float | None = None,
        watches: list[str] | tuple[str, ...] = (),
    ) -> Frame | list[Frame]:
        """Send one action (the watches named opened first); its answer as frames."""
        for watch in watches:
            self._open(watch)
        action = AmiAction(headers, as_list=as_list)
        answer = await self.connection.call(action, timeout=timeout, wait_connected=wait_connected)
        if isinstance(answer, AmiMessage):
            return answer.frame
        return [message.frame for message in answer]

    async def watch_events(self, watch: str, after: int, wait_s: float = POLL_S) -> dict[str, Any]:
        """The watch's frames numbered above `after` (waiting up to `wait_s` for one)."""
        self._expire()
        served = self.watches.get(watch)
        if served is None:
            return {"frames": [], "last": after, "open": False}
        served.seen_at = time.monotonic()
        if not served.after(after):
            served.arrived.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(wait_s, WATCH_IDLE_S / 2)):
                    await served.arrived.wait()
            served.seen_at = time.monotonic()
        is_open = self.watches.get(watch) is served
        return {"frames": served.after(after), "last": served.last, "open": is_open}

    async def unwatch(self, watch: str) -> None:
        served = self.watches.pop(watch, None)
        if served is not None:
            served.stack.close()
            served.arrived.set()  # its reader's pending request ends now

    async def agent_channel(self, interface: str, linkedid: str | None = None) -> str | None:
        return self.legs.agent_channel(interface, linkedid) if self.legs else None

    def _open(self, watch: str) -> None:
        self._expire()
        if watch in self.watches:
            return
        if len(self.watches) >= MAX_WATCHES:
            raise CommandError(f"the PBX link already follows {MAX_WATCHES} watches; try again")
        served = _ServedWatch()
        served.stack.enter_context(self.connection.watching(served))
        self.watches[watch] = served

    def _expire(self) -> None:
        idle = time.monotonic() - WATCH_IDLE_S
        for watch in [w for w, served in self.watches.items() if served.seen_at < idle]:
            log.info("closed the PBX watch %s: its reader went away", watch)
            self.watches.pop(watch).stack.close()

    def close(self) -> None:
        for served in self.watches.values():
            served.stack.close()
        self.watches.clear()
