"""The business-hours form as people type it: a line of opening times per weekday
("09:00-12:00, 13:00-17:00"), holidays one a line ("2026-12-25 Christmas")."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from agent_ui.admin.forms import FieldError
from crm.sla.models import BusinessHours

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def read_slots(days: list[str]) -> list[dict[str, Any]]:
    """Slots from one text per weekday (Monday first); FieldError names the day's field."""
    if len(days) != len(WEEKDAYS):
        raise FieldError("slots", "give the opening times of each weekday")
    slots = []
    for weekday, text in enumerate(days):
        for part in text.replace(";", ",").split(","):
            if not part.strip():
                continue
            opens, dash, closes = part.strip().partition("-")
            if not dash:
                raise FieldError(f"day-{weekday}", f"{WEEKDAYS[weekday]}: write 09:00-17:00")
            slots.append(
                {
                    "weekday": weekday,
                    "opens": _clock(opens, weekday),
                    "closes": _clock(closes, weekday),
                }
            )
    if not slots:
        raise FieldError("slots", "open on one day at least (09:00-17:00)")
    return slots


def _clock(text: str, weekday: int) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise FieldError(
            f"day-{weekday}", f"{WEEKDAYS[weekday]}: {text.strip()!r} is not a time (09:00)"
        ) from None


def read_holidays(text: str) -> list[dict[str, Any]]:
    """Holidays, one a line: an ISO date, then an optional name."""
    holidays = []
    for line in text.splitlines():
        if not line.strip():
            continue
        day, _, name = line.strip().partition(" ")
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            raise FieldError("holidays", f"{day!r} is not a date (2026-12-25)") from None
        holidays.append({"day": parsed, "name": name.strip()[:128] or None})
    return holidays


def shown_days(hours: BusinessHours | None) -> list[str]:
    """Each weekday's opening times as the form shows them."""
    days: list[list[str]] = [[] for _ in WEEKDAYS]
    for slot in hours.slots if hours else []:
        days[slot.weekday].append(f"{slot.opens:%H:%M}-{slot.closes:%H:%M}")
    return [", ".join(d) for d in days]


def shown_holidays(hours: BusinessHours | None) -> str:
    """The holidays as the form shows them, one a line."""
    lines = (f"{h.day.isoformat()} {h.name or ''}".strip() for h in hours.holidays) if hours else ()
    return "\n".join(lines)
