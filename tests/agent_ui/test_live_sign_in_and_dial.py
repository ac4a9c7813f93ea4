"""Queue sign-in and click-to-dial of an agent on a Local-channel phone, over real AMI.

agent1 is `Local/1001@agents/n` and starts outside the queues: only the console's QueueAdd
puts them in. Its `StateInterface` must name the device (`Local/1001@agents`), whose channels
are the agent's; then the agent's own outbound calls are theirs: popped, carded, recorded.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import Direction
from callcenter.users.service import Role, create_user
from tests.agent_ui.live_console import PASSWORD, Console, member
from tests.agent_ui.live_stack import LiveStack, live_stack
from tests.agent_ui.test_live_hangup_leg import stored_call


def agent1(session: Session, interface: str) -> None:
    create_user(
        session,
        "agent1",
        role=Role.AGENT,
        password=PASSWORD,
        interface=interface,
        member_name="agent1",
        queues=[("support", 0)],
    )


@pytest.fixture
def logged_out_stack(
    database_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> Iterator[LiveStack]:
    with sessions() as session, session.begin():
        agent1(session, "Local/1001@agents/n")
    with live_stack(database_url, sessions, local_channels=True, humans_logged_out=True) as running:
        yield running


@pytest.fixture
def console(logged_out_stack: LiveStack) -> Iterator[Console]:
    console = Console(logged_out_stack)
    yield console
    console.close()


def test_sign_in_names_the_device_and_click_to_dial_pops_the_dialled_customer(
    logged_out_stack: LiveStack, console: Console, sessions: sessionmaker[Session]
) -> None:
    response = console.post("/console/queues/signin")
    assert "Signed in to support." in response.text
    console.until("state", state="available")
    joined = member(logged_out_stack)
    assert (joined.name, joined.watched) == ("agent1", "Local/1001@agents")

    console.post("/console/dial", number="+15557654321")

    pop = console.until("pop")
    assert pop["call"]["caller_number"] == "+15557654321"
    assert pop["call"]["direction"] == "outbound"
    assert pop["card_pending"] is True
    # The customer may pick up before the card reaches the socket on a busy machine.
    card, answered = console.until_each(
        lambda frame: frame["type"] == "card",
        lambda frame: frame["type"] == "answered",  # the customer picked up
    )
    assert card["pop"] == pop["seq"] and card["linkedid"] == pop["call"]["linkedid"]
    assert "+15557654321" in card["html"]
    assert answered["call"]["linkedid"] == pop["call"]["linkedid"]
    assert console.http.get("/api/agents").json()[0]["state"] == "on_call"

    console.post("/console/call/hangup")

    console.until("state", state="wrap_up")  # after-call work, as after a queue call
    record = stored_call(sessions, pop["call"]["linkedid"])
    assert record.direction is Direction.OUTBOUND
    assert (record.agent, record.dialed_number) == ("agent1", "+15557654321")
    console.post("/console/wrapup/done")
    console.until("state", state="available")


@pytest.fixture
def static_stack(
    database_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> Iterator[LiveStack]:
    """agent1 listed in the PBX's queues.conf (a static member of support)."""
    with sessions() as session, session.begin():
        agent1(session, "PJSIP/1001")
    with live_stack(database_url, sessions) as running:

        async def make_static() -> None:
            running.pbx.board.queues["support"].members["agent1"].dynamic = False

        running.run(make_static())
        yield running


def test_a_static_member_is_told_why_sign_in_and_out_do_nothing(static_stack: LiveStack) -> None:
    console = Console(static_stack)
    try:
        signed_out = console.http.post("/console/queues/signout")
        assert signed_out.status_code == 409
        detail = signed_out.json()["detail"]
        assert "permanent member of support" in detail
        assert "queues.conf" in detail
        assert "cannot sign you out of it" in detail
        assert member(static_stack) is not None  # still in the queue, as the PBX says

        signed_in = console.http.post("/console/queues/signin")
        assert signed_in.status_code == 409
        assert "cannot sign you in to it" in signed_in.json()["detail"]

        # Calls still reach the static member.
        static_stack.call_in("+15551230009", "Ida Customer")
        assert console.until("pop")["call"]["caller_number"] == "+15551230009"
    finally:
        console.close()
