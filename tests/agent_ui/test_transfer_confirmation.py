"""A console's blind transfer is checked and confirmed by what a real Asterisk 22 answered.

A scripted AMI server answers `ShowDialPlan` and `BlindTransfer` with the bytes Asterisk sent
in the captures `blind_transfer_invalid` (a missing extension: the caller is hung up after
`Transfer succeeded` and `Result: Success`) and `blind_transfer` (the caller reaches `sales`).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping

import pytest

from agent_ui.pbx import PbxControl, TransferFailed, UnknownTarget
from callcenter.cti.connection import AmiConnection
from tests.cti.amiserver import AmiServer, Responder, response
from tests.cti.captures import capture_bytes
from tests.cti.pbxstate import encode, frames_with_tail

AGENT_LEG = "Local/101@agents-00000001;1"  # Alice's member channel in both captures


class AliceOnTheCall:
    """The tracker's answer: Alice's leg of the call on her screen."""

    def agent_channel(self, interface: str, linkedid: str | None) -> str | None:
        return AGENT_LEG


def events_after(capture: str, answer: bytes) -> list[bytes]:
    """The events a capture streamed after the frame containing `answer`."""
    frames = frames_with_tail(capture_bytes(capture))
    start = next(i for i, frame in enumerate(frames) if answer in frame)
    return [f for f in frames[start + 1 :] if f.startswith(b"Event:") and b"ActionID" not in f]


def captured_answer(capture: str, action_id: str) -> list[bytes]:
    """Asterisk's whole answer (list items included) to the capture's action `action_id`."""
    tag = f"ActionID: {action_id}\r\n".encode()
    return [f for f in frames_with_tail(capture_bytes(capture)) if tag in f]


def replying(frames: list[bytes]) -> Responder:
    """A responder sending captured frames with the client's own ActionID."""

    def answer(action: Mapping[str, str], headers: list[tuple[str, str]]) -> list[bytes]:
        out = []
        for frame in frames:
            lines = frame.decode().split("\r\n")
            swapped = [
                f"ActionID: {action['ActionID']}" if line.startswith("ActionID: ") else line
                for line in lines
            ]
            out.append("\r\n".join(swapped).encode())
        return out

    return answer


def transfer_then(events: list[bytes]) -> Responder:
    def answer(action: Mapping[str, str], headers: list[tuple[str, str]]) -> list[bytes]:
        return [response(action["ActionID"], "Transfer succeeded"), *events]

    return answer


@pytest.fixture
async def server() -> AsyncIterator[AmiServer]:
    async with AmiServer(rng=random.Random(7)) as ami:
        yield ami


async def control(server: AmiServer, context: str) -> AsyncIterator[PbxControl]:
    pbx = AmiConnection(server.target, first_retry=0.01, rng=random.Random(1))
    await pbx.start()
    try:
        yield PbxControl(pbx, context, AliceOnTheCall(), transfer_confirm_s=5.0)
    finally:
        await pbx.aclose()


async def test_a_target_missing_from_the_dial_plan_is_refused_before_anything_moves(
    server: AmiServer,
) -> None:
    missing = captured_answer("blind_transfer_invalid", "cap-3")
    assert b"Did not find extension n@transfers" in missing[0]
    server.responders["ShowDialPlan"] = replying(missing)
    async for pbx in control(server, "transfers"):
        with pytest.raises(UnknownTarget) as refused:
            await pbx.blind_transfer("Local/101@agents/n", "n")
    assert refused.value.status_code == 422
    assert "no extension n in the dial context transfers" in str(refused.value)
    assert server.count("BlindTransfer") == 0


async def test_a_caller_asterisk_hangs_up_after_a_successful_transfer_is_reported_lost(
    server: AmiServer,
) -> None:
    # An AMI user without the dialplan read permission: the check cannot run.
    server.refuse["ShowDialPlan"] = "Permission denied"
    server.responders["BlindTransfer"] = transfer_then(
        events_after("blind_transfer_invalid", b"Message: Transfer succeeded")
    )
    async for pbx in control(server, "transfers"):
        with pytest.raises(TransferFailed) as failed:
            await pbx.blind_transfer("Local/101@agents/n", "n")
    assert failed.value.status_code == 502
    assert "the PBX hung up the caller at n@transfers" in str(failed.value)
    sent = next(a for a in server.actions if a.get("Action") == "BlindTransfer")
    assert (sent["Channel"], sent["Context"], sent["Exten"]) == (AGENT_LEG, "transfers", "n")


async def test_a_caller_who_reaches_the_target_queue_confirms_the_transfer(
    server: AmiServer,
) -> None:
    found = [
        encode([("Response", "Success"), ("ActionID", "x"), ("EventList", "start"),
                ("Message", "DialPlan list will follow")]),
        encode([("Event", "ListDialplan"), ("ActionID", "x"), ("Context", "queues"),
                ("Extension", "_[a-z]."), ("Priority", "1"), ("Application", "NoOp"),
                ("AppData", "Inbound call"), ("Registrar", "pbx_config")]),
        encode([("Event", "ShowDialPlanComplete"), ("ActionID", "x"), ("EventList", "Complete"),
                ("ListItems", "1"), ("ListExtensions", "1"), ("ListPriorities", "1"),
                ("ListContexts", "1")]),
    ]  # fmt: skip
    server.responders["ShowDialPlan"] = replying(found)
    server.responders["BlindTransfer"] = transfer_then(
        events_after("blind_transfer", b"Message: Transfer succeeded")
    )
    async for pbx in control(server, "queues"):
        assert await pbx.blind_transfer("Local/101@agents/n", "sales") is True
