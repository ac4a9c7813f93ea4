"""SLA due times run on business hours: nights, weekends, holidays, clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm.sla.business_hours import Calendar, Slot, round_the_clock

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def office(tz: str = "Europe/Berlin", holidays: frozenset[date] = frozenset()) -> Calendar:
    """Monday to Friday, 09:00 to 17:00."""
    return Calendar(tz, tuple(Slot(d, time(9), time(17)) for d in range(5)), holidays)


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


# start (Berlin wall clock) | business minutes | due (Berlin wall clock)
OFFICE_CASES = [
    ((2026, 3, 2, 10, 0), 60, (2026, 3, 2, 11, 0)),  # Monday morning, same day
    ((2026, 3, 2, 16, 30), 60, (2026, 3, 3, 9, 30)),  # over the night
    ((2026, 3, 2, 7, 0), 30, (2026, 3, 2, 9, 30)),  # before opening
    ((2026, 3, 2, 18, 0), 30, (2026, 3, 3, 9, 30)),  # after closing
    ((2026, 3, 6, 16, 0), 120, (2026, 3, 9, 10, 0)),  # Friday afternoon over the weekend
    ((2026, 3, 7, 12, 0), 60, (2026, 3, 9, 10, 0)),  # on a Saturday
    ((2026, 3, 2, 9, 0), 8 * 60, (2026, 3, 2, 17, 0)),  # exactly one working day
    ((2026, 3, 2, 9, 0), 5 * 8 * 60, (2026, 3, 6, 17, 0)),  # one working week
    ((2026, 3, 2, 9, 0), 5 * 8 * 60 + 1, (2026, 3, 9, 9, 1)),  # ... and a minute
    ((2026, 3, 2, 10, 0), 0, (2026, 3, 2, 10, 0)),  # nothing to add
]


@pytest.mark.parametrize(("start", "minutes", "due"), OFFICE_CASES)
def test_office_hours(start: tuple[int, ...], minutes: int, due: tuple[int, ...]) -> None:
    assert office().add(local(BERLIN, *start), minutes) == local(BERLIN, *due)


def test_a_holiday_is_skipped() -> None:
    easter_monday = date(2026, 4, 6)
    calendar = office(holidays=frozenset({easter_monday}))
    thursday = local(BERLIN, 2026, 4, 2, 16, 0)
    good_friday_open = calendar.add(thursday, 120)
    assert good_friday_open == local(BERLIN, 2026, 4, 3, 10, 0)
    friday_late = local(BERLIN, 2026, 4, 3, 16, 0)
    assert calendar.add(friday_late, 120) == local(BERLIN, 2026, 4, 7, 10, 0)


def test_spring_forward_keeps_eight_real_hours_a_day() -> None:
    # Europe moves clocks forward on Sunday 29 March 2026; a 24x7 desk loses an hour of
    # wall clock that night, but elapsed time is what the SLA counts.
    desk = Calendar("Europe/Berlin", tuple(Slot(d, time(0), time(0)) for d in range(7)))
    saturday_noon = local(BERLIN, 2026, 3, 28, 12, 0)
    due = desk.add(saturday_noon, 24 * 60)
    assert due - saturday_noon == timedelta(hours=24)
    assert due.astimezone(BERLIN).hour == 13  # the wall clock shows 13:00 on Sunday


def test_office_day_after_a_clock_change_opens_at_local_nine() -> None:
    # The US changes on 8 March 2026, Europe on 29 March: an office in New York still opens
    # at 09:00 local, which is 13:00 UTC instead of 14:00.
    calendar = office("America/New_York")
    friday_close = local(NEW_YORK, 2026, 3, 6, 17, 0)
    due = calendar.add(friday_close, 60)
    assert due == local(NEW_YORK, 2026, 3, 9, 10, 0)
    assert due.astimezone(UTC).hour == 14
    before = calendar.add(local(NEW_YORK, 2026, 3, 5, 17, 0), 60)
    assert before.astimezone(UTC).hour == 15


def test_overnight_slot_runs_past_midnight() -> None:
    night_desk = Calendar("Europe/Berlin", tuple(Slot(d, time(22), time(6)) for d in range(7)))
    start = local(BERLIN, 2026, 3, 2, 23, 0)
    assert night_desk.add(start, 6 * 60) == local(BERLIN, 2026, 3, 3, 5, 0)
    assert night_desk.add(start, 8 * 60) == local(BERLIN, 2026, 3, 3, 23, 0)


def test_overnight_slot_on_the_night_clocks_go_back_is_nine_hours() -> None:
    # 25 October 2026, 03:00 CEST becomes 02:00 CET: the 22:00-06:00 shift lasts 9 hours.
    night_desk = Calendar("Europe/Berlin", tuple(Slot(d, time(22), time(6)) for d in range(7)))
    saturday_22 = local(BERLIN, 2026, 10, 24, 22, 0)
    opens, closes = next(night_desk.open_intervals(saturday_22))
    assert (opens, closes - opens) == (saturday_22, timedelta(hours=9))
    assert night_desk.add(saturday_22, 9 * 60) == local(BERLIN, 2026, 10, 25, 6, 0)


def test_round_the_clock_is_plain_addition() -> None:
    start = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert round_the_clock().add(start, 90) == start + timedelta(minutes=90)


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        office("Mars/Olympus_Mons")


def test_calendar_without_slots_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one open slot"):
        Calendar("UTC", ())


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        office().add(datetime(2026, 3, 2, 10, 0), 10)
