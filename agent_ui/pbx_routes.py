"""A web worker's requests to each PBX's process: `pbx:<server>` of the agent's own PBX.

Where an agent is: the server that last reported their interface (the worker's Presence);
a user's interface comes from the users table. Anything unknown goes to the worker's own
PBX (CALLCENTER_PBX_NAME). Console operations are routed by their `user_id`; PBX commands
by the interface every `PbxControl` method takes, each server's on a `PbxControl` of its own
(its watches and call legs stay with the process that opened them).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.pbx import PbxControl
from callcenter.cti.remote import RemoteAmi, RemoteCalls, pbx_client, pbx_service_name
from callcenter.queues.presence import Presence
from callcenter.rpc import RpcClient, alive_key
from callcenter.users.models import User

# A user's interface is looked up again after this long (an admin may move them).
INTERFACE_FOR_S = 30.0


class PbxRoutes:
    """The request clients of every PBX's process, and which one an agent's request takes."""

    def __init__(
        self,
        client: aioredis.Redis,
        presence: Presence,
        sessions: sessionmaker[Session],
        default: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.presence, self.sessions = client, presence, sessions
        self.default = default
        self.clock = clock
        self._clients: dict[str, RpcClient] = {}
        self._interfaces: dict[int, tuple[str | None, float]] = {}

    def client_for(self, server: str) -> RpcClient:
        """The requests to the active process of `server` (made once, kept)."""
        found = self._clients.get(server)
        if found is None:
            found = self._clients[server] = pbx_client(self.client, server)
        return found

    def call_for(self, server: str) -> Callable[..., Awaitable[Any]]:
        """The call function of `server`'s requests (`await call(method, **args)`)."""
        return self.client_for(server).call

    async def served(self) -> list[str]:
        """The PBXs whose active process serves requests now (none when Redis is away)."""
        prefix = alive_key(pbx_service_name(""))
        try:
            names = [name async for name in self.client.scan_iter(match=f"{prefix}*")]
        except (RedisError, OSError):
            return []
        found = (name.decode() if isinstance(name, bytes) else str(name) for name in names)
        return sorted(name.removeprefix(prefix) for name in found)

    def server_of_interface(self, interface: str | None) -> str:
        """The PBX that reported the agent at `interface` (else the worker's own)."""
        return (self.presence.server_of(interface) if interface else None) or self.default

    async def server_of_user(self, user_id: int) -> str:
        """The PBX of the agent `user_id` (by their interface; else the worker's own)."""
        return self.server_of_interface(await self._interface_of(user_id))

    async def _interface_of(self, user_id: int) -> str | None:
        entry = self._interfaces.get(user_id)
        if entry is not None and entry[1] > self.clock():
            return entry[0]
        interface = await asyncio.to_thread(self._stored_interface, user_id)
        self._interfaces[user_id] = (interface, self.clock() + INTERFACE_FOR_S)
        return interface

    def _stored_interface(self, user_id: int) -> str | None:
        with self.sessions() as session:
            interface: str | None = session.execute(
                select(User.interface).where(User.id == user_id)
            ).scalar_one_or_none()
        return interface

    async def console_call(self, method: str, **args: Any) -> Any:
        """A `RemoteConsoleOps` call function: to the PBX of the agent in `user_id`; the
        snapshots of several agents from each one's PBX, put together."""
        if "user_ids" in args:
            return await self._snapshots_by_server(method, [int(u) for u in args["user_ids"]])
        server = await self.server_of_user(int(args["user_id"]))
        return await self.client_for(server).call(method, **args)

    async def _snapshots_by_server(self, method: str, user_ids: list[int]) -> dict[str, Any]:
        by_server: dict[str, list[int]] = {}
        for user_id in user_ids:
            by_server.setdefault(await self.server_of_user(user_id), []).append(user_id)
        answers = await asyncio.gather(
            *(self.client_for(s).call(method, user_ids=ids) for s, ids in by_server.items())
        )
        return {key: value for answer in answers for key, value in answer.items()}


class RoutedPbx(PbxControl):
    """The console's PBX commands, each sent to the PBX of the interface it acts on, through
    that server's own `PbxControl` (built on first use). What takes no interface (checking
    a transfer target alone) goes to the worker's own PBX."""

    def __init__(
        self,
        routes: PbxRoutes,
        dial_context: str,
        *,
        hold_keys: str = "",
    ) -> None:
        self.routes = routes
        self._controls: dict[str, PbxControl] = {}
        own = self.control_of(routes.default, dial_context, hold_keys)
        super().__init__(own.connection, dial_context, own.calls, hold_keys=hold_keys)

    def control_of(self, server: str, dial_context: str, hold_keys: str) -> PbxControl:
        """The PBX commands on `server`'s process (made once, kept)."""
        found = self._controls.get(server)
        if found is None:
            call = self.routes.client_for(server).call
            found = PbxControl(
                RemoteAmi(call, label=f"the PBX link ({server})"),
                dial_context,
                RemoteCalls(call),
                hold_keys=hold_keys,
            )
            self._controls[server] = found
        return found

    def for_interface(self, interface: str) -> PbxControl:
        """The commands on the PBX of the agent at `interface`."""
        server = self.routes.server_of_interface(interface)
        return self.control_of(server, self.dial_context, self.hold_keys)

    async def aclose(self) -> None:
        """Let every server's watches finish their last requests."""
        for control in self._controls.values():
            if isinstance(control.connection, RemoteAmi):
                await control.connection.aclose()


def _by_interface(name: str) -> Callable[..., Any]:
    async def routed(self: RoutedPbx, interface: str, *args: Any, **kwargs: Any) -> Any:
        return await getattr(self.for_interface(interface), name)(interface, *args, **kwargs)

    routed.__name__ = name
    routed.__doc__ = getattr(PbxControl, name).__doc__
    return routed


# Every command that acts on an agent's interface (its first argument).
ROUTED_BY_INTERFACE = (
    "sign_in",
    "sign_out",
    "pause",
    "unpause",
    "paused_since",
    "dial",
    "agent_channel",
    "hangup",
    "blind_transfer",
    "attended_transfer",
    "complete_transfer",
    "cancel_transfer",
    "hold",
    "resume",
)
for _name in ROUTED_BY_INTERFACE:
    setattr(RoutedPbx, _name, _by_interface(_name))
