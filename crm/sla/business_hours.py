"""Business-hours arithmetic: adding working time to an instant, across nights and DST."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Far enough to cross any real closure (a fortnight of holidays, a service open one day a week),
# short enough that a calendar with no open hour fails fast instead of looping.
_MAX_DAYS_AHEAD = 3 * 366
# How far ahead a due time can be planned at all: the end of the days `add` looks at.
HORIZON = timedelta(days=_MAX_DAYS_AHEAD - 1)


@dataclass(frozen=True)
class Slot:
    """Open on `weekday` (0 = Monday) from `opens` to `closes`; closes <= opens runs overnight."""

    weekday: int
    opens: time
    closes: time

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday}")


@dataclass(frozen=True)
class Calendar:
    """When the service is open: weekly slots in a time zone, minus holidays.

    Durations are real elapsed time: a 09:00-17:00 day is 8 hours also on the day the clocks
    change, and an overnight 22:00-06:00 slot is 9 hours on the night they go back.
    A slot that opens on a holiday does not open, even if it would run past midnight.
    """

    timezone: str
    slots: tuple[Slot, ...]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        zone(self.timezone)
        if not self.slots:
            raise ValueError("business hours need at least one open slot")

    def open_intervals(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals in UTC that end after `since`, in time order, clipped to start there."""
        tz = zone(self.timezone)
        first_day = since.astimezone(tz).date() - timedelta(days=1)  # an overnight slot
        by_weekday: dict[int, list[Slot]] = {}
        for slot in self.slots:
            by_weekday.setdefault(slot.weekday, []).append(slot)
        for offset in range(_MAX_DAYS_AHEAD):
            day = first_day + timedelta(days=offset)
            if day in self.holidays:
                continue
            day_intervals = sorted(
                _interval(day, slot, tz) for slot in by_weekday.get(day.weekday(), [])
            )
            for start, end in day_intervals:
                if end > since:
                    yield max(start, since), end

    def add(self, start: datetime, minutes: float) -> datetime:
        """The instant `minutes` of open time after `start` (UTC in, UTC out)."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        remaining = timedelta(minutes=minutes)
        start = start.astimezone(UTC)
        if remaining <= timedelta(0):
            return start
        cursor = start
        for opens, closes in self.open_intervals(start):
            # Overlapping slots (two entries for the same hours) must not count twice.
            opens = max(opens, cursor)
            if closes <= opens:
                continue
            if opens + remaining <= closes:
                return opens + remaining
            remaining -= closes - opens
            cursor = closes
        raise Unreachable(self.timezone, minutes)


class Unreachable(ValueError):
    """A calendar is not open for that many minutes within the planning horizon."""

    def __init__(self, timezone: str, minutes: float) -> None:
        years = round(HORIZON.days / 365)
        super().__init__(
            f"business hours in {timezone} are not open for {minutes:.0f} minutes"
            f" within {years} years"
        )
        self.minutes = minutes


def round_the_clock() -> Calendar:
    """Always open (the calendar when none is configured)."""
    return Calendar("UTC", tuple(Slot(day, time(0), time(0)) for day in range(7)))


def calendar_from_rows(
    timezone: str, slots: Iterable[tuple[int, time, time]], holidays: Iterable[date]
) -> Calendar:
    """A calendar from stored rows."""
    return Calendar(
        timezone,
        tuple(Slot(weekday, opens, closes) for weekday, opens, closes in slots),
        frozenset(holidays),
    )


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`; ValueError with a clear sentence when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _interval(day: date, slot: Slot, tz: ZoneInfo) -> tuple[datetime, datetime]:
    opens = _instant(day, slot.opens, tz)
    close_day = day if slot.closes > slot.opens else day + timedelta(days=1)
    return opens, _instant(close_day, slot.closes, tz)


def _instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    # A wall time the spring change skips (02:30 in Berlin) reads in the old offset, so it
    # lands an hour later on the new clock; a repeated autumn time is its first occurrence.
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)
