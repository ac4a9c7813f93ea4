"""The simulated PBX's clock: real time scaled by `--speed` (10 runs ten times faster)."""

from __future__ import annotations

import time
from collections.abc import Callable


class ScaledClock:
    """Maps simulation seconds to wall-clock seconds and to the PBX's epoch timestamps.

    Simulation time 0 is the moment the clock starts. The PBX's own clock (the epoch it
    prints in `Timestamp` headers and Uniqueids) runs at simulation speed from the wall-clock
    time of that moment: at speed 1 it is the real time, at speed 10 an hour passes on the PBX
    in six real minutes, and every duration it reports (HoldTime, TalkTime) is in its own,
    simulated, seconds.
    """

    def __init__(
        self,
        speed: float = 1.0,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._monotonic = monotonic
        self._start_mono = monotonic()
        self.start_epoch = wall()

    def now(self) -> float:
        """Simulation seconds since the clock started."""
        return (self._monotonic() - self._start_mono) * self.speed

    def epoch(self, sim_t: float) -> float:
        """The PBX's epoch time at simulation time `sim_t`."""
        return self.start_epoch + sim_t

    def epoch_now(self) -> float:
        """The PBX's epoch time now."""
        return self.epoch(self.now())

    def wall_delay(self, sim_t: float) -> float:
        """Real seconds to wait until simulation time `sim_t` (0 when it has passed)."""
        return max(0.0, (sim_t - self.now()) / self.speed)
