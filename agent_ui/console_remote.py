"""A web worker's console when several processes share Redis: tabs relayed from the Redis
hub, the consoles and the PBX reached in the active `cti run` of the PBX."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent_ui.console_ops import RemoteConsoleOps
from agent_ui.hub_redis import RedisHub
from agent_ui.pbx import PbxControl
from agent_ui.runtime import ConsoleRuntime
from agent_ui.session_watch import SessionWatch
from callcenter.cti.remote import RemoteAmi, RemoteCalls, pbx_client
from callcenter.redis_link import async_client
from callcenter.rpc import RpcClient, RpcUnavailable
from callcenter.users.auth import SignInLimiter

if TYPE_CHECKING:
    from callcenter.services import Services


async def start_remote_console(state: Services) -> tuple[ConsoleRuntime, RpcClient]:
    """The console runtime of a web worker (inside the running loop), and the requests to
    the PBX's process it makes (the floor's catch-up uses them too)."""
    settings = state.settings
    assert settings.bus_url is not None
    # Blocking reads (the relay's XREAD, the replies' BLPOP) need clients without a timeout.
    hub = RedisHub(
        async_client(settings.bus_url, command_timeout_s=None), settings.console_replay_frames
    )
    await hub.start_relay()
    requests = pbx_client(async_client(settings.bus_url, command_timeout_s=None), settings.server)
    pbx = PbxControl(
        RemoteAmi(requests.call),
        settings.console_dial_context,
        RemoteCalls(requests.call),
        hold_keys=settings.console_hold_keys,
    )
    sockets = SessionWatch(state)
    sockets.start()
    runtime = ConsoleRuntime(
        settings=settings,
        hub=hub,
        consoles=None,
        pbx=pbx,
        limiter=SignInLimiter(),
        sockets=sockets,
        ops=RemoteConsoleOps(requests.call, unreachable=(RpcUnavailable,)),
    )
    return runtime, requests


async def stop_remote_console(runtime: ConsoleRuntime, requests: RpcClient) -> None:
    """Close the tabs and the session watch, stop the relay, close the Redis clients."""
    hub = runtime.hub
    assert isinstance(hub, RedisHub)
    await hub.stop()
    await runtime.sockets.stop()
    await hub.client.aclose()
    await requests.client.aclose()
