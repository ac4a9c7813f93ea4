"""FCR, repeat callers and complaint rate on small hand-computed tables."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kpi.quality import (
    CallContact,
    CallTicket,
    complaint_rate,
    first_contact_resolution,
    repeat_caller_rate,
)
from tests.kpi.calls import DAY

ANN, BOB, CY = "+15550000001", "+15550000002", "+15550000003"


def contact(linkedid: str, number: str | None, day: float) -> CallContact:
    return CallContact(linkedid, number, DAY + timedelta(days=day))


def ticket(
    n: int, linkedid: str, number: str, day: float, kind: str, resolved: float | None
) -> CallTicket:
    return CallTicket(
        n, linkedid, number, DAY + timedelta(days=day), kind,
        DAY + timedelta(days=resolved) if resolved is not None else None,
    )  # fmt: skip


#  call  number  day
CALLS = [
    contact("a1", ANN, 0),
    contact("a2", ANN, 3),  # Ann calls again within 7 days: a repeat
    contact("b1", BOB, 0),
    contact("b2", BOB, 7.5),  # Bob again after 7.5 days: not a repeat
    contact("c1", CY, 1),
    contact("x1", None, 1),  # anonymous: left out of the repeat-caller rate
]
#  ticket from call  number  opened  type       resolved
TICKETS = [
    ticket(1, "a1", ANN, 0, "incident", 1),  # resolved, but Ann called back: not FCR
    ticket(2, "b1", BOB, 0, "complaint", 0.5),  # resolved, no repeat within 7 days: FCR
    ticket(3, "c1", CY, 1, "request", None),  # not resolved: not FCR
]


def test_first_contact_resolution() -> None:
    assert first_contact_resolution(TICKETS, CALLS) == pytest.approx(1 / 3)


def test_fcr_window_is_configurable() -> None:
    # With a 10-day window Bob's second call is a repeat too.
    assert first_contact_resolution(TICKETS, CALLS, days=10) == 0.0


def test_repeat_caller_rate() -> None:
    # 5 calls with a number; only a1 is followed by another call within 7 days.
    assert repeat_caller_rate(CALLS) == pytest.approx(1 / 5)


def test_complaint_rate() -> None:
    assert complaint_rate(TICKETS, answered_calls=4) == pytest.approx(1 / 4)


def test_no_data_is_null() -> None:
    assert first_contact_resolution([], CALLS) is None
    assert repeat_caller_rate([contact("x", None, 0)]) is None
    assert complaint_rate(TICKETS, answered_calls=0) is None
