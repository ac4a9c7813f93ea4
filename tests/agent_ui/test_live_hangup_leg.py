"""Hanging up during an attended transfer ends the agent's own leg, over real AMI.

On the capture PBX every party is a Local channel pair, and during a consultation the
caller, the agent and the consulted party all carry the call's Linkedid: the console must
pick the agent's leg among them (which completes the transfer), not whatever is listed first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import CallRecord, VisitOutcome
from callcenter.calls.service import list_calls
from callcenter.cti import actions
from callcenter.users.service import Role, create_user
from tests.agent_ui.live_console import PASSWORD, Console
from tests.agent_ui.live_stack import LiveStack, live_stack

CONSULTED = "5551234@console"  # the default console dial context


@pytest.fixture
def local_stack(
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    fast_password_hashing: None,
) -> Iterator[LiveStack]:
    # billing has no console users, only the PBX's bot: the console learns it from settings.
    monkeypatch.setenv("CALLCENTER_CONSOLE_QUEUE_EXTENSIONS", '{"billing": "billing"}')
    with sessions() as session, session.begin():
        create_user(
            session,
            "agent1",
            role=Role.AGENT,
            password=PASSWORD,
            interface="Local/1001@agents/n",
            member_name="agent1",
            queues=[("support", 0)],
        )
    with live_stack(database_url, sessions, local_channels=True) as running:
        yield running


@pytest.fixture
def console(local_stack: LiveStack) -> Iterator[Console]:
    console = Console(local_stack)
    yield console
    console.close()


def the_pbx(stack: LiveStack, read: Callable[[Any], Any]) -> Any:
    async def on_the_loop() -> Any:
        return read(stack.pbx.board)

    return stack.run(on_the_loop())


def pbx_says(stack: LiveStack, holds: Callable[[Any], bool]) -> None:
    """Wait until the simulated PBX's switchboard satisfies `holds` (commands are async)."""
    deadline = time.monotonic() + 20
    while not the_pbx(stack, holds):
        assert time.monotonic() < deadline, "the PBX never got there"
        time.sleep(0.02)


def consulting(board: Any) -> bool:
    return any(call.consult is not None for call in board.calls.values())


def transferred(board: Any) -> bool:
    return any(
        call.truth.transfer_target == CONSULTED and not call.ended and call.far is not None
        for call in board.calls.values()
    )


def test_hanging_up_while_consulting_completes_the_attended_transfer(
    local_stack: LiveStack, console: Console
) -> None:
    local_stack.call_in("+15551230003", "Cara Customer")
    pop = console.until("pop")
    console.until("state", state="on_call")
    console.post("/console/call/transfer", kind="attended", target_type="number", target="5551234")
    pbx_says(local_stack, consulting)
    # Caller, agent pair and consulted pair are all on the PBX now, with one Linkedid.
    channels = the_pbx(local_stack, lambda board: sorted(board.channels))
    assert any(name.startswith("Local/1001@agents-") for name in channels)
    assert len(channels) >= 5

    console.post("/console/call/hangup")

    console.until("state", state="wrap_up")
    pbx_says(local_stack, transferred)  # the caller stays, with the consulted party
    still_on = the_pbx(local_stack, lambda board: sorted(board.channels))
    assert not any(name.startswith("Local/1001@agents-") for name in still_on)
    assert pop["call"]["linkedid"]


def with_the_billing_bot(board: Any) -> Any:
    """The call the billing queue's member answered, if any."""
    for call in board.calls.values():
        member = call.agent_member
        if member is not None and member.name == "billing-bot" and not call.ended:
            return call
    return None


def stored_call(sessions: sessionmaker[Session], linkedid: str) -> CallRecord:
    """Wait for the call's record in the database (written once the call ends)."""
    deadline = time.monotonic() + 20
    while True:
        with sessions() as session:
            found = [call for call in list_calls(session) if call.linkedid == linkedid]
        if found:
            return found[0]
        assert time.monotonic() < deadline, "the call's record was never written"
        time.sleep(0.05)


def test_a_blind_transfer_finds_the_agents_local_leg(
    local_stack: LiveStack, console: Console, sessions: sessionmaker[Session]
) -> None:
    local_stack.call_in("+15551230002", "Ben Customer")
    pop = console.until("pop")
    console.until("state", state="on_call")
    console.post("/console/call/transfer", kind="blind", target_type="queue", target="billing")
    console.until("state", state="wrap_up")
    # The caller got there, and the record says where the agent sent them.
    pbx_says(local_stack, lambda board: with_the_billing_bot(board) is not None)
    caller = the_pbx(local_stack, lambda board: with_the_billing_bot(board).caller.name)
    local_stack.run(actions.hangup(local_stack.ami, channel=caller))

    record = stored_call(sessions, pop["call"]["linkedid"])
    support, billing = record.queue_visits
    assert (support.queue, support.agent, support.outcome) == (
        "support",
        "agent1",
        VisitOutcome.TRANSFERRED,
    )
    assert support.transfer_target == record.transfer_target == "billing@queues"
    assert (billing.queue, billing.agent) == ("billing", "billing-bot")
