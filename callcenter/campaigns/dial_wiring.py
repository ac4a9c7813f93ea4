"""Starting the dialer beside the PBX link: in the single process and in the active `cti run`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.campaigns.dialer import Dialer
from callcenter.cti.ami_commands import AmiCommands
from callcenter.queues.presence import Presence
from callcenter.settings import Settings

if TYPE_CHECKING:
    from callcenter.pbx_active import ActivePbx

# The dialer each PBX's process runs, by server (what the consoles of that process use).
_RUNNING: dict[str, Dialer] = {}


def running_dialer(server: str) -> Dialer | None:
    """The dialer this process runs for `server`, if any."""
    return _RUNNING.get(server)


@contextlib.asynccontextmanager
async def dialing(
    *,
    pbx: AmiCommands,
    sessions: sessionmaker[Session],
    bus: Bus,
    presence: Presence,
    server: str,
    settings: Settings,
) -> AsyncIterator[Dialer]:
    """A started dialer (after the PBX link started), stopped on leaving (before the link)."""
    dialer = Dialer(
        pbx=pbx,
        sessions=sessions,
        bus=bus,
        presence=presence,
        server=server,
        dial_trunk=settings.dial_trunk,
    )
    await dialer.start()
    _RUNNING[server] = dialer
    try:
        yield dialer
    finally:
        if _RUNNING.get(server) is dialer:
            del _RUNNING[server]
        await dialer.stop()


@contextlib.asynccontextmanager
async def active_dialer(active: ActivePbx) -> AsyncIterator[None]:
    """The dialer of the active `cti run` (an ACTIVE_EXTRAS entry). Entered before the adapter
    starts, so it waits for the adapter's connection before reconciling and dialling."""
    adapter = active.adapter
    starting = asyncio.create_task(_wait_connected(adapter.connection))
    stack = contextlib.AsyncExitStack()
    try:
        yield_dialer = _start_when_connected(active, starting, stack)
        task = asyncio.create_task(yield_dialer)
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        starting.cancel()
        await stack.aclose()


async def _wait_connected(connection: object) -> None:
    event = getattr(connection, "connected", None)
    if event is not None:
        await event.wait()


async def _start_when_connected(
    active: ActivePbx, starting: asyncio.Task[None], stack: contextlib.AsyncExitStack
) -> None:
    await starting
    await stack.enter_async_context(
        dialing(
            pbx=active.adapter.connection,
            sessions=active.sessions,
            bus=active.bus,
            presence=active.presence,
            server=active.server,
            settings=active.settings,
        )
    )
