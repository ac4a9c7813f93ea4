"""The routing decisions this process heard announced lately, and the cards shown without
one, by call, for the pops."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from agent_ui.route_note import RoutingFacts

# The routing server stores a decision a moment after the caller has it, while the PBX may
# already ring an agent: the announcement covers that moment; after it the stored row does.
KEEP_S = 120.0
MOST = 50_000
# A decision heard after its call's card was looked up comes within moments of the ring.
CARD_KEEP_S = 10.0

Shown = TypeVar("Shown")
Kept = TypeVar("Kept")


class _Lately(Generic[Kept]):
    """Values by call, each kept `keep_s` seconds from when it was stored, at most `most`."""

    default_keep_s: ClassVar[float]

    def __init__(
        self,
        keep_s: float | None = None,
        most: int = MOST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keep_s = self.default_keep_s if keep_s is None else keep_s
        self.most = most
        self._clock = clock
        self._kept: OrderedDict[str, tuple[float, Kept]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def _fresh(self, found: tuple[float, Kept] | None) -> Kept | None:
        if found is None or found[0] < self._clock() - self.keep_s:
            return None
        return found[1]

    def _store(self, key: str, value: Kept, at: float, now: float) -> None:
        """Keep `value` for `key` as stored at `at`, last; drop the expired at `now` and the
        oldest past `most`."""
        kept = self._kept
        kept[key] = (at, value)
        kept.move_to_end(key)
        while kept and (len(kept) > self.most or next(iter(kept.values()))[0] < now - self.keep_s):
            kept.popitem(last=False)


class RecentRoutes(_Lately[RoutingFacts]):
    """Routing decisions heard in the last `keep_s` seconds (at most `most`), by the caller's
    channel (the linkedid of a call from a trunk)."""

    default_keep_s = KEEP_S

    def add(self, uniqueid: str, decision: RoutingFacts) -> None:
        """Remember the decision for the call `uniqueid` (a later one replaces it)."""
        now = self._clock()
        self._store(uniqueid, decision, now, now)

    def get(self, linkedid: str) -> RoutingFacts | None:
        """The decision announced for the call `linkedid`, if heard lately."""
        return self._fresh(self._kept.get(linkedid))


class CardsWithoutRoute(_Lately[list[Shown]]):
    """What was shown in the last `keep_s` seconds (at most `most`) with no routing decision,
    by call: a decision heard just after its call's card was looked up is then shown too."""

    default_keep_s = CARD_KEEP_S

    def add(self, linkedid: str, shown: Shown) -> None:
        """Remember `shown` (one agent's card) for the call `linkedid`."""
        now = self._clock()
        found = self._kept.get(linkedid)
        shown_before = self._fresh(found)
        if found is None or shown_before is None:
            self._store(linkedid, [shown], now, now)
        else:
            shown_before.append(shown)
            self._store(linkedid, shown_before, found[0], now)

    def take(self, linkedid: str) -> list[Shown]:
        """What was shown lately for the call `linkedid` with no decision (and forget it)."""
        return self._fresh(self._kept.pop(linkedid, None)) or []
