"""The floors of every PBX a web worker hears of: a `FloorFollower` per server on the bus."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from callcenter.bus import Bus
from callcenter.queues.floor import Call, FloorFollower, follow_floor


class FloorsFollower:
    """Follows the floors of `first` and of `also` at once, and of every other server as soon
    as the first event it reported arrives on the bus (`call_for(server)` reaches
    `pbx:<server>`)."""

    def __init__(
        self,
        call_for: Callable[[str], Call],
        bus: Bus,
        first: str,
        *,
        also: Iterable[str] = (),
        awaiting: Callable[[], None] | None = None,
    ) -> None:
        self.call_for, self.bus, self.awaiting = call_for, bus, awaiting
        self.servers = [first, *(server for server in also if server != first)]
        self.followers: dict[str, FloorFollower] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        """Follow the first server's floor and listen for others (inside the running loop)."""
        self._loop = asyncio.get_running_loop()
        for server in self.servers:
            self.follow(server)
        self._unsubscribe = self.bus.subscribe_servers(self.on_server)

    def on_server(self, server: str) -> None:
        """An event of `server` came: follow its floor if it is new."""
        if not server or server in self.followers or self._loop is None:
            return
        try:
            here = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            here = False
        if here:
            self.follow(server)
        else:  # a local publish from another thread
            self._loop.call_soon_threadsafe(self.follow, server)

    def follow(self, server: str) -> None:
        """Start following `server`'s floor (once)."""
        if server not in self.followers:
            self.followers[server] = follow_floor(
                self.call_for(server), self.bus, server, awaiting=self.awaiting
            )

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for follower in self.followers.values():
            await follower.stop()


def follow_floors(
    call_for: Callable[[str], Call],
    bus: Bus,
    first: str,
    *,
    also: Iterable[str] = (),
    awaiting: Callable[[], None] | None = None,
) -> FloorsFollower:
    """Start following every PBX's floor (inside the running loop); `await .stop()` after."""
    followers = FloorsFollower(call_for, bus, first, also=also, awaiting=awaiting)
    followers.start()
    return followers
