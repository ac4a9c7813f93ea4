"""With CALLCENTER_BUS_URL the app and `agi serve` run on the Redis bus: another process's
events reach them, theirs reach it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from callcenter.agi_cli import routing_server
from callcenter.app import create_app
from callcenter.bus_redis import RedisBus
from callcenter.calls.records import AgentState
from callcenter.events import AgentStateChanged, CallHeld, CallRouted
from callcenter.settings import Settings
from tests.agi.agi_client import converse, request_for
from tests.agi.test_routing_serve import seed, variables
from tests.cluster.test_redis_bus import Node, held, until


def alice_available() -> AgentStateChanged:
    return AgentStateChanged(
        at=datetime.now(UTC), server="pbx", agent="Alice", interface="PJSIP/1001",
        state=AgentState.AVAILABLE, reason=None, queue="support", queues=("support",),
    )  # fmt: skip


async def test_agi_serve_follows_the_agents_on_the_bus(
    redis_url: str,
    database_url: str,
    sessions: sessionmaker[Session],
    fast_password_hashing: None,
) -> None:
    seed(sessions, "alice")
    settings = Settings(database_url=database_url, bus_url=redis_url, default_region="US")
    adapter = Node(redis_url)  # the active `cti run`, as far as the bus shows it
    routed: list[CallRouted] = []
    adapter.bus.subscribe(CallRouted, routed.append)
    await adapter.bus.start()
    try:
        async with routing_server("127.0.0.1", 0, sessions, settings) as server:
            adapter.bus.publish(alice_available())
            shown: dict[str, str] = {}
            for attempt in range(100):  # until the event has crossed
                question = request_for("+15551230001", "+4930100", f"1.{attempt}")
                shown = variables(await converse(server.port, question))
                if shown["PREFERRED_MEMBER"]:
                    break
                await asyncio.sleep(0.05)
            assert shown["PREFERRED_MEMBER"] == "PJSIP/1001"
            await until(lambda: any(e.preferred_username == "alice" for e in routed))
    finally:
        await adapter.bus.stop()


async def test_the_app_runs_on_the_redis_bus(redis_url: str, database_url: str) -> None:
    settings = Settings(database_url=database_url, bus_url=redis_url, sla_check_interval_s=3600)
    other = Node(redis_url)
    await other.bus.start()
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            bus = app.state.callcenter.bus
            assert isinstance(bus, RedisBus) and bus.up
            seen: list[CallHeld] = []
            bus.subscribe(CallHeld, seen.append)
            other.bus.publish(held(1))
            bus.publish(held(2))
            await until(lambda: len(seen) == 2 and len(other.held) == 2)
    finally:
        await other.bus.stop()
