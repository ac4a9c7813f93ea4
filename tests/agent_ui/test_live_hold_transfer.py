"""Hold, resume and the two ends of an attended transfer, against the simulated PBX over AMI."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_console import Console, add_agent1
from tests.agent_ui.live_stack import LiveStack, live_stack


@pytest.fixture
def stack(
    database_url: str,
    sessions: sessionmaker[Session],
    fast_password_hashing: None,
) -> Iterator[LiveStack]:
    with sessions() as session, session.begin():
        add_agent1(session)
    with live_stack(database_url, sessions) as running:
        yield running


@pytest.fixture
def console(stack: LiveStack) -> Iterator[Console]:
    console = Console(stack)
    yield console
    console.close()


def _call_frame(console: Console, **fields: Any) -> dict[str, Any]:
    """The next update of the call on screen with these values."""
    while True:
        frame = console.until("call")
        if all(frame["call"].get(k) == v for k, v in fields.items()):
            return frame["call"]


def _answered_call(stack: LiveStack, console: Console, number: str) -> dict[str, Any]:
    stack.call_in(number, "Some Customer")
    pop = console.until("pop")
    console.until("state", state="on_call")
    return dict(pop["call"])


def test_hold_and_resume_twice_then_the_next_caller_starts_unheld(
    stack: LiveStack, console: Console
) -> None:
    call = _answered_call(stack, console, "+15551230001")
    for _ in range(2):
        response = console.post("/console/call/hold")
        assert "on hold" in response.text
        held = _call_frame(console, held=True)
        assert held["linkedid"] == call["linkedid"]
        response = console.post("/console/call/resume")
        assert "back" in response.text
        _call_frame(console, held=False)
    console.post("/console/call/hangup")
    console.until("state", state="wrap_up")
    console.post("/console/wrapup/done")
    console.until("state", state="available")

    following = _answered_call(stack, console, "+15551230002")
    assert following["linkedid"] != call["linkedid"]
    assert following["held"] is False and following["consulting"] is None


def test_a_reload_during_a_hold_shows_the_caller_still_held(
    stack: LiveStack, console: Console
) -> None:
    _answered_call(stack, console, "+15551230003")
    console.post("/console/call/hold")
    _call_frame(console, held=True)
    reloaded = Console(stack)
    try:
        call = reloaded.hello["snapshot"]["call"]
        assert call["held"] is True
        reloaded.post("/console/call/resume")  # the second tab takes the caller back
        _call_frame(console, held=False)
    finally:
        reloaded.close()


def test_resume_without_a_hold_is_not_reported_as_done(stack: LiveStack, console: Console) -> None:
    _answered_call(stack, console, "+15551230004")
    response = console.http.post("/console/call/resume")
    assert response.status_code == 504
    assert "did not report" in response.text


def test_hold_with_no_call_says_so(console: Console) -> None:
    response = console.http.post("/console/call/hold")
    assert response.status_code == 409
    assert "no call" in response.text


def test_a_cancelled_consultation_returns_the_caller_then_a_second_one_completes(
    stack: LiveStack, console: Console
) -> None:
    call = _answered_call(stack, console, "+15551230005")
    response = console.post(
        "/console/call/transfer", kind="attended", target_type="number", target="5551234"
    )
    assert "Consulting 5551234" in response.text
    consulting = _call_frame(console, consulting="5551234")
    assert consulting["linkedid"] == call["linkedid"]

    response = console.post("/console/call/transfer/cancel")
    assert "back with the caller" in response.text
    back = _call_frame(console, consulting=None, held=False)
    assert back["linkedid"] == call["linkedid"]

    console.post("/console/call/transfer", kind="attended", target_type="number", target="5551234")
    _call_frame(console, consulting="5551234")
    response = console.post("/console/call/transfer/complete")
    assert "Transferred" in response.text
    console.until("state", state="wrap_up")


def test_cancel_with_no_consultation_is_not_reported_as_done(
    stack: LiveStack, console: Console
) -> None:
    _answered_call(stack, console, "+15551230006")
    response = console.http.post("/console/call/transfer/cancel")
    assert response.status_code == 504
