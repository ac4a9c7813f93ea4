"""Reading AMI header values: unknowns as None, numbers within what a PBX can mean.

A number no PBX sends (`nan`, `1e300`, a negative wait, a month of ringing) raises BadHeader
naming the header.
"""

from __future__ import annotations

import math

from callcenter.cti.frames import BadHeader, Frame

_UNKNOWN = frozenset({"", "<unknown>", "<Unknown>"})


def text(value: str | None) -> str | None:
    """A header value, None when Asterisk says it has none."""
    if value is None or value in _UNKNOWN:
        return None
    return value


# Bounds of what a PBX can mean: no queue wait, ring or talk lasts a month, no channel a
# year, no queue holds a million callers. Beyond them a value is hostile or corrupt.
MAX_SECONDS = 31 * 86400.0
MAX_CHANNEL_AGE = 366 * 86400.0
MAX_COUNT = 1_000_000


def int_value(f: Frame, header: str) -> int | None:
    value = f.get(header)
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadHeader(header, value) from None
    if not 0 <= number <= MAX_COUNT:
        raise BadHeader(header, value)
    return number


def seconds(f: Frame, header: str, *, per_second: float = 1.0) -> float | None:
    """A duration header in seconds (`per_second`: its units in a second)."""
    value = f.get(header)
    if not value:
        return None
    try:
        seconds = float(value) / per_second
    except ValueError:
        raise BadHeader(header, value) from None
    if not 0.0 <= seconds <= MAX_SECONDS:  # NaN fails too
        raise BadHeader(header, value)
    return seconds


def share(f: Frame, header: str) -> float | None:
    """A percentage header (`97.2`) as a fraction."""
    value = f.get(header)
    if not value:
        return None
    try:
        percent = float(value)
    except ValueError:
        raise BadHeader(header, value) from None
    if not 0.0 <= percent <= 100.0:  # NaN fails too
        raise BadHeader(header, value)
    return percent / 100.0


def hms(f: Frame, header: str) -> float | None:
    """CoreShowChannel's Duration (HH:MM:SS) in seconds."""
    value = f.get(header)
    if not value:
        return None
    try:
        hours, minutes, secs = value.split(":")
        total = int(hours) * 3600 + int(minutes) * 60 + float(secs)
    except ValueError:
        raise BadHeader(header, value) from None
    if not (math.isfinite(total) and 0.0 <= total <= MAX_CHANNEL_AGE):
        raise BadHeader(header, value)
    return total


def target(exten: str | None, context: str | None) -> str | None:
    exten = text(exten)
    if not exten or exten == "s":
        return None
    context = text(context)
    return f"{exten}@{context}" if context else exten


def device(channel: str | None) -> str | None:
    """The device a channel belongs to: its name without the `-<sequence>` (and `;n`)."""
    if not channel:
        return None
    name = channel.partition(";")[0]
    head, sep, _ = name.rpartition("-")
    return head if sep else name
