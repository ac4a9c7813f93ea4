"""A web worker's requests reach the process of the agent's own PBX, by user or interface."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from agent_ui.pbx_routes import PbxRoutes, RoutedPbx
from callcenter.calls.records import AgentState
from callcenter.cti.remote import pbx_service_name
from callcenter.db import transaction
from callcenter.events import AgentStateChanged
from callcenter.queues.presence import Presence
from callcenter.redis_link import async_client
from callcenter.rpc import serving
from callcenter.users import service as users_service

AT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def handlers(server: str) -> dict[str, Any]:
    async def snapshot(user_id: int) -> dict[str, Any]:
        return {"from": server, "user": user_id}

    async def snapshots(user_ids: list[int]) -> dict[str, Any]:
        return {str(user_id): {"from": server} for user_id in user_ids}

    return {"consoles.snapshot": snapshot, "consoles.snapshots": snapshots}


def seed(sessions: sessionmaker[Session]) -> dict[str, int]:
    ids = {}
    with transaction(sessions) as session:
        for name, phone in (("ann", "PJSIP/1001"), ("bob", "PJSIP/2001"), ("cy", None)):
            user = users_service.create_user(
                session,
                name,
                role=users_service.Role.AGENT,
                password=f"{name}-password-long-enough",
                interface=phone,
            )
            ids[name] = user.id
    return ids


async def test_console_requests_go_to_the_pbx_that_reported_the_agent(
    redis_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    ids = seed(sessions)
    presence = Presence()
    for server, phone, name in (("pbx-a", "PJSIP/1001", "ann"), ("pbx-b", "PJSIP/2001", "bob")):
        presence.on_agent_state(
            AgentStateChanged(
                at=AT, server=server, agent=name, interface=phone,
                state=AgentState.AVAILABLE, reason=None, queue=None,
            )
        )  # fmt: skip
    routes = PbxRoutes(async_client(redis_url, command_timeout_s=None), presence, sessions, "pbx-a")
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(routes.client.aclose)
        for server in ("pbx-a", "pbx-b"):
            await stack.enter_async_context(
                serving(redis_url, pbx_service_name(server), handlers(server))
            )
        async with asyncio.timeout(5):  # each service says it is there once it runs
            while await routes.served() != ["pbx-a", "pbx-b"]:
                await asyncio.sleep(0.05)
        got = await routes.console_call("consoles.snapshot", user_id=ids["bob"])
        assert got == {"from": "pbx-b", "user": ids["bob"]}
        # Nobody's phone reported yet, no phone at all: the worker's own PBX.
        got = await routes.console_call("consoles.snapshot", user_id=ids["cy"])
        assert got["from"] == "pbx-a"
        every = await routes.console_call("consoles.snapshots", user_ids=list(ids.values()))
        assert every == {
            str(ids["ann"]): {"from": "pbx-a"},
            str(ids["bob"]): {"from": "pbx-b"},
            str(ids["cy"]): {"from": "pbx-a"},
        }
        pbx = RoutedPbx(routes, "agents")
        assert pbx.for_interface("PJSIP/2001") is pbx.control_of("pbx-b", "agents", "")
        assert pbx.for_interface("PJSIP/9999") is pbx.control_of("pbx-a", "agents", "")
        await pbx.aclose()
