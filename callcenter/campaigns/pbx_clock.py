"""The dialer's clock: the PBX's time, which runs faster than the wall's on a sped-up simulator."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from callcenter.cti.tracker_clock import LATEST_EPOCH


class PbxClock:
    """What time it is on the PBX, in epoch seconds, and how long a PBX second lasts.

    A real PBX keeps real time (`speed` 1): this is then the wall clock, and the PBX's own
    `Timestamp` headers are not needed. The simulated PBX can run `speed` times faster (its
    `--speed`): its seconds are then shorter than the wall's, and a dialer that measured ring and
    talk times, rolling windows and its rounds on the wall clock would pace for calls `speed`
    times shorter than they are. Then the clock follows the PBX: it takes the time each event
    states (`Timestamp`) and runs on at `speed` between events; from the first event on it never
    goes backwards.
    """

    def __init__(
        self,
        speed: float = 1.0,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not (math.isfinite(speed) and speed > 0):
            raise ValueError("the PBX clock's speed must be a positive number")
        self.speed = speed
        self._wall = wall
        self._monotonic = monotonic
        self._anchor = wall()  # PBX epoch seconds at `_anchor_mono`
        self._anchor_mono = monotonic()
        self._heard = False
        self._last = self._anchor

    @property
    def follows_pbx(self) -> bool:
        """Whether the PBX's clock runs at another pace than the wall's."""
        return self.speed != 1.0

    def heard(self, timestamp: str | None) -> None:
        """An event's `Timestamp` header: the PBX's time when it sent the event (a header no
        PBX sends is ignored)."""
        if not self.follows_pbx or not timestamp:
            return
        try:
            at = float(timestamp)
        except ValueError:
            return
        if not 0.0 <= at < LATEST_EPOCH:
            return
        if not self._heard or at > self.seconds():
            self._anchor, self._anchor_mono = at, self._monotonic()
            self._heard = True
            self._last = at

    def seconds(self) -> float:
        """The PBX's time now, epoch seconds."""
        if not self.follows_pbx:
            return self._wall()
        now = self._anchor + (self._monotonic() - self._anchor_mono) * self.speed
        self._last = max(self._last, now)
        return self._last

    def now(self) -> datetime:
        """The PBX's time now, an aware UTC datetime."""
        return datetime.fromtimestamp(self.seconds(), UTC)

    async def sleep(self, pbx_s: float) -> None:
        """Wait `pbx_s` of the PBX's seconds."""
        await asyncio.sleep(pbx_s / self.speed)
