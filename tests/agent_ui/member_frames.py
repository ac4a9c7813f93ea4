"""Queue-member frames a real Asterisk 22 sent (tests/fixtures/ami/agent_states: Alice a
static member of support, Carol a dynamic one), and scripted answers built from them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tests.cti.amiserver import Responder, response
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
