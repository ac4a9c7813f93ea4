"""A supervisor's pause and sign-out are done only when the PBX reports them: over real TCP
against a scripted AMI server answering with the frames a real Asterisk 22 sent
(tests/fixtures/ami/agent_states: Alice a static member of support, Carol a dynamic one)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from agent_ui.pbx import ConsoleError, NotConfirmed, PbxControl
from agent_ui.supervisor import member_control
from callcenter.cti.connection import AmiConnection
from tests.cti.amiserver import AmiServer, Responder, response
from tests.cti.pbxstate import encode

CAPTURE = Path(__file__).parents[1] / "fixtures" / "ami" / "agent_states" / "ami.raw"
ALICE = "Local/101@agents/n"
CAROL = "Local/103@agents/n"

Frame = list[tuple[str, str]]


def captured(event: str, **wanted: str) -> Frame:
    """The first frame of `event` in the capture with these header values (no ActionID)."""
    for block in CAPTURE.read_bytes().decode().split("\r\n\r\n"):
        parts = (line.partition(": ") for line in block.split("\r\n"))
        headers = [(key, value) for key, sep, value in parts if sep]
        found = dict(headers)
        if found.get("Event") == event and all(found.get(k) == v for k, v in wanted.items()):
            return [(k, v) for k, v in headers if k != "ActionID"]
    raise LookupError(f"no {event} {wanted} in the capture")


ALICE_IN_SUPPORT = captured("QueueMember", Name="Alice", LastPause="0")
ALICE_PAUSED = captured("QueueMemberPause", MemberName="Alice", Paused="1")
CAROL_REMOVED = captured("QueueMemberRemoved", MemberName="Carol", Queue="support")
# Carol as QueueStatus lists a dynamic member (the names app_queue gives the list's fields).
CAROL_IN_SUPPORT = [
    ("Event", "QueueMember"),
    *[
        ({"MemberName": "Name", "Interface": "Location"}.get(k, k), v)
        for k, v in CAROL_REMOVED
        if k not in ("Event", "Privilege", "Timestamp", "Ringinuse")
    ],
]


def listing(*members: Frame) -> Responder:
    def answer(action: Mapping[str, str], _: list[tuple[str, str]]) -> list[bytes]:
        action_id = action.get("ActionID", "")
        start = [("Response", "Success"), ("ActionID", action_id), ("EventList", "start")]
        frames = [encode([*start, ("Message", "Queue status will follow")])]
        frames += [encode([*member, ("ActionID", action_id)]) for member in members]
        done = [("Event", "QueueStatusComplete"), ("ActionID", action_id)]
        frames.append(encode([*done, ("EventList", "Complete"), ("ListItems", str(len(members)))]))
        return frames

    return answer


def accepted(message: str, *events: Frame) -> Responder:
    """`Response: Success`, then the events the PBX sends (none: it never reports it)."""

    def answer(action: Mapping[str, str], _: list[tuple[str, str]]) -> list[bytes]:
        return [response(action.get("ActionID", ""), message), *map(encode, events)]

    return answer


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
    monkeypatch.setattr(member_control, "CONFIRM_S", 0.5)


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
