"""Report intervals (15/30/60 minutes, day, week) and how a timestamp falls into one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


def bucket_start(epoch_s: float, interval_s: int) -> datetime:
    """The start (UTC) of the interval holding `epoch_s`."""
    origin = origin_s(interval_s)
    index = int((epoch_s - origin) // interval_s)
    return datetime.fromtimestamp(origin + index * interval_s, UTC)


def bucket_of(at: datetime, interval_s: int) -> datetime:
    """The start (UTC) of the interval holding `at`."""
    return bucket_start(at.timestamp(), interval_s)


def bucket_end(start: datetime, interval_s: int) -> datetime:
    return start + timedelta(seconds=interval_s)


def parse_instant(text: str) -> datetime:
    """An ISO date or date-time; a naive value is read as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(f"not an ISO date or date-time: {text!r}") from exc
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        # e.g. 0001-01-01T00:00+01:00 is a valid ISO text but falls before year 1 in UTC.
        raise ValueError(f"out of the range of dates: {text!r}") from None
