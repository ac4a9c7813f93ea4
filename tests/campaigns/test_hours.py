"""Calling hours in the lead's local time: DST days in New York and Berlin, several zones."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from callcenter.campaigns.hours import describe, may_call, next_window


@dataclass
class Hours:
    hours_start_min: int = 9 * 60
    hours_end_min: int = 20 * 60
    weekdays: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


NY = "America/New_York"
BERLIN = "Europe/Berlin"
MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("zone", "day_before", "dst_day", "day_after"),
    [
        # 9:00 local in UTC: the day before the change, the day of it, the day after.
        (NY, utc(2026, 3, 7, 14), utc(2026, 3, 8, 13), utc(2026, 3, 9, 13)),  # spring forward
        (NY, utc(2026, 10, 31, 13), utc(2026, 11, 1, 14), utc(2026, 11, 2, 14)),  # fall back
        (BERLIN, utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)),
        (BERLIN, utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), utc(2026, 10, 26, 8)),
    ],
)
def test_the_window_opens_at_nine_local_on_either_side_of_a_clock_change(
    zone: str, day_before: datetime, dst_day: datetime, day_after: datetime
) -> None:
    hours = Hours()
    for opening in (day_before, dst_day, day_after):
        assert may_call(hours, zone, opening)
        assert not may_call(hours, zone, opening - MINUTE)
        # From 23:00 local the evening before, and from a minute before the opening.
        assert next_window(hours, zone, opening - timedelta(hours=10)) == opening
        assert next_window(hours, zone, opening - MINUTE) == opening


def test_the_window_closes_at_its_end_minute() -> None:
    hours = Hours()
    assert may_call(hours, NY, utc(2026, 6, 15, 23, 59))  # 19:59 EDT
    assert not may_call(hours, NY, utc(2026, 6, 16, 0, 0))  # 20:00 EDT
    assert next_window(hours, NY, utc(2026, 6, 16, 0, 0)) == utc(2026, 6, 16, 13, 0)


def test_leads_in_different_zones_at_the_same_instant() -> None:
    hours = Hours()
    now = utc(2026, 6, 15, 14)  # a Monday: 10:00 in New York, 16:00 in Berlin
    assert may_call(hours, NY, now)
    assert may_call(hours, BERLIN, now)
    assert not may_call(hours, "America/Los_Angeles", now)  # 07:00
    assert not may_call(hours, "Asia/Tokyo", now)  # 23:00
    assert next_window(hours, "America/Los_Angeles", now) == utc(2026, 6, 15, 16)
    assert next_window(hours, "Asia/Tokyo", now) == utc(2026, 6, 16, 0)
    assert next_window(hours, NY, now) == now


def test_a_window_opening_in_the_skipped_hour_opens_when_the_clocks_jump() -> None:
    hours = Hours(hours_start_min=2 * 60 + 30)
    # New York jumps from 02:00 EST (07:00 UTC) to 03:00 EDT; Berlin at 01:00 UTC.
    assert next_window(hours, NY, utc(2026, 3, 8, 4)) == utc(2026, 3, 8, 7)
    assert next_window(hours, BERLIN, utc(2026, 3, 28, 23)) == utc(2026, 3, 29, 1)
    assert not may_call(hours, NY, utc(2026, 3, 8, 6, 59))


def test_a_window_opening_in_the_repeated_hour_opens_at_its_first_pass_and_again() -> None:
    hours = Hours(hours_start_min=60 + 30)
    # 01:30 EDT is 05:30 UTC; at 06:10 UTC the clocks read 01:10 EST, before the start again.
    assert next_window(hours, NY, utc(2026, 11, 1, 4)) == utc(2026, 11, 1, 5, 30)
    assert may_call(hours, NY, utc(2026, 11, 1, 5, 50))
    assert not may_call(hours, NY, utc(2026, 11, 1, 6, 10))
    assert next_window(hours, NY, utc(2026, 11, 1, 6, 10)) == utc(2026, 11, 1, 6, 30)


def test_days_off_are_skipped() -> None:
    hours = Hours(weekdays=[1, 2, 3, 4, 5])
    saturday_noon = utc(2026, 6, 20, 16)
    assert not may_call(hours, NY, saturday_noon)
    assert next_window(hours, NY, saturday_noon) == utc(2026, 6, 22, 13)  # Monday 09:00 EDT
    assert describe(hours) == "09:00-20:00 Mon-Fri"
