"""Starting the dialer beside the PBX link: in the single process and in the active `cti run`."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.campaigns.dialer import Dialer, DialRefused, LeadOffer
from callcenter.campaigns.pbx_clock import PbxClock
from callcenter.cti.ami_commands import AmiCommands
from callcenter.queues.presence import Presence
from callcenter.rpc import RpcUnavailable
from callcenter.settings import Settings

if TYPE_CHECKING:
    from callcenter.pbx_active import ActivePbx

log = logging.getLogger(__name__)

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
        pbx_clock=PbxClock(settings.pbx_clock_speed),
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
    try:
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
    except Exception:
        log.exception("the dialer could not start; campaigns are not dialled")
        raise


CallFunction = Callable[..., Awaitable[Any]]
Handler = Callable[..., Awaitable[Any]]


def dialer_handlers(server: str) -> dict[str, Handler]:
    """What the PBX's process answers for a console in another process (merge into the
    handlers `serving_pbx` serves): the preview API of this process's dialer, JSON-able."""

    def running() -> Dialer:
        found = running_dialer(server)
        if found is None:
            raise DialRefused("the dialer is not running (is the PBX connected?)")
        return found

    async def preview_next(agent: str) -> dict[str, Any] | None:
        offer = await running().preview_next(agent)
        return dataclasses.asdict(offer) if offer is not None else None

    async def dial_preview(agent: str, lead_id: int) -> int:
        return await running().dial_preview(agent, int(lead_id))

    async def skip_preview(agent: str, lead_id: int) -> None:
        await running().skip_preview(agent, int(lead_id))

    return {
        "dialer.preview_next": preview_next,
        "dialer.dial_preview": dial_preview,
        "dialer.skip_preview": skip_preview,
    }


class RemoteDialer:
    """The preview API of the dialer in the PBX's process, through `call` (e.g.
    `PbxRoutes.call_for(server)`); a refusal comes back as DialRefused with its sentence."""

    def __init__(self, call: CallFunction) -> None:
        self._call = call

    async def _ask(self, method: str, **args: Any) -> Any:
        try:
            return await self._call(f"dialer.{method}", **args)
        except (TimeoutError, RpcUnavailable):
            raise DialRefused(
                "the dialer is not reachable now (is `callcenter cti run` running?)"
            ) from None
        except Exception as exc:
            if getattr(exc, "kind", None) == "DialRefused":
                raise DialRefused(str(getattr(exc, "message", exc))) from None
            raise

    async def preview_next(self, agent: str) -> LeadOffer | None:
        found = await self._ask("preview_next", agent=agent)
        return LeadOffer(**found) if found is not None else None

    async def dial_preview(self, agent: str, lead_id: int) -> int:
        return int(await self._ask("dial_preview", agent=agent, lead_id=lead_id))

    async def skip_preview(self, agent: str, lead_id: int) -> None:
        await self._ask("skip_preview", agent=agent, lead_id=lead_id)
