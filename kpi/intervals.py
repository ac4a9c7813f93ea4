"""Report intervals (15/30/60 minutes, day, week), cut in the site's time zone, and how a
timestamp falls into one.

Intervals are kept as UTC instants (arithmetic on them is plain seconds) and shown in the
site's zone (`local`). Quarters and hours follow the zone's wall clock: the hour repeated
when clocks go back is two intervals, and a day is 23, 24 or 25 hours long. A zone's
offset is a whole number of quarter hours (every zone today), so each report interval is
a whole number of the 15-minute UTC rollup intervals.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo

# Weeks start on Monday; the Unix epoch was a Thursday, 4 days after one.
WEEK_ORIGIN_S = 4 * 86400

INTERVALS: dict[str, int] = {
    "15m": 900,
    "30m": 1800,
    "60m": 3600,
    "1h": 3600,
    "day": 86400,
    "1d": 86400,
    "week": 604800,
    "1w": 604800,
}


def parse_interval(text: str) -> int:
    """Seconds of a report interval named `15m`, `30m`, `60m`, `day` or `week`."""
    seconds = INTERVALS.get(text.strip().lower())
    if seconds is None:
        raise ValueError(f"unknown interval {text!r}: use 15m, 30m, 60m, day or week")
    return seconds


def origin_s(interval_s: int) -> int:
    """Where bucket 0 starts (epoch seconds): weeks on Mondays, the rest on the epoch."""
    return WEEK_ORIGIN_S if interval_s == 604800 else 0


def offset_s(at: datetime, zone: tzinfo) -> int:
    """The zone's offset from UTC at `at`, in seconds (+3600 for Berlin in winter)."""
    offset = at.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _midnight(day: date, zone: tzinfo) -> datetime:
    """The first instant (UTC) of `day` in `zone` (a midnight skipped by DST: the instant
    the day's clock starts at)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def bucket_start(epoch_s: float, interval_s: int, zone: tzinfo = UTC) -> datetime:
    """The start (UTC) of the interval holding `epoch_s`, cut in `zone`."""
    return bucket_of(datetime.fromtimestamp(epoch_s, UTC), interval_s, zone)


def bucket_of(at: datetime, interval_s: int, zone: tzinfo = UTC) -> datetime:
    """The start (UTC) of the interval holding `at`: quarters and hours on the zone's wall
    clock, days from its midnight, weeks from Monday's."""
    shift = offset_s(at, zone)
    if interval_s < 86400:
        # Wall clock = UTC + offset, constant within one interval (zones change on the hour).
        wall = math.floor(at.timestamp()) + shift
        return datetime.fromtimestamp(wall - wall % interval_s - shift, UTC)
    day = at.astimezone(zone).date()
    if interval_s == 604800:
        day -= timedelta(days=day.weekday())
    return _midnight(day, zone)


def bucket_end(start: datetime, interval_s: int, zone: tzinfo = UTC) -> datetime:
    """The end (UTC) of the interval starting at `start`: a day runs to the next midnight."""
    if interval_s < 86400:
        return start + timedelta(seconds=interval_s)
    day = start.astimezone(zone).date() + timedelta(days=interval_s // 86400)
    return _midnight(day, zone)


def buckets(
    start: datetime, end: datetime, interval_s: int, zone: tzinfo = UTC
) -> Iterator[datetime]:
    """The starts (UTC) of every interval overlapping [start, end), in order."""
    at = bucket_of(start, interval_s, zone)
    while at < end:
        yield at
        at = bucket_end(at, interval_s, zone)


def local(at: datetime, zone: tzinfo) -> datetime:
    """`at` on the site's clock, with its offset (how reports show a time)."""
    return at.astimezone(zone)


def constant_offsets(
    start: datetime, end: datetime, zone: tzinfo
) -> list[tuple[datetime, datetime, int]]:
    """[start, end) cut where the zone's offset changes: (from, to, offset seconds) pieces,
    within each of which wall clock = UTC + offset (one piece for UTC)."""
    pieces: list[tuple[datetime, datetime, int]] = []
    begin, shift = start, offset_s(start, zone)
    probe = start
    while probe < end:
        following = min(probe + timedelta(hours=6), end)
        change = _change_within(probe, following, shift, zone)
        if change is None:
            probe = following
            continue
        pieces.append((begin, change, shift))
        begin, shift, probe = change, offset_s(change, zone), change
    pieces.append((begin, end, shift))
    return [piece for piece in pieces if piece[0] < piece[1]]


def _change_within(low: datetime, high: datetime, shift: int, zone: tzinfo) -> datetime | None:
    """The first instant in (low, high] at which the offset is no longer `shift` (to the
    second), None when there is none."""
    if offset_s(high, zone) == shift:
        return None
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if offset_s(middle, zone) == shift:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def parse_instant(text: str, zone: tzinfo = UTC) -> datetime:
    """An ISO date or date-time (UTC); a naive value is read on the site's clock, so a
    date is its midnight there."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not an ISO date or date-time: {text!r}") from exc
    try:
        return (value.replace(tzinfo=zone) if value.tzinfo is None else value).astimezone(UTC)
    except OverflowError:
        # e.g. 0001-01-01T00:00+01:00 is a valid ISO text but falls before year 1 in UTC.
        raise ValueError(f"out of the range of dates: {text!r}") from None
