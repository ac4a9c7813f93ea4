"""The simulated PBX's clock: real time scaled by --speed."""

from __future__ import annotations

import pytest

from sim.pbx.clock import ScaledClock


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(
    ("speed", "real_s", "simulated_s"),
    [(1.0, 3.0, 3.0), (10.0, 3.0, 30.0), (0.5, 3.0, 1.5)],
)
def test_simulated_time_is_real_time_times_speed(
    speed: float, real_s: float, simulated_s: float
) -> None:
    monotonic = FakeMonotonic()
    clock = ScaledClock(speed, monotonic=monotonic, wall=lambda: 1_800_000_000.0)
    monotonic.t += real_s
    assert clock.now() == pytest.approx(simulated_s)
    assert clock.epoch_now() == pytest.approx(1_800_000_000.0 + simulated_s)


def test_waiting_for_a_simulated_moment_takes_real_time_divided_by_speed() -> None:
    monotonic = FakeMonotonic()
    clock = ScaledClock(10.0, monotonic=monotonic, wall=lambda: 0.0)
    assert clock.wall_delay(50.0) == pytest.approx(5.0)
    monotonic.t += 6.0
    assert clock.wall_delay(50.0) == 0.0


def test_speed_must_be_positive() -> None:
    with pytest.raises(ValueError, match="speed must be positive"):
        ScaledClock(0.0)
