"""The domain-event bus: in-process, or on Redis Streams when CALLCENTER_BUS_URL is set."""

from __future__ import annotations

from callcenter.local_bus import Bus, E, Handler
from callcenter.settings import Settings

__all__ = ["Bus", "E", "Handler", "make_bus"]


def make_bus(settings: Settings, *, follow: bool = True) -> Bus:
    """The bus this process publishes on: shared through Redis when `settings.bus_url` is set
    (start it with `await bus.start()`), else today's in-process one. `follow=False`: a
    shared bus that reads, of other processes' events, only the routing server's decisions."""
    if settings.bus_url is None:
        return Bus()
    from callcenter.bus_redis import RedisBus  # only processes on a shared bus load Redis

    return RedisBus(settings.bus_url, follow=follow)
