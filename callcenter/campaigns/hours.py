"""Calling hours in the lead's local time: may we call now, and when may we next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

# A week and a day: every weekday's window is met once, whatever the DST change.
_DAYS_AHEAD = 8
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class CallingHours(Protocol):
    """What the hours rules read of a campaign."""

    @property
    def hours_start_min(self) -> int: ...
    @property
    def hours_end_min(self) -> int: ...
    @property
    def weekdays(self) -> Sequence[int]: ...


class NoCallingWindow(ValueError):
    """The hours allow no call at all (no weekday, or an empty window)."""


def _utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time is read as UTC (how the database hands some back)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _minutes(local: datetime) -> float:
    return local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60e6


def may_call(campaign: CallingHours, time_zone: str, now_utc: datetime) -> bool:
    """Whether the lead's wall clock (in `time_zone`) is inside the campaign's hours now:
    on one of its ISO weekdays, from `hours_start_min` up to (not including) `hours_end_min`."""
    local = _utc(now_utc).astimezone(ZoneInfo(time_zone))
    if local.isoweekday() not in campaign.weekdays:
        return False
    return campaign.hours_start_min <= _minutes(local) < campaign.hours_end_min


def next_window(campaign: CallingHours, time_zone: str, after_utc: datetime) -> datetime:
    """The first instant at or after `after_utc` (UTC) when `may_call` holds.

    Walks the lead's local days: the window of a day opens at the first instant its wall
    clock reads `hours_start_min` (on a spring-forward day whose opening falls in the
    skipped hour, the moment the clocks jump; on a fall-back day, the first of the two).
    """
    after = _utc(after_utc)
    if may_call(campaign, time_zone, after):
        return after
    if not campaign.weekdays or campaign.hours_start_min >= campaign.hours_end_min:
        raise NoCallingWindow("the campaign's calling hours allow no call on any day")
    zone = ZoneInfo(time_zone)
    first_day = after.astimezone(zone).date()
    for offset in range(_DAYS_AHEAD):
        day = first_day + timedelta(days=offset)
        if day.isoweekday() not in campaign.weekdays:
            continue
        for moment in _instants_of(day, campaign.hours_start_min, zone):
            if moment >= after and may_call(campaign, time_zone, moment):
                return moment
    raise NoCallingWindow("the campaign's calling hours allow no call in the coming week")


def _instants_of(day: date, minutes: int, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants at which the wall clock of `zone` first reads `minutes` on `day`:
    one normally, two on a fall-back day's repeated hour, and for a wall time the clocks
    skip, the instant of the jump."""
    hour, minute = divmod(minutes, 60)
    if hour >= 24:
        return []
    wall = datetime.combine(day, time(hour, minute))
    early = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    late = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if early.astimezone(zone).replace(tzinfo=None) == wall:
        return sorted({early, late})
    # A skipped wall time: fold=1 reads it with the offset after the jump (an instant before
    # it), fold=0 with the one before (after it). Find the jump between them.
    low, high = int(min(early, late).timestamp()), int(max(early, late).timestamp())
    while high - low > 1:  # zone transitions fall on whole seconds
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return [datetime.fromtimestamp(high, UTC)]


def describe(campaign: CallingHours) -> str:
    """The hours as a person reads them: "09:00-20:00 Mon-Sat" (days listed otherwise)."""
    start = f"{campaign.hours_start_min // 60:02d}:{campaign.hours_start_min % 60:02d}"
    end = f"{campaign.hours_end_min // 60:02d}:{campaign.hours_end_min % 60:02d}"
    days = sorted(set(campaign.weekdays))
    if days and days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        span = f"{_WEEKDAYS[days[0] - 1]}-{_WEEKDAYS[days[-1] - 1]}"
    else:
        span = ", ".join(_WEEKDAYS[d - 1] for d in days)
    return f"{start}-{end} {span}"
