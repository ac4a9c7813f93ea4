"""Queue-member commands, the console's own and a supervisor's, are done only when the PBX
reports them: over real TCP against a scripted AMI server answering with the frames a real
Asterisk 22 sent (tests/fixtures/ami/agent_states: Alice a static member of support, Carol a
dynamic one)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from agent_ui import console_members, member_watch
from agent_ui.pbx import ConsoleError, NotConfirmed, PbxControl
from agent_ui.supervisor import member_control
from callcenter.cti.connection import AmiConnection
from tests.agent_ui.member_frames import (
    ALICE,
    ALICE_IN_SUPPORT,
    ALICE_PAUSED,
    CAROL,
    CAROL_IN_SUPPORT,
    CAROL_REMOVED,
    accepted,
    captured,
    listing,
)
from tests.cti.amiserver import AmiServer, response


@pytest.fixture
async def server() -> AsyncIterator[AmiServer]:
    async with AmiServer(rng=random.Random(13)) as ami:
        yield ami


@pytest.fixture
async def control(server: AmiServer) -> AsyncIterator[PbxControl]:
    connection = AmiConnection(server.target, first_retry=0.01, action_timeout=2.0)
    await connection.start()
    yield PbxControl(connection, "agents")
    await connection.aclose()


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(member_watch, "CONFIRM_S", 0.5)


async def test_a_pause_the_pbx_reports_is_done(server: AmiServer, control: PbxControl) -> None:
    server.responders["QueueStatus"] = listing(ALICE_IN_SUPPORT)
    server.responders["QueuePause"] = accepted("Interface paused successfully", ALICE_PAUSED)
    assert await member_control.pause(control, ALICE, "Training") == ["support"]


@pytest.mark.usefixtures("quick")
async def test_a_pause_accepted_but_never_reported_is_not_done(
    server: AmiServer, control: PbxControl
) -> None:
    server.responders["QueueStatus"] = listing(ALICE_IN_SUPPORT)
    # `Response: Success`, and no QueueMemberPause: the PBX did not say the agent moved.
    with pytest.raises(NotConfirmed, match="no QueueMemberPause for support"):
        await member_control.pause(control, ALICE, "Training")
    assert server.count("QueuePause") == 1


@pytest.mark.usefixtures("quick")
async def test_a_sign_out_needs_the_queue_member_removed_event(
    server: AmiServer, control: PbxControl
) -> None:
    server.responders["QueueStatus"] = listing(CAROL_IN_SUPPORT)
    with pytest.raises(NotConfirmed, match="no QueueMemberRemoved for support"):
        await member_control.sign_out(control, CAROL, ["support"])
    server.responders["QueueRemove"] = accepted("Removed interface from queue", CAROL_REMOVED)
    assert await member_control.sign_out(control, CAROL, ["support"]) == ["support"]


async def test_a_static_member_is_not_signed_out(server: AmiServer, control: PbxControl) -> None:
    server.responders["QueueStatus"] = listing(ALICE_IN_SUPPORT)
    with pytest.raises(ConsoleError, match="permanent member of support"):
        await member_control.sign_out(control, ALICE, ["support"])
    assert server.count("QueueRemove") == 0


CAROL_ADDED = captured("QueueMemberAdded", MemberName="Carol", Queue="support")
CAROL_SALES = captured("QueueMemberAdded", MemberName="Carol", Queue="sales")
ALICE_UNPAUSED = [(k, "0" if k == "Paused" else v) for k, v in ALICE_PAUSED]
ALICE_IN_SUPPORT_PAUSED = [
    (k, {"Paused": "1", "PausedReason": "Lunch"}.get(k, v)) for k, v in ALICE_IN_SUPPORT
]
CAROL_QUEUES = [("support", 0), ("sales", 0)]


@pytest.mark.usefixtures("quick")
async def test_the_console_sign_in_waits_for_every_queue_member_added(
    server: AmiServer, control: PbxControl
) -> None:
    server.responders["QueueStatus"] = listing()
    server.responders["QueueAdd"] = accepted("Added interface to queue")
    with pytest.raises(NotConfirmed, match="no QueueMemberAdded for sales, support"):
        await console_members.sign_in(control, CAROL, "Carol", CAROL_QUEUES)
    # The PBX reports support only: sales is still not confirmed.
    server.responders["QueueAdd"] = accepted("Added interface to queue", CAROL_ADDED)
    with pytest.raises(NotConfirmed, match=r"no QueueMemberAdded for sales\)"):
        await console_members.sign_in(control, CAROL, "Carol", CAROL_QUEUES)
    server.responders["QueueAdd"] = accepted("Added interface to queue", CAROL_ADDED, CAROL_SALES)
    joined = await console_members.sign_in(control, CAROL, "Carol", CAROL_QUEUES)
    assert sorted(joined) == ["sales", "support"]


async def test_a_console_sign_in_to_queues_the_pbx_lists_sends_nothing(
    server: AmiServer, control: PbxControl
) -> None:
    server.responders["QueueStatus"] = listing(CAROL_IN_SUPPORT)
    joined = await console_members.sign_in(control, CAROL, "Carol", [("support", 0)])
    assert joined == ["support"]
    assert server.count("QueueAdd") == 0


async def test_a_static_member_signing_in_at_the_console_is_told_why(
    server: AmiServer, control: PbxControl
) -> None:
    server.responders["QueueStatus"] = listing(ALICE_IN_SUPPORT)
    server.responders["QueueAdd"] = lambda action, _: [
        response(action.get("ActionID", ""), "Unable to add interface: Already there", "Error")
    ]
    with pytest.raises(ConsoleError, match="permanent member of support"):
        await console_members.sign_in(control, ALICE, "Alice", [("support", 0)])


@pytest.mark.usefixtures("quick")
async def test_the_console_pause_and_available_wait_for_queue_member_pause(
    server: AmiServer, control: PbxControl
) -> None:
    server.responders["QueueStatus"] = listing(ALICE_IN_SUPPORT)
    server.responders["QueuePause"] = accepted("Interface paused successfully")
    with pytest.raises(NotConfirmed, match="no QueueMemberPause for support"):
        await console_members.pause(control, ALICE, "Lunch")
    server.responders["QueuePause"] = accepted("Interface paused successfully", ALICE_PAUSED)
    await console_members.pause(control, ALICE, "Lunch")

    server.responders["QueueStatus"] = listing(ALICE_IN_SUPPORT_PAUSED)
    # An unpause the PBX reports as a pause is not "available".
    with pytest.raises(NotConfirmed, match="no QueueMemberPause for support"):
        await console_members.available(control, ALICE)
    server.responders["QueuePause"] = accepted("Interface unpaused successfully", ALICE_UNPAUSED)
    await console_members.available(control, ALICE)
    assert server.count("QueuePause") == 4


async def test_available_when_the_pbx_lists_no_pause_sends_nothing(
    server: AmiServer, control: PbxControl
) -> None:
    server.responders["QueueStatus"] = listing(ALICE_IN_SUPPORT)
    await console_members.available(control, ALICE)
    server.responders["QueueStatus"] = listing(ALICE_IN_SUPPORT_PAUSED)
    await console_members.pause(control, ALICE, "Lunch")  # already paused so
    assert server.count("QueuePause") == 0


@pytest.mark.usefixtures("quick")
async def test_a_console_sign_out_needs_the_queue_member_removed_event(
    server: AmiServer, control: PbxControl
) -> None:
    server.responders["QueueStatus"] = listing(CAROL_IN_SUPPORT)
    server.responders["QueueRemove"] = accepted("Removed interface from queue")
    with pytest.raises(NotConfirmed, match="no QueueMemberRemoved for support"):
        await console_members.sign_out(control, CAROL, ["support", "sales"])
    server.responders["QueueRemove"] = accepted("Removed interface from queue", CAROL_REMOVED)
    await console_members.sign_out(control, CAROL, ["support", "sales"])
    assert server.count("QueueRemove") == 2  # sales, where the PBX does not list Carol: never
