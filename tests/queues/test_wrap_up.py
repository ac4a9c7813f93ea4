"""An agent's wrap-up as named transitions; an impossible one is logged, not raised."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from callcenter.calls.records import AgentState
from callcenter.queues.wrap_up import WrapUp, WrapUpPhase

UNTIL = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


def test_begun_confirmed_finished() -> None:
    wrap_up = WrapUp("ann", "Wrap-up")
    assert wrap_up.begin(UNTIL)
    assert wrap_up.follow(AgentState.WRAP_UP, "Wrap-up")
    assert (wrap_up.phase, wrap_up.until) == (WrapUpPhase.CONFIRMED, UNTIL)
    assert wrap_up.finish()
    assert (wrap_up.active, wrap_up.until) == (False, None)


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        (AgentState.PAUSED, "Lunch"),
        (AgentState.AVAILABLE, None),
        (AgentState.RINGING, None),
        (AgentState.LOGGED_OUT, None),
    ],
)
def test_anything_else_at_the_pbx_interrupts_it(state: AgentState, reason: str | None) -> None:
    wrap_up = WrapUp("ann", "Wrap-up")
    wrap_up.begin(UNTIL)
    assert not wrap_up.follow(state, reason)
    assert wrap_up.phase is WrapUpPhase.IDLE


def test_finishing_twice_is_logged_and_refused(caplog: pytest.LogCaptureFixture) -> None:
    wrap_up = WrapUp("ann", "Wrap-up")
    wrap_up.begin(UNTIL)
    wrap_up.finish()
    with caplog.at_level(logging.INFO, logger="callcenter.queues.wrap_up"):
        assert not wrap_up.finish()
    assert "wrap-up of ann: finish while idle, ignored" in caplog.text
