"""The routing decisions this process heard announced lately, by call, for the pops."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from agent_ui.route_note import RoutingFacts

# The routing server stores a decision a moment after the caller has it, while the PBX may
# already ring an agent: the announcement covers that moment; after it the stored row does.
KEEP_S = 120.0
MOST = 50_000


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
