"""The dialer's clock: the wall's for a real PBX, the PBX's own when its clock runs faster."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from callcenter.campaigns.pbx_clock import PbxClock


class Ticking:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_at_real_speed_it_is_the_wall_clock_whatever_the_events_say() -> None:
    mono = Ticking()
    clock = PbxClock(1.0, wall=lambda: 1_700_000_000.0, monotonic=mono)
    clock.heard("1800000000.000000")
    mono.t += 50
    assert clock.seconds() == 1_700_000_000.0
    assert clock.now() == datetime.fromtimestamp(1_700_000_000.0, UTC)
    assert not clock.follows_pbx


def test_a_faster_pbx_is_followed_from_its_timestamps_and_runs_on_at_its_speed() -> None:
    mono = Ticking()
    clock = PbxClock(20.0, wall=lambda: 1_700_000_000.0, monotonic=mono)
    assert clock.seconds() == 1_700_000_000.0  # nothing heard yet: the wall's time
    clock.heard("1700000500.250000")  # the PBX has run ahead of the wall
    assert clock.seconds() == pytest.approx(1_700_000_500.25)
    mono.t += 3  # three real seconds: sixty of the PBX's
    assert clock.seconds() == pytest.approx(1_700_000_560.25)
    clock.heard("1700000600.000000")  # a later event puts it right
    assert clock.seconds() == pytest.approx(1_700_000_600.0)


def test_it_never_goes_back_for_a_late_event_and_ignores_headers_no_pbx_sends() -> None:
    mono = Ticking()
    clock = PbxClock(10.0, wall=lambda: 1_700_000_000.0, monotonic=mono)
    clock.heard("1700000100")
    mono.t += 5
    ahead = clock.seconds()
    assert ahead == pytest.approx(1_700_000_150.0)
    for header in ("1700000120", "", None, "soon", "nan", "-5", "99999999999"):
        clock.heard(header)
        assert clock.seconds() == ahead


def test_a_speed_that_is_not_a_positive_number_is_refused() -> None:
    for speed in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive"):
            PbxClock(speed)


def test_its_sleep_lasts_the_pbx_seconds_at_its_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    asyncio.run(PbxClock(40.0).sleep(2.0))
    assert slept == [0.05]
