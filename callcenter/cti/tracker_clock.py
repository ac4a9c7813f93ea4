"""The tracker's clock: PBX timestamps, else arrival time, else the PBX's own counters."""

from __future__ import annotations

import re

from callcenter.cti.frames import BadHeader

# Beyond 2100-01-01 a Timestamp is corrupt or hostile, as is one that is not a finite number.
LATEST_EPOCH = 4102444800.0
# Asterisk's Uniqueid is `[systemname-]<epoch seconds at channel creation>.<sequence>`.
_UNIQUEID_EPOCH = re.compile(r"(\d{9,11})\.\d+$")


def parse_timestamp(text: str) -> float:
    """A `Timestamp` header in epoch seconds; BadHeader when no PBX could have sent it."""
    try:
        at = float(text)
    except ValueError:
        raise BadHeader("Timestamp", text) from None
    if not 0.0 <= at < LATEST_EPOCH:  # NaN fails too
        raise BadHeader("Timestamp", text)
    return at


class EventClock:
    """When each event happened, in epoch seconds.

    An event's time is its `Timestamp` header (manager.conf `timestampevents = yes`), else
    the arrival time the feeder supplies. A saved stream without timestamps has neither:
    then the clock is *derived* from facts in the stream itself, each a lower bound on the
    current time: a new channel's Uniqueid carries its creation second, and a queue event's
    HoldTime/TalkTime added to the moment its phase began. Derived times are good to about
    a second; durations then come from Asterisk's own fields, never from clock differences.
    """

    __slots__ = ("exact", "now")

    def __init__(self) -> None:
        self.now = 0.0
        self.exact = False

    def tick(self, timestamp: str | None, received_at: float | None) -> float:
        """The time of the next event, given its Timestamp header and arrival time.

        BadHeader for a Timestamp no PBX sends (the clock is left as it was).
        """
        if timestamp is not None:
            at = parse_timestamp(timestamp)
            self.exact = True
            if at > self.now:
                self.now = at
            return at
        if received_at is not None:
            self.exact = True
            if received_at > self.now:
                self.now = received_at
            return received_at
        self.exact = False
        return self.now

    def at_least(self, at: float, bound: float | None) -> float:
        """`at`, moved up to `bound` when the current event's time is derived."""
        if self.exact or bound is None or bound <= at:
            return at
        self.now = max(self.now, bound)
        return bound

    def channel_born(self, at: float, uniqueid: str) -> float:
        """`at`, moved up to the creation second written in `uniqueid` when derived."""
        if self.exact:
            return at
        match = _UNIQUEID_EPOCH.search(uniqueid)
        if match is None or float(match.group(1)) >= LATEST_EPOCH:
            return at
        return self.at_least(at, float(match.group(1)))
