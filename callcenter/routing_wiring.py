"""Routing composed: the router on the CRM's facts and the FastAGI server that asks it.

Shared by `callcenter agi serve` and `callcenter serve` (CALLCENTER_AGI_LISTEN); it may
import the CRM, as the composition root does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from callcenter.agi.server import FastAgiServer
from callcenter.bus import Bus
from callcenter.queues.routing.agi_route import route_script
from callcenter.queues.routing.engine import RoutingConfig
from callcenter.queues.routing.facts import CrmFacts, LiveState
from callcenter.queues.routing.rules import Rule
from callcenter.queues.routing.service import Decided, Router
from callcenter.queues.routing.store import engine_rules, store_decisions
from callcenter.settings import Settings, parse_listen
from crm.lookup.caller_facts import CrmCallerFacts


def build_router(
    sessions: sessionmaker[Session],
    settings: Settings,
    live: LiveState,
    *,
    bus: Bus | None = None,
    facts: CrmFacts | None = None,
    budget_s: float = 0.3,
) -> Router:
    """A router reading the CRM and the rules from `sessions`, storing its decisions there."""

    def load_rules() -> Sequence[Rule]:
        with sessions() as session:
            return engine_rules(session)

    def record(batch: Sequence[Decided]) -> None:
        with sessions.begin() as session:
            store_decisions(session, batch)

    config = RoutingConfig(default_queue=settings.default_queue, zone=settings.zone)
    return Router(
        facts or CrmCallerFacts(sessions, settings.default_region),
        load_rules,
        live,
        config,
        record=record,
        bus=bus,
        server=settings.server,
        budget_s=budget_s,
    )


async def start_agi_server(router: Router, host: str, port: int) -> FastAgiServer:
    """The FastAGI server answering script `route` with `router`, listening."""
    server = FastAgiServer({"route": route_script(router)}, host=host, port=port)
    await asyncio.to_thread(router.warm)
    await server.start()
    return server


async def start_agi_listener(
    sessions: sessionmaker[Session], settings: Settings, live: LiveState, bus: Bus
) -> tuple[Router, FastAgiServer | None]:
    """The app's router, and its FastAGI server when CALLCENTER_AGI_LISTEN names an address."""
    router = build_router(sessions, settings, live, bus=bus)
    if not settings.agi_listen:
        return router, None
    host, port = parse_listen(settings.agi_listen)
    try:
        return router, await start_agi_server(router, host, port)
    except OSError as exc:
        router.close()
        raise RuntimeError(
            f"CALLCENTER_AGI_LISTEN: cannot listen on {settings.agi_listen}: {exc.strerror or exc}"
        ) from None
