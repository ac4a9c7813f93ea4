"""How report tables (pages and the command line) show a duration: m:ss, h:mm:ss past an
hour. JSON and CSV keep seconds as numbers."""

from __future__ import annotations

import math


def clock(seconds: float | None) -> str:
    """`2:54` for 173.8 s, `1:15:00` for 4,500 s, `-` for no figure; halves round up."""
    if seconds is None or math.isnan(seconds):
        return "-"
    sign = "-" if seconds < 0 else ""
    whole = math.floor(abs(seconds) + 0.5)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{minutes}:{secs:02d}"
