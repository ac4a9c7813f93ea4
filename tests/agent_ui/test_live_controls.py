"""Console controls against the simulated PBX over real AMI, HTTP and websockets."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_console import Console, add_agent1, member, pbx_says
from tests.agent_ui.live_stack import LiveStack, live_stack


@pytest.fixture
def stack(
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    fast_password_hashing: None,
) -> Iterator[LiveStack]:
    # billing has no console users, only the PBX's bot: the console learns it from settings.
    monkeypatch.setenv("CALLCENTER_CONSOLE_QUEUE_EXTENSIONS", '{"billing": "billing"}')
    with sessions() as session, session.begin():
        add_agent1(session)
    with live_stack(database_url, sessions) as running:
        yield running


@pytest.fixture
def console(stack: LiveStack) -> Iterator[Console]:
    console = Console(stack)
    yield console
    console.close()


def test_pause_with_a_reason_reaches_the_pbx_and_comes_back(
    stack: LiveStack, console: Console
) -> None:
    console.post("/console/queues/signin")
    console.post("/console/pause", reason="Lunch")
    frame = console.until("state", state="paused")
    assert frame["reason"] == "Lunch"
    pbx_says(stack, lambda m: (m.paused, m.paused_reason) == (True, "Lunch"))
    console.post("/console/available")
    console.until("state", state="available")
    pbx_says(stack, lambda m: m.paused is False)


def test_sign_out_removes_the_agent_from_the_queue(stack: LiveStack, console: Console) -> None:
    console.post("/console/queues/signout")
    console.until("state", state="logged_out")
    assert member(stack) is None
    console.post("/console/queues/signin")
    console.until("state", state="available")
    assert member(stack) is not None


def test_hangup_starts_wrap_up_paused_in_the_pbx_until_done(
    stack: LiveStack, console: Console
) -> None:
    stack.call_in("+15551230001", "Ann Customer")
    pop = console.until("pop")
    assert pop["call"]["caller_number"] == "+15551230001"
    console.until("state", state="on_call")
    console.post("/console/call/hangup")
    console.until("state", state="wrap_up")
    pbx_says(stack, lambda m: (m.paused, m.paused_reason) == (True, "Wrap-up"))
    console.post("/console/wrapup/done")
    console.until("state", state="available")
    pbx_says(stack, lambda m: m.paused is False)


def test_a_blind_transfer_sends_the_caller_to_another_queue(
    stack: LiveStack, console: Console
) -> None:
    stack.call_in("+15551230002", "Ben Customer")
    console.until("pop")
    console.until("state", state="on_call")
    console.post("/console/call/transfer", kind="blind", target_type="queue", target="billing")
    console.until("state", state="wrap_up")

    async def billing_bot_talking() -> bool:
        bot = stack.pbx.board.queues["billing"].members["billing-bot"]
        return bool(bot.in_call)

    deadline = time.monotonic() + 20
    while not stack.run(billing_bot_talking()):
        assert time.monotonic() < deadline, "the caller never reached billing"
        time.sleep(0.05)


def test_click_to_dial_rings_the_agents_phone_first(stack: LiveStack, console: Console) -> None:
    response = console.post("/console/dial", number="+15557654321")
    assert "Calling +15557654321" in response.text
    frame = console.until("state", state="on_call")
    assert frame["state"] == "on_call"


def test_an_attended_transfer_consults_then_completes_on_hangup(
    stack: LiveStack, console: Console
) -> None:
    stack.call_in("+15551230003", "Cara Customer")
    console.until("pop")
    console.until("state", state="on_call")
    response = console.post(
        "/console/call/transfer", kind="attended", target_type="number", target="5551234"
    )
    assert "Consulting 5551234" in response.text
    console.post("/console/call/hangup")  # the agent leaves: caller and target stay together
    console.until("state", state="wrap_up")
