"""Quality KPIs: first-contact resolution, repeat callers and complaints (pure functions).

Inputs are small plain records so the same functions serve the report (rows read from the
CRM tables) and tests (hand-written tables).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kpi.definitions import ratio

DEFAULT_REPEAT_DAYS = 7


@dataclass(frozen=True, slots=True)
class CallContact:
    """One inbound call as quality KPIs see it: who called and when."""

    linkedid: str
    caller_number: str | None
    started_at: datetime


@dataclass(frozen=True, slots=True)
class CallTicket:
    """A ticket opened from a call: its type, when it was resolved, the caller's number."""

    ticket_id: int
    linkedid: str
    caller_number: str | None
    opened_at: datetime
    type: str
    resolved_at: datetime | None


def _calls_by_number(calls: Iterable[CallContact]) -> dict[str, list[datetime]]:
    by_number: dict[str, list[datetime]] = defaultdict(list)
    for call in calls:
        if call.caller_number:
            by_number[call.caller_number].append(call.started_at)
    for times in by_number.values():
        times.sort()
    return by_number


def _called_again(times: Sequence[datetime], after: datetime, days: int) -> bool:
    """Another call from the same number in (after, after + days]."""
    limit = after + timedelta(days=days)
    return any(after < at <= limit for at in times)


def first_contact_resolution(
    tickets: Iterable[CallTicket],
    calls: Iterable[CallContact],
    days: int = DEFAULT_REPEAT_DAYS,
) -> float | None:
    """FCR = tickets opened from a call, resolved, with no repeat call from the same number
    within `days` days after the call that opened them / tickets opened from a call.

    Choices: a ticket not (yet) resolved counts against FCR; a repeat is any later call from
    the caller's number, whatever it was about; the clock starts at the opening call (at the
    ticket's opening when that call is unknown); a caller with no number cannot be matched,
    so their resolved ticket counts as resolved first time. None when no ticket came from a
    call.
    """
    calls = list(calls)
    started = {call.linkedid: call.started_at for call in calls}
    by_number = _calls_by_number(calls)
    opened = resolved_first_time = 0
    for ticket in tickets:
        opened += 1
        if ticket.resolved_at is None:
            continue
        times = by_number.get(ticket.caller_number or "", [])
        anchor = started.get(ticket.linkedid, ticket.opened_at)
        if not _called_again(times, anchor, days):
            resolved_first_time += 1
    return ratio(resolved_first_time, opened)


def repeat_caller_rate(
    calls: Iterable[CallContact], days: int = DEFAULT_REPEAT_DAYS
) -> float | None:
    """Repeat-caller rate = calls followed by another call from the same number within `days`
    days / calls with a caller number. Anonymous calls are left out of both sides."""
    by_number = _calls_by_number(calls)
    total = repeated = 0
    for times in by_number.values():
        for index, at in enumerate(times):
            total += 1
            following = times[index + 1] if index + 1 < len(times) else None
            if following is not None and following <= at + timedelta(days=days):
                repeated += 1
    return ratio(repeated, total)


def complaint_rate(tickets: Iterable[CallTicket], answered_calls: int) -> float | None:
    """Complaint rate = complaint tickets opened from calls / answered inbound calls in the
    period."""
    complaints = sum(1 for ticket in tickets if ticket.type == "complaint")
    return ratio(complaints, answered_calls)
