"""Every ticket status move: the allowed ones, and the refused ones with their reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crm.enums import TicketStatus
from crm.tickets.exceptions import TransitionRefused
from crm.tickets.workflow import check_transition

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
S = TicketStatus

ALLOWED = [
    (S.NEW, S.OPEN),
    (S.NEW, S.PENDING),
    (S.NEW, S.RESOLVED),
    (S.OPEN, S.PENDING),
    (S.OPEN, S.RESOLVED),
    (S.PENDING, S.OPEN),
    (S.PENDING, S.RESOLVED),
    (S.RESOLVED, S.OPEN),
    (S.RESOLVED, S.CLOSED),
]

REFUSED = [
    (S.NEW, S.NEW, "already new"),
    (S.OPEN, S.OPEN, "already open"),
    (S.PENDING, S.PENDING, "already pending"),
    (S.RESOLVED, S.RESOLVED, "already resolved"),
    (S.CLOSED, S.CLOSED, "already closed"),
    (S.NEW, S.CLOSED, "only a resolved ticket can be closed"),
    (S.OPEN, S.CLOSED, "only a resolved ticket can be closed"),
    (S.PENDING, S.CLOSED, "only a resolved ticket can be closed"),
    (S.OPEN, S.NEW, "never goes back to new"),
    (S.PENDING, S.NEW, "never goes back to new"),
    (S.RESOLVED, S.NEW, "never goes back to new"),
    (S.RESOLVED, S.PENDING, "reopen the ticket"),
    (S.CLOSED, S.NEW, "closed ticket is final"),
    (S.CLOSED, S.OPEN, "closed ticket is final"),
    (S.CLOSED, S.PENDING, "closed ticket is final"),
    (S.CLOSED, S.RESOLVED, "closed ticket is final"),
]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_move(current: TicketStatus, target: TicketStatus) -> None:
    check_transition(current, target, resolved_at=NOW, now=NOW, reopen_days=7)


@pytest.mark.parametrize(("current", "target", "reason"), REFUSED)
def test_refused_move_says_why(current: TicketStatus, target: TicketStatus, reason: str) -> None:
    with pytest.raises(TransitionRefused, match=reason):
        check_transition(current, target, resolved_at=NOW, now=NOW, reopen_days=7)


def test_every_pair_is_either_allowed_or_refused() -> None:
    covered = set(ALLOWED) | {(c, t) for c, t, _ in REFUSED}
    assert covered == {(c, t) for c in S for t in S}


def test_reopen_on_the_last_allowed_day() -> None:
    resolved_at = NOW - timedelta(days=7)
    check_transition(S.RESOLVED, S.OPEN, resolved_at=resolved_at, now=NOW, reopen_days=7)


def test_reopen_after_the_window_is_refused() -> None:
    resolved_at = NOW - timedelta(days=7, seconds=1)
    with pytest.raises(TransitionRefused, match="more than 7 days ago; open a new ticket"):
        check_transition(S.RESOLVED, S.OPEN, resolved_at=resolved_at, now=NOW, reopen_days=7)
