"""The routing decisions this process heard announced lately, and the cards shown without
one, by call, for the pops."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from agent_ui.route_note import RoutingFacts

# The routing server stores a decision a moment after the caller has it, while the PBX may
# already ring an agent: the announcement covers that moment; after it the stored row does.
KEEP_S = 120.0
MOST = 50_000
# A decision heard after its call's card was looked up comes within moments of the ring.
CARD_KEEP_S = 10.0

Shown = TypeVar("Shown")


class RecentRoutes:
    """Routing decisions heard in the last `keep_s` seconds (at most `most`), by the caller's
    channel (the linkedid of a call from a trunk)."""

    def __init__(
        self,
        keep_s: float = KEEP_S,
        most: int = MOST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keep_s = keep_s
        self.most = most
        self._clock = clock
        self._routes: OrderedDict[str, tuple[float, RoutingFacts]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._routes)

    def add(self, uniqueid: str, decision: RoutingFacts) -> None:
        """Remember the decision for the call `uniqueid` (a later one replaces it)."""
        now = self._clock()
        self._routes[uniqueid] = (now, decision)
        self._routes.move_to_end(uniqueid)
        routes = self._routes
        while routes and (
            len(routes) > self.most or next(iter(routes.values()))[0] < now - self.keep_s
        ):
            routes.popitem(last=False)

    def get(self, linkedid: str) -> RoutingFacts | None:
        """The decision announced for the call `linkedid`, if heard lately."""
        found = self._routes.get(linkedid)
        if found is None or found[0] < self._clock() - self.keep_s:
            return None
        return found[1]


class CardsWithoutRoute(Generic[Shown]):
    """What was shown in the last `keep_s` seconds (at most `most`) with no routing decision,
    by call: a decision heard just after its call's card was looked up is then shown too."""

    def __init__(
        self,
        keep_s: float = CARD_KEEP_S,
        most: int = MOST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keep_s = keep_s
        self.most = most
        self._clock = clock
        self._shown: OrderedDict[str, tuple[float, list[Shown]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._shown)

    def add(self, linkedid: str, shown: Shown) -> None:
        """Remember `shown` (one agent's card) for the call `linkedid`."""
        now = self._clock()
        found = self._shown.get(linkedid)
        if found is None or found[0] < now - self.keep_s:
            self._shown[linkedid] = (now, [shown])
        else:
            found[1].append(shown)
        self._shown.move_to_end(linkedid)
        while self._shown and (
            len(self._shown) > self.most or next(iter(self._shown.values()))[0] < now - self.keep_s
        ):
            self._shown.popitem(last=False)

    def take(self, linkedid: str) -> list[Shown]:
        """What was shown lately for the call `linkedid` with no decision (and forget it)."""
        found = self._shown.pop(linkedid, None)
        if found is None or found[0] < self._clock() - self.keep_s:
            return []
        return found[1]
