"""A web worker follows the floor of a PBX it first hears of on the bus, once per PBX."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from callcenter.bus import Bus
from callcenter.events import BusLinkChanged, PbxConnectionChanged
from callcenter.queues.floors import follow_floors

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


async def test_a_new_pbx_on_the_bus_gets_a_floor_follower_of_its_own() -> None:
    asked: list[str] = []

    def call_for(server: str) -> Callable[..., Awaitable[Any]]:
        async def call(method: str, **args: Any) -> Any:
            asked.append(server)
            return {"agents": 0, "waiting": 0}

        return call

    bus = Bus()
    floors = follow_floors(call_for, bus, "pbx-a", also=["pbx-a", "pbx-c"])
    try:
        assert sorted(floors.followers) == ["pbx-a", "pbx-c"]
        bus.publish(PbxConnectionChanged(at=AT, server="pbx-b", connected=True))
        bus.publish(PbxConnectionChanged(at=AT, server="pbx-b", connected=False))
        bus.publish(BusLinkChanged(at=AT, server="", up=True, lost=0))  # not a PBX's news
        assert sorted(floors.followers) == ["pbx-a", "pbx-b", "pbx-c"]
        await asyncio.sleep(0.05)  # each follower asks its own PBX's process for a snapshot
        assert sorted(asked) == ["pbx-a", "pbx-b", "pbx-c"]
    finally:
        await floors.stop()
