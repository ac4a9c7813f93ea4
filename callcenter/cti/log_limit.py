"""Warnings a hostile or broken PBX could repeat thousands of times a second, held to one a
minute per kind."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class LimitedLog:
    """At most one warning per kind every `interval` seconds; the next one says how many of
    that kind were held back meanwhile. Kinds are few and named by the code (an event name
    and a header, an event name and an exception class), so the table stays small."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval = interval
        self.clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, kind: str, message: str, *args: object) -> bool:
        """Log `message % args` unless a warning of `kind` went out less than `interval` ago;
        whether it was logged."""
        now = self.clock()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self._held[kind] = self._held.get(kind, 0) + 1
            return False
        self._last[kind] = now
        held = self._held.pop(kind, 0)
        if held:
            message += " (%d more like it in the last %.0f s not logged)"
            args = (*args, held, now - last if last is not None else 0.0)
        self.logger.warning(message, *args)
        return True
