"""Transfers the console reports only as the PBX confirms them, over real AMI.

Every party is a Local channel pair, as on the capture PBX: agent1 is `Local/1001@agents/n`,
the billing queue's member `Local/1101@agents/n`. The simulated PBX's dial plan has the queues,
the agents' extensions and numbers; a blind transfer to anything else is answered `Transfer
succeeded` and then drops the caller, as Asterisk 22 does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import VisitOutcome
from callcenter.cti import actions
from callcenter.users.service import Role, create_user
from tests.agent_ui.live_console import PASSWORD, Console, add_agent1
from tests.agent_ui.live_stack import LiveStack, live_stack
from tests.agent_ui.test_live_hangup_leg import (
    pbx_says,
    stored_call,
    the_pbx,
    with_the_billing_bot,
)


@pytest.fixture
def local_stack(
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    fast_password_hashing: None,
) -> Iterator[LiveStack]:
    # `sales` is a queue the console knows but the PBX's dial plan lacks.
    monkeypatch.setenv(
        "CALLCENTER_CONSOLE_QUEUE_EXTENSIONS", '{"billing": "billing", "sales": "sales"}'
    )
    with sessions() as session, session.begin():
        add_agent1(session, "Local/1001@agents/n")
        create_user(
            session,
            "bot",
            role=Role.AGENT,
            password=PASSWORD,
            interface="Local/1101@agents/n",
            member_name="billing-bot",
            queues=[("billing", 0)],
        )
    with live_stack(database_url, sessions, local_channels=True) as running:
        yield running


@pytest.fixture
def console(local_stack: LiveStack) -> Iterator[Console]:
    console = Console(local_stack)
    yield console
    console.close()


def with_agent1(board: Any) -> Any:
    """The call agent1 is connected to, if any."""
    for call in board.calls.values():
        member = call.agent_member
        if member is not None and member.name == "agent1" and not call.ended:
            return call
    return None


def with_a_far_party(board: Any) -> Any:
    """The transferred call now with a party outside the queues (an agent's phone)."""
    for call in board.calls.values():
        if call.far is not None and call.agent_member is None and not call.ended:
            return call
    return None


def test_a_blind_transfer_to_an_extension_the_dial_plan_lacks_is_refused_and_the_caller_stays(
    local_stack: LiveStack, console: Console, sessions: sessionmaker[Session]
) -> None:
    local_stack.call_in("+15551230002", "Ben Customer")
    pop = console.until("pop")
    console.until("state", state="on_call")

    refused = console.http.post(
        "/console/call/transfer", data={"kind": "blind", "target_type": "queue", "target": "sales"}
    )

    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "no extension sales in the dial context" in detail
    assert "the caller stays with you" in detail
    assert the_pbx(local_stack, with_agent1) is not None  # still talking to agent1

    # The agent tries a target that exists: confirmed, and the caller gets there.
    response = console.post(
        "/console/call/transfer", kind="blind", target_type="queue", target="billing"
    )
    assert "Transferred to billing." in response.text
    console.until("state", state="wrap_up")
    pbx_says(local_stack, lambda board: with_the_billing_bot(board) is not None)
    caller = the_pbx(local_stack, lambda board: with_the_billing_bot(board).caller.name)
    local_stack.run(actions.hangup(local_stack.ami, channel=caller))
    support, billing = stored_call(sessions, pop["call"]["linkedid"]).queue_visits
    assert (support.outcome, support.transfer_target) == (
        VisitOutcome.TRANSFERRED,
        "billing@queues",
    )
    assert billing.agent == "billing-bot"


def test_a_blind_transfer_to_an_agent_dials_their_extension_not_the_local_options(
    local_stack: LiveStack, console: Console, sessions: sessionmaker[Session]
) -> None:
    local_stack.call_in("+15551230004", "Dan Customer")
    pop = console.until("pop")
    console.until("state", state="on_call")

    response = console.post(
        "/console/call/transfer", kind="blind", target_type="agent", target="bot"
    )

    assert "Transferred to bot." in response.text
    console.until("state", state="wrap_up")
    # The caller rings the agent's phone (1101), not an extension `n` that drops them.
    moved = the_pbx(local_stack, with_a_far_party)
    assert moved is not None
    assert moved.truth.transfer_target.startswith("1101@")
    local_stack.run(actions.hangup(local_stack.ami, channel=moved.caller.name))
    record = stored_call(sessions, pop["call"]["linkedid"])
    (support,) = record.queue_visits
    assert support.outcome is VisitOutcome.TRANSFERRED
    assert support.transfer_target is not None and support.transfer_target.startswith("1101@")


def test_an_attended_transfer_to_an_agent_consults_their_extension(
    local_stack: LiveStack, console: Console
) -> None:
    local_stack.call_in("+15551230005", "Eve Customer")
    console.until("pop")
    console.until("state", state="on_call")

    response = console.post(
        "/console/call/transfer", kind="attended", target_type="agent", target="bot"
    )

    assert "Consulting bot" in response.text
    pbx_says(
        local_stack,
        lambda board: any(
            call.consult is not None and call.consult.label.startswith("1101@")
            for call in board.calls.values()
        ),
    )
    console.post("/console/call/hangup")
    console.until("state", state="wrap_up")
