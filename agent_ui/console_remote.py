"""A web worker's console when several processes share Redis: tabs relayed from the Redis
hub, the consoles and the PBX reached in the active `cti run` of the agent's own PBX."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent_ui.console_ops import RemoteConsoleOps
from agent_ui.hub_redis import RedisHub
from agent_ui.pbx_routes import PbxRoutes, RoutedPbx
from agent_ui.runtime import ConsoleRuntime
from agent_ui.session_watch import SessionWatch
from callcenter.queues.presence import Presence
from callcenter.redis_link import async_client
from callcenter.rpc import RpcUnavailable
from callcenter.users.auth import SignInLimiter

if TYPE_CHECKING:
    from callcenter.services import Services


async def start_remote_console(
    state: Services, presence: Presence
) -> tuple[ConsoleRuntime, PbxRoutes]:
    """The console runtime of a web worker (inside the running loop), and the requests to
    each PBX's process it makes (the floors' catch-up uses them too): an agent's go to the
    PBX `presence` last saw them on, else to CALLCENTER_PBX_NAME's."""
    settings = state.settings
    assert settings.bus_url is not None
    # Blocking reads (the relay's XREAD, the replies' BLPOP) need clients without a timeout.
    hub = RedisHub(
        async_client(settings.bus_url, command_timeout_s=None), settings.console_replay_frames
    )
    await hub.start_relay()
    routes = PbxRoutes(
        async_client(settings.bus_url, command_timeout_s=None),
        presence,
        state.sessions,
        settings.server,
    )
    pbx = RoutedPbx(routes, settings.console_dial_context, hold_keys=settings.console_hold_keys)
    sockets = SessionWatch(state)
    sockets.start()
    runtime = ConsoleRuntime(
        settings=settings,
        hub=hub,
        consoles=None,
        pbx=pbx,
        limiter=SignInLimiter(),
        sockets=sockets,
        ops=RemoteConsoleOps(routes.console_call, unreachable=(RpcUnavailable,)),
    )
    return runtime, routes


async def stop_remote_console(runtime: ConsoleRuntime, routes: PbxRoutes) -> None:
    """Close the tabs and the session watch, stop the relay, close the Redis clients."""
    hub = runtime.hub
    assert isinstance(hub, RedisHub)
    await hub.stop()
    await runtime.sockets.stop()
    await hub.client.aclose()
    if isinstance(runtime.pbx, RoutedPbx):
        await runtime.pbx.aclose()
    await routes.client.aclose()
