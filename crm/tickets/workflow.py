"""The ticket workflow: which status may follow which, and why not when it may not."""

from __future__ import annotations

from datetime import datetime, timedelta

from crm.enums import TicketStatus
from crm.tickets.exceptions import TransitionRefused

NEW, OPEN, PENDING, RESOLVED, CLOSED = (
    TicketStatus.NEW,
    TicketStatus.OPEN,
    TicketStatus.PENDING,
    TicketStatus.RESOLVED,
    TicketStatus.CLOSED,
)

# Allowed moves; resolved -> open is a reopen and is time-limited.
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    NEW: frozenset({OPEN, PENDING, RESOLVED}),
    OPEN: frozenset({PENDING, RESOLVED}),
    PENDING: frozenset({OPEN, RESOLVED}),
    RESOLVED: frozenset({OPEN, CLOSED}),
    CLOSED: frozenset(),
}

ACTIVE = frozenset({NEW, OPEN, PENDING})


def check_transition(
    current: TicketStatus,
    target: TicketStatus,
    *,
    resolved_at: datetime | None,
    now: datetime,
    reopen_days: int,
) -> None:
    """Return when `current` -> `target` is allowed; raise TransitionRefused saying why not."""
    if target == current:
        raise TransitionRefused(current, target, f"the ticket is already {current}")
    if current == CLOSED:
        raise TransitionRefused(current, target, "a closed ticket is final; open a new ticket")
    if target == NEW:
        raise TransitionRefused(current, target, "a ticket never goes back to new")
    if target == CLOSED and current != RESOLVED:
        raise TransitionRefused(current, target, "only a resolved ticket can be closed")
    if current == RESOLVED and target == PENDING:
        raise TransitionRefused(current, target, "reopen the ticket before setting it pending")
    if current == RESOLVED and target == OPEN:
        limit = timedelta(days=reopen_days)
        if resolved_at is not None and now - resolved_at > limit:
            raise TransitionRefused(
                current,
                target,
                f"it was resolved more than {reopen_days} days ago; open a new ticket",
            )
    if target not in TRANSITIONS[current]:  # pragma: no cover - the rules above are complete
        raise TransitionRefused(current, target, "not a step of the workflow")
