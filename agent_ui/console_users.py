"""Who sits at a phone: interface -> (user id, username), cached for the pop's sake.

The pop path cannot wait on the database, so the answer is cached. A change to users made
in this process (admin pages, `callcenter users`) drops the cache at once; one made by
another process is seen once an entry expires: soon for "nobody uses this phone" (a new
agent's first call pops within a minute), later for a known agent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.users.models import User

Seat = tuple[int, str]

KNOWN_FOR_S = 600.0
UNKNOWN_FOR_S = 30.0
_USER_CHANGES = ("after_insert", "after_update", "after_delete")


class ConsoleUsers:
    """The agent using each interface, looked up once and remembered for a while."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self._seats: dict[str, tuple[Seat | None, float]] = {}
        self._watching = False

    def watch_users(self) -> None:
        """Forget everything whenever a user row is written in this process."""
        if not self._watching:
            for change in _USER_CHANGES:
                event.listen(User, change, self._users_changed)
            self._watching = True

    def stop_watching(self) -> None:
        if self._watching:
            for change in _USER_CHANGES:
                event.remove(User, change, self._users_changed)
            self._watching = False

    def known(self, interface: str) -> bool:
        """Whether the answer for `interface` is at hand (no database trip needed)."""
        entry = self._seats.get(interface)
        return entry is not None and entry[1] > self.clock()

    def cached(self, interface: str) -> Seat | None:
        """The remembered answer (call `known` first)."""
        entry = self._seats.get(interface)
        return entry[0] if entry is not None else None

    def seat_of(self, interface: str) -> Seat | None:
        """(user id, username) of the agent using `interface` (blocking on a cache miss)."""
        if self.known(interface):
            return self.cached(interface)
        with self.sessions() as session:
            row = session.execute(
                select(User.id, User.username).where(User.interface == interface)
            ).first()
        seat = (row[0], row[1]) if row else None
        self._seats[interface] = (seat, self.clock() + (KNOWN_FOR_S if seat else UNKNOWN_FOR_S))
        return seat

    def forget(self) -> None:
        """Drop every remembered answer."""
        self._seats = {}

    def _users_changed(self, *args: Any) -> None:
        # Runs in whichever thread wrote the user; a fresh dict swapped in whole is safe
        # for a reader on the event loop.
        self.forget()
