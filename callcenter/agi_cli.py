"""`callcenter agi serve`: the FastAGI routing server, following the PBX for live state.

With CALLCENTER_AMI_URL set it follows the PBX (the same pipeline and tracker as
`cti run`, feeding a Presence) without writing call records: that stays `cti run`'s or
`serve`'s job. With CALLCENTER_BUS_URL set it follows the active `cti run`'s events on the
shared bus instead, opening no AMI link of its own. Without either, no agent is known to be
signed in, so no preferred member is named.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import Any

from callcenter.agi.server import FastAgiServer
from callcenter.bus import make_bus
from callcenter.cli import UsageError, add_database_option, port_number, settings_from
from callcenter.cti.adapter import LiveAdapter
from callcenter.cti.protocol import AmiError
from callcenter.db import make_sessionmaker, open_database, pool_options
from callcenter.queues.presence import Presence
from callcenter.queues.routing.facts import LiveState
from callcenter.queues.routing.live import NoLive, PresenceLive
from callcenter.routing_cli import add_routing_commands
from callcenter.routing_wiring import build_router, start_agi_server
from callcenter.settings import Settings
from callcenter.stop_signals import stop_signals

log = logging.getLogger(__name__)

NO_PRESENCE = (
    "no CALLCENTER_AMI_URL: the server does not follow the PBX, so preferred members are off "
    "(no agent is known to be signed in)"
)


def register(groups: Any) -> None:
    """Add the `agi` and `routing` command groups."""
    agi = groups.add_parser("agi", help="the FastAGI routing server")
    actions = agi.add_subparsers(dest="action", metavar="ACTION", required=True)
    serve = actions.add_parser(
        "serve",
        help="answer the dialplan's AGI(agi://host:4573/route) until stopped",
        description=__doc__.splitlines()[0],
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=port_number, default=4573, help="TCP port (4573)")
    add_database_option(serve)
    serve.set_defaults(func=serve_command)
    add_routing_commands(groups)


def serve_command(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM."""
    settings = settings_from(args)
    engine = open_database(
        settings.database_url,
        migrate=settings.migrate_on_start,
        need="routing_rules",
        **pool_options(settings),
    )
    try:
        return asyncio.run(_serve(args.host, args.port, make_sessionmaker(engine), settings))
    finally:
        engine.dispose()


async def _serve(host: str, port: int, sessions: Any, settings: Settings) -> int:
    with stop_signals() as stop:
        async with routing_server(host, port, sessions, settings) as server:
            shown = f"agi://{host}:{server.port}/route"
            print(f"routing calls on {shown} (Ctrl-C stops)", file=sys.stderr)
            await stop.wait()
    return 0


@contextlib.asynccontextmanager
async def routing_server(
    host: str, port: int, sessions: Any, settings: Settings
) -> AsyncIterator[FastAgiServer]:
    """The FastAGI server, following the PBX when one is configured, until the block ends."""
    bus = make_bus(settings)
    adapter: LiveAdapter | None = None
    live: LiveState = NoLive()
    if settings.distributed:
        # Several processes: the active `cti run` follows the PBX; its events come by the bus.
        presence = Presence()
        presence.subscribe(bus)
        live = PresenceLive(presence)
    elif settings.ami is not None:
        presence = Presence()
        presence.subscribe(bus)
        live = PresenceLive(presence)
        adapter = LiveAdapter(
            settings.ami,
            server=settings.server,
            bus=bus,
            region=settings.default_region,
            wrap_up_reason=settings.wrap_up_reason,
        )
    else:
        print(f"callcenter: {NO_PRESENCE}", file=sys.stderr)
        log.warning(NO_PRESENCE)
    router = build_router(sessions, settings, live, bus=bus)
    try:
        server = await start_agi_server(router, host, port)
    except OSError as exc:
        router.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    await bus.start()
    try:
        if adapter is not None:
            try:
                await adapter.start()
            except AmiError as exc:
                raise UsageError(str(exc)) from None
        try:
            yield server
        finally:
            if adapter is not None:
                await adapter.stop()
    finally:
        await server.stop()
        await asyncio.to_thread(router.close)
        await bus.stop()
