"""A restart of the app during an agent's wrap-up: the wrap-up resumes and ends on time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_console import Console, add_agent1, pbx_says
from tests.agent_ui.live_stack import LiveStack, live_stack

WRAP_UP_S = 8


@pytest.fixture
def stack(
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    fast_password_hashing: None,
) -> Iterator[LiveStack]:
    monkeypatch.setenv("CALLCENTER_CONSOLE_WRAP_UP_DEFAULT_S", str(WRAP_UP_S))
    with sessions() as session, session.begin():
        add_agent1(session)
    with live_stack(database_url, sessions) as running:
        yield running


def wrap_up_shown(console: Console) -> dict[str, Any]:
    """The console's wrap-up state: from the fresh tab's snapshot, or the next state frame."""
    snapshot = console.hello.get("snapshot") or {}
    if snapshot.get("state") == "wrap_up":
        return snapshot
    return console.until("state", state="wrap_up")


def test_a_restart_during_wrap_up_resumes_it_with_the_time_left(stack: LiveStack) -> None:
    console = Console(stack)
    try:
        stack.call_in("+15551230001", "Ann Customer")
        console.until("pop")
        console.until("state", state="on_call")
        console.post("/console/call/hangup")
        began = console.until("state", state="wrap_up")["wrap_up_until"]
        pbx_says(stack, lambda m: (m.paused, m.paused_reason) == (True, "Wrap-up"))
    finally:
        console.close()

    stack.restart_app()  # the new app has no timer of its own: only the PBX's pause

    console = Console(stack)
    try:
        resumed = wrap_up_shown(console)["wrap_up_until"]
        # The same end as before the restart (the PBX's LastPause is whole seconds), not a
        # new full wrap-up from the restart.
        gap = datetime.fromisoformat(began) - datetime.fromisoformat(resumed)
        assert 0 <= gap.total_seconds() < 1.5
        console.until("state", state="available")
        pbx_says(stack, lambda m: m.paused is False)
        stack.call_in("+15551230002", "Ben Customer")  # and the next call reaches the agent
        pop = console.until("pop")
        assert pop["call"]["caller_number"] == "+15551230002"
        console.until("state", state="on_call")
    finally:
        console.close()
