"""`cti run` with several processes: standby until the PBX's lease is ours, then active."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.cli import UsageError
from callcenter.cti.adapter import LiveAdapter
from callcenter.cti.checkpoint import Checkpoints
from callcenter.cti.protocol import AmiError
from callcenter.cti.writer_process import (
    ProcessRecordWriter,
    prepare_writer_processes,
    writer_for,
)
from callcenter.events import DomainEvent
from callcenter.gc_tuning import long_lived_objects_frozen
from callcenter.lease import Lease, lease_key
from callcenter.queues.presence import Presence
from callcenter.redis_link import async_client
from callcenter.settings import AmiTarget, Settings
from callcenter.wiring import wire_consumers


@dataclass(frozen=True)
class ActivePbx:
    """What the active process of a PBX runs, handed to each of `ACTIVE_EXTRAS`.

    The adapter is built but not started yet when an extra is entered (so it sees the first
    resync), and is stopped (or abandoned) before the extra is left. `bus` is the shared one
    (every event of the adapter is published on it); `presence` follows this PBX's events."""

    server: str
    adapter: LiveAdapter
    bus: Bus
    presence: Presence
    sessions: sessionmaker[Session]
    settings: Settings
    lost: asyncio.Event  # set when another process took the lease: publish nothing more


# What starts with the adapter while this process holds the PBX's lease (the console
# projector, the RPC service): each is entered before the adapter starts and left after it
# stopped, in reverse order.
ActiveExtra = Callable[[ActivePbx], contextlib.AbstractAsyncContextManager[object]]
ACTIVE_EXTRAS: list[ActiveExtra] = []


async def run_with_lease(
    target: AmiTarget,
    server: str,
    sessions: sessionmaker[Session],
    settings: Settings,
    bus: Bus,
    stop: asyncio.Event,
    extras: list[ActiveExtra] = ACTIVE_EXTRAS,
) -> int:
    """Standby until the lease `cc:lease:pbx:<server>` is ours, then active until `stop`
    (a clean stop, then the lease released for a standby) or until the lease is lost (the
    adapter dropped at once, writing nothing for the calls in flight, and standby again)."""
    assert settings.bus_url is not None
    client = async_client(settings.bus_url)
    # Through a Redis outage the active process goes on recording the PBX's calls.
    lease = Lease(client, lease_key("pbx", server), through_outages=True)
    if writer_for(sessions) is ProcessRecordWriter:  # its start is not on the takeover's path
        await asyncio.to_thread(prepare_writer_processes)
    try:
        while not stop.is_set():
            print(f"standby for PBX {server}", file=sys.stderr, flush=True)
            if not await lease.acquire(stop):
                break
            async with lease.held() as lost:
                try:
                    await _active(target, server, sessions, settings, bus, stop, lost, extras)
                finally:
                    if not lost.is_set():
                        await lease.release()
    finally:
        await client.aclose()
    return 0


async def _active(
    target: AmiTarget,
    server: str,
    sessions: sessionmaker[Session],
    settings: Settings,
    bus: Bus,
    stop: asyncio.Event,
    lost: asyncio.Event,
    extras: list[ActiveExtra],
) -> None:
    # The adapter publishes on a bus of its own, passed on to the shared one: the writers and
    # the presence take this PBX's events only, never another process's from Redis (another
    # PBX's records would be written twice).
    own = Bus()
    forward = own.subscribe(DomainEvent, bus.publish)
    consumers = wire_consumers(own, sessions, settings, live=True)
    await consumers.start()
    presence = Presence()
    unsubscribe = presence.subscribe(own)
    adapter = LiveAdapter(
        target,
        server=server,
        bus=own,
        region=settings.default_region,
        wrap_up_reason=settings.wrap_up_reason,
        checkpoints=Checkpoints(sessions),
    )
    active = ActivePbx(server, adapter, bus, presence, sessions, settings, lost)
    try:
        async with contextlib.AsyncExitStack() as started:
            for extra in extras:
                await started.enter_async_context(extra(active))
            # The consoles of a floor and the calls in flight stay out of full collections.
            with long_lived_objects_frozen():
                await _follow(adapter, server, stop, lost)
    finally:
        unsubscribe()
        await consumers.stop()
        forward()
        if lost.is_set():
            # What this process queued for Redis while cut off from it is stale now that
            # another process follows the PBX: drop it (readers see the gap and catch up).
            drop = getattr(bus, "drop_pending", None)
            if drop is not None:
                drop()


async def _follow(
    adapter: LiveAdapter, server: str, stop: asyncio.Event, lost: asyncio.Event
) -> None:
    """Run the adapter until `stop` or `lost`."""
    try:
        await adapter.start()
    except AmiError as exc:
        raise UsageError(str(exc)) from None
    try:
        print(
            f"active for PBX {server}: connected to the PBX at {adapter.connection.label}; "
            "writing call records (Ctrl-C stops)",
            file=sys.stderr,
            flush=True,
        )
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(lost.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
    finally:
        if lost.is_set():
            print(f"lost the lease of PBX {server}: stopped following it", file=sys.stderr)
            await adapter.abandon()
        else:
            await adapter.stop()
