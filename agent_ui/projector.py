"""The agents' consoles as the active PBX process runs them when several processes share Redis.

`console_projector` builds the consoles on the adapter's own AMI connection and call tracker
(wrap-up pauses, the tracker's channels), follows the bus and the presence, publishes
through the hub it is given, and hands back the handlers web workers reach by RPC.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from agent_ui.console_ops import Handler, console_handlers
from agent_ui.consoles import Consoles
from agent_ui.hub import ConsoleHub
from agent_ui.pbx import CallChannels, PbxControl
from callcenter.bus import Bus
from callcenter.cti.connection import AmiConnection
from callcenter.queues.presence import Presence
from callcenter.settings import Settings


class ProjectorHost(Protocol):
    """What the consoles need of the process they run in (the app's services, or the
    active PBX process's)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> sessionmaker[Session]: ...

    @property
    def bus(self) -> Bus: ...


@asynccontextmanager
async def console_projector(
    services: ProjectorHost,
    presence: Presence,
    connection: AmiConnection,
    tracker: CallChannels,
    hub: ConsoleHub,
    *,
    server: str | None = None,
) -> AsyncIterator[tuple[Consoles, dict[str, Handler]]]:
    """Run the consoles while the context lasts (inside the running loop, before the
    adapter starts, so its resync's agent states reach them); yields the consoles and
    their handlers (`console_handlers`); stops their timers and lookups on the way out.
    The hub is the caller's: it stays open. With `server`, only that PBX's agents' consoles
    are followed (the bus may carry other PBXs' events)."""
    settings = services.settings
    pbx = PbxControl(
        connection, settings.console_dial_context, tracker, hold_keys=settings.console_hold_keys
    )
    consoles = Consoles(
        hub=hub,
        sessions=services.sessions,
        settings=settings,
        presence=presence,
        pbx=pbx,
        server=server,
    )
    consoles.start(services.bus)
    try:
        yield consoles, console_handlers(consoles)
    finally:
        await consoles.stop()
