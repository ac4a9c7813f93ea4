"""What the active `cti run` of a PBX serves when several processes share Redis: the agents'
consoles (publishing through the Redis hub), the PBX link's commands and the floor's
snapshots, all under the one request name `pbx:<server>`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from agent_ui.hub_redis import RedisHub
from agent_ui.projector import console_projector
from callcenter.campaigns.dial_wiring import dialer_handlers, running_dialer
from callcenter.cti.remote import serving_pbx
from callcenter.queues.floor import FloorPublisher
from callcenter.redis_link import async_client

if TYPE_CHECKING:
    from callcenter.pbx_active import ActivePbx


@contextlib.asynccontextmanager
async def pbx_service(active: ActivePbx) -> AsyncIterator[None]:
    """Entered before the adapter starts (its resync reaches the consoles and the floor's
    snapshot), left after it stopped: frames still queued are written before the hub stops."""
    settings = active.settings
    assert settings.bus_url is not None
    adapter = active.adapter
    hub = RedisHub(async_client(settings.bus_url), settings.console_replay_frames)
    await hub.load()  # numbering goes on from where the last active process left it
    floor = FloorPublisher(active.presence, active.bus, active.server, after_resync=True)
    try:
        projector = console_projector(
            active,
            active.presence,
            adapter.connection,
            adapter.pipeline.tracker,
            hub,
            server=active.server,
        )
        async with projector as (consoles, console_calls):
            # Campaign mode: the consoles (and the web workers' requests) reach the dialer
            # this process runs beside the adapter.
            consoles.campaigns.find_dialer = lambda: running_dialer(active.server)
            more = {**console_calls, **floor.handlers(), **dialer_handlers(active.server)}
            url = settings.bus_url
            async with serving_pbx(
                url, active.server, adapter.connection, adapter.pipeline.tracker, more
            ):
                yield
    finally:
        floor.close()
        if active.lost.is_set():
            hub.producer.drop_pending()
        await hub.stop()
        await hub.client.aclose()
