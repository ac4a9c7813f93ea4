"""Hold, resume, consult, cancel and complete, confirmed by what a real Asterisk 22 sent.

A scripted AMI server answers each action with the bytes Asterisk 22.10.1 sent for it in the
capture `console_hold_transfer`, and the events that followed it there (the console's hold
code `*6` as a features.conf dynamic feature running `Read()`, keyed with PlayDTMF Receive;
CancelAtxfer; the consulting leg hung up).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from agent_ui.pbx import NotConfirmed, PbxControl
from callcenter.cti.connection import AmiConnection
from tests.cti.amiserver import AmiServer, Responder
from tests.cti.captures import capture_bytes
from tests.cti.pbxstate import frames_with_tail

CAPTURE = "console_hold_transfer"
# The actions the capture's client sent, beside its bytes.
CAPTURE_ACTIONS = Path(__file__).parents[1] / "fixtures" / "ami" / CAPTURE / "actions.raw"
AGENT_LEG = "Local/102@agents-00000005;1"  # the answering agent's member channel there


class TheCallOnScreen:
    def agent_channel(self, interface: str, linkedid: str | None) -> str | None:
        return AGENT_LEG


def captured_turns() -> dict[str, list[list[bytes]]]:
    """Per action name, in order: Asterisk's answer and the events up to the next answer."""
    sent = capture_bytes(CAPTURE)  # what Asterisk sent
    names = {}
    for frame in frames_with_tail(CAPTURE_ACTIONS.read_bytes()):
        text = frame.decode()
        fields = dict(line.split(": ", 1) for line in text.split("\r\n") if ": " in line)
        if "ActionID" in fields:
            names[fields["ActionID"]] = fields["Action"]
    turns: dict[str, list[list[bytes]]] = {}
    current: list[bytes] | None = None
    for frame in frames_with_tail(sent):
        answer = frame.startswith(b"Response:") and b"ActionID: cap-" in frame
        if answer:
            action_id = frame.split(b"ActionID: ", 1)[1].split(b"\r\n", 1)[0].decode()
            current = [frame]
            turns.setdefault(names[action_id], []).append(current)
        elif current is not None and frame.startswith(b"Event:"):
            current.append(frame)
    return turns


def replay(turns: list[list[bytes]]) -> Responder:
    """Answer each action with the next captured turn, under the client's ActionID."""

    def answer(action: Mapping[str, str], headers: list[tuple[str, str]]) -> list[bytes]:
        first, *events = turns.pop(0)
        lines = [
            f"ActionID: {action['ActionID']}" if line.startswith("ActionID: ") else line
            for line in first.decode().split("\r\n")
        ]
        return ["\r\n".join(lines).encode(), *events]

    return answer


@pytest.fixture
async def pbx() -> AsyncIterator[tuple[AmiServer, PbxControl]]:
    async with AmiServer(rng=random.Random(3)) as server:
        server.refuse["ShowDialPlan"] = "Permission denied"  # the target check is another test's
        for action, turns in captured_turns().items():
            server.responders[action] = replay(turns)
        connection = AmiConnection(server.target, first_retry=0.01, rng=random.Random(1))
        await connection.start()
        try:
            yield (
                server,
                PbxControl(
                    connection,
                    "transfers",
                    TheCallOnScreen(),
                    transfer_confirm_s=5.0,
                    hold_keys="*6",
                ),
            )
        finally:
            await connection.aclose()


async def test_the_captured_sequence_is_confirmed_step_by_step(
    pbx: tuple[AmiServer, PbxControl],
) -> None:
    server, control = pbx
    interface = "Local/102@agents/n"
    await control.hold(interface)  # `*6`: the leg's Hold
    await control.resume(interface)  # `#` ends Read(): Unhold
    await control.attended_transfer(interface, "310")  # the leg enters the consultation
    await control.cancel_transfer(interface)  # back with the caller: Unhold
    await control.attended_transfer(interface, "310")
    await control.complete_transfer(interface)  # hung up: AttendedTransfer, Success
    keyed = [a["Digit"] for a in server.actions if a.get("Action") == "PlayDTMF"]
    assert keyed == ["*", "6", "#"]
    assert all(
        a.get("Receive") == "yes" and a["Channel"] == AGENT_LEG
        for a in server.actions
        if a.get("Action") == "PlayDTMF"
    )
    sent = [a["Action"] for a in server.actions if a.get("Action") != "ShowDialPlan"]
    assert sent[-7:] == [
        "PlayDTMF", "PlayDTMF", "PlayDTMF", "Atxfer", "CancelAtxfer", "Atxfer", "Hangup"
    ]  # fmt: skip


async def test_a_cancel_asterisk_accepts_with_no_consultation_is_not_taken_for_done(
    pbx: tuple[AmiServer, PbxControl],
) -> None:
    server, control = pbx
    control.transfer_confirm_s = 0.5
    # Asterisk's answer to CancelAtxfer with nothing after it (as when no consultation runs).
    server.responders["CancelAtxfer"] = lambda action, headers: [
        f"Response: Success\r\nActionID: {action['ActionID']}\r\n"
        "Message: CancelAtxfer successfully queued\r\n\r\n".encode()
    ]
    with pytest.raises(NotConfirmed) as unconfirmed:
        await control.cancel_transfer("Local/102@agents/n")
    assert unconfirmed.value.status_code == 504
    assert "did not report doing it within 0.5 s" in str(unconfirmed.value)
