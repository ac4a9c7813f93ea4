"""In-process publish/subscribe for domain events: the bus of a single process, and the base
of the Redis one (callcenter.bus_redis)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from callcenter.events import DomainEvent

log = logging.getLogger(__name__)

E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Any], None]


class Bus:
    """Delivers each published event to the handlers subscribed to its type or a base type.

    Handlers run synchronously in the publisher's thread, in subscription order; one that
    raises is logged and the others still run. Async consumers use `queue()`.
    """

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)
        self._routes: dict[type[DomainEvent], tuple[Handler, ...]] = {}
        self._server_handlers: list[Callable[[str], None]] = []

    def hears(self, kind: type[DomainEvent]) -> bool:
        """Whether events of `kind` published in other processes reach this bus's handlers
        (in one process, every event does)."""
        return True

    async def start(self) -> None:
        """Nothing to start in one process (a Redis bus connects here)."""

    async def stop(self) -> None:
        """Nothing to stop in one process (a Redis bus flushes and disconnects here)."""

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call `handler` for every event of `event_type`; returns the unsubscribe function."""
        self._handlers[event_type].append(handler)
        self._routes.clear()

        def unsubscribe() -> None:
            handlers = self._handlers.get(event_type, [])
            if handler in handlers:
                handlers.remove(handler)
                self._routes.clear()

        return unsubscribe

    def subscribe_servers(self, handler: Callable[[str], None]) -> Callable[[], None]:
        """Call `handler` with the server of every event, of any type (no other field of the
        event: a shared bus need not decode the events nothing here takes); returns the
        unsubscribe function."""
        self._server_handlers.append(handler)

        def unsubscribe() -> None:
            if handler in self._server_handlers:
                self._server_handlers.remove(handler)

        return unsubscribe

    def wants(self, kind: type[DomainEvent]) -> bool:
        """Whether a handler here takes events of `kind` (or of a base type)."""
        route = self._routes.get(kind)
        return bool(route if route is not None else self._route(kind))

    def publish(self, event: DomainEvent) -> None:
        """Hand `event` to every interested handler."""
        self._server_seen(event.server)
        kind = type(event)
        route = self._routes.get(kind)
        if route is None:
            route = self._route(kind)
        for handler in route:
            try:
                handler(event)
            except Exception:
                log.exception("bus handler %r failed on %s", handler, kind.__name__)

    def queue(
        self, event_type: type[E], *, maxsize: int = 0
    ) -> tuple[asyncio.Queue[E], Callable[[], None]]:
        """An asyncio queue fed with events of `event_type` (call from inside the loop)."""
        loop = asyncio.get_running_loop()
        q: asyncio.Queue[E] = asyncio.Queue(maxsize=maxsize)

        def put(event: E) -> None:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                q.put_nowait(event)
            else:
                loop.call_soon_threadsafe(q.put_nowait, event)

        return q, self.subscribe(event_type, put)

    def _server_seen(self, server: str) -> None:
        for handler in self._server_handlers:
            try:
                handler(server)
            except Exception:
                log.exception("bus server handler %r failed on %r", handler, server)

    def _route(self, kind: type[DomainEvent]) -> tuple[Handler, ...]:
        route = tuple(
            handler
            for base in kind.__mro__
            if base in self._handlers
            for handler in self._handlers[base]
        )
        self._routes[kind] = route
        return route
