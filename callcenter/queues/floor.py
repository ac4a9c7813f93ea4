"""The floor's state handed to processes that missed events: snapshots on the shared bus.

The PBX's process (the active `cti run`) publishes a FloorSnapshot of its Presence on the
bus when asked (`floor.snapshot`, an RPC method) and after each resync; being on the one
ordered stream, every process applies it at the same point, and the deltas after it as
usual. A web worker asks for one at its start and after the bus lost events
(`FloorFollower`), again and again with backoff until one arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from callcenter.bus import Bus
from callcenter.events import (
    BusLinkChanged,
    FloorAgent,
    FloorCaller,
    FloorSnapshot,
    PbxConnectionChanged,
)
from callcenter.queues.presence import Presence

log = logging.getLogger(__name__)
Call = Callable[..., Awaitable[Any]]
METHOD = "floor.snapshot"


class FloorPublisher:
    """The active side: snapshots of `presence`'s floor of `server` on `bus`, on request
    and (with `after_resync`) each time the PBX link is up again after a resync."""

    def __init__(
        self, presence: Presence, bus: Bus, server: str, *, after_resync: bool = False
    ) -> None:
        self.presence, self.bus, self.server = presence, bus, server
        self.after_resync = after_resync
        self.connected: bool | None = None
        self.since: datetime | None = None
        self.detail = ""
        self.published = 0
        self._unsubscribe = bus.subscribe(PbxConnectionChanged, self.on_pbx)

    def close(self) -> None:
        self._unsubscribe()

    def handlers(self) -> dict[str, Call]:
        """The RPC methods of this side (for the service `pbx:<server>`)."""
        return {METHOD: self.publish_snapshot}

    def on_pbx(self, event: PbxConnectionChanged) -> None:
        """The link as LiveKpis keeps it: a gap lasts from its first sign to the resync."""
        if event.server != self.server:
            return
        if not (event.connected is False and self.connected is False):
            self.since = event.at
        self.connected, self.detail = event.connected, event.detail
        if event.connected and self.after_resync:
            self._soon(self.publish)  # after the other handlers of the resync's news

    def snapshot(self) -> FloorSnapshot:
        """The floor of this server as the Presence holds it now."""
        agents = tuple(
            FloorAgent(a.name, a.interface, a.state, a.reason, a.since, tuple(sorted(a.queues)))
            for a in self.presence.agents_of(self.server)
        )
        waiting = tuple(FloorCaller(*caller) for caller in self.presence.waiting_of(self.server))
        return FloorSnapshot(
            at=datetime.now(UTC),
            server=self.server,
            agents=agents,
            waiting=waiting,
            queues=tuple(self.presence.queue_names()),
            pbx_connected=self.connected,
            pbx_since=self.since,
            pbx_detail=self.detail,
            origin=self.presence.id,
        )

    def publish(self) -> FloorSnapshot:
        """Put a snapshot on the bus now (in stream order with the events around it)."""
        event = self.snapshot()
        self.bus.publish(event)
        self.published += 1
        return event

    async def publish_snapshot(self) -> dict[str, int]:
        """The RPC method: publish a snapshot; how many agents and callers it carried."""
        event = self.publish()
        return {"agents": len(event.agents), "waiting": len(event.waiting)}

    def _soon(self, action: Callable[[], Any]) -> None:
        try:
            asyncio.get_running_loop().call_soon(action)
        except RuntimeError:  # no loop in this thread: now
            action()


def floor_handlers(presence: Presence, bus: Bus, server: str) -> dict[str, Call]:
    """`{"floor.snapshot": ...}` for the RPC service of the PBX's process; publishes a
    snapshot after each resync as well."""
    return FloorPublisher(presence, bus, server, after_resync=True).handlers()


async def catch_up(call: Call, *, timeout_s: float = 5.0) -> dict[str, int]:
    """Ask the PBX's process for a snapshot of its floor (`call` reaches `pbx:<server>`);
    what it carried. Raises whatever `call` raises when nobody answers."""
    reply = await call(METHOD, timeout_s=timeout_s)
    return dict(reply)


def follow_floor(
    call: Call, bus: Bus, server: str, *, awaiting: Callable[[], None] | None = None
) -> FloorFollower:
    """Start following the floor of `server` (inside the running loop): asks now and after
    every BusLinkChanged that lost events; `await follower.stop()` at shutdown."""
    follower = FloorFollower(call, bus, server, awaiting=awaiting)
    follower.start()
    return follower


class FloorFollower:
    """The web worker's side: catches up at start and after the bus lost events, retrying
    with backoff (in the background) until a snapshot of `server` arrives. `awaiting` is
    called when it starts waiting for one (the board raises its gap flag until then)."""

    def __init__(
        self,
        call: Call,
        bus: Bus,
        server: str,
        *,
        awaiting: Callable[[], None] | None = None,
        backoff_s: tuple[float, float] = (0.5, 10.0),
        patience_s: float = 5.0,
    ) -> None:
        self.call, self.bus, self.server = call, bus, server
        self.awaiting = awaiting
        self.backoff_s, self.patience_s = backoff_s, patience_s
        self.asked = self.arrived = 0
        self._got = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: list[Callable[[], None]] = []

    def start(self) -> None:
        """Follow the bus and ask for the floor (call inside the running loop)."""
        self._unsubscribe = [
            self.bus.subscribe(FloorSnapshot, self.on_floor),
            self.bus.subscribe(BusLinkChanged, self.on_link),
        ]
        self.ask()

    async def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def on_floor(self, event: FloorSnapshot) -> None:
        if event.server == self.server:
            self.arrived += 1
            self._got.set()

    def on_link(self, event: BusLinkChanged) -> None:
        if event.up and event.lost != 0:  # events missed: the floor may be wrong
            self.ask()

    def ask(self) -> None:
        """Wait for a snapshot again, asking until one arrives (one asker at a time)."""
        self._got.clear()
        if self.awaiting is not None:
            self.awaiting()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._until_arrived(), name="floor-catch-up")

    async def _until_arrived(self) -> None:
        delay = self.backoff_s[0]
        while True:
            try:
                self.asked += 1
                await catch_up(self.call)
                await asyncio.wait_for(self._got.wait(), self.patience_s)
            except Exception as exc:  # nobody active yet, its handler failed, no snapshot
                log.info("the floor of %s not received yet (%r); asking again", self.server, exc)
            if self._got.is_set():  # checked here: `ask` may have cleared it meanwhile
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff_s[1])
