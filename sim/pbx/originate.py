"""Calls started and ended from AMI: Originate (click-to-dial, or a caller into a queue), Hangup."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from callcenter.calls.records import Direction
from sim.pbx.signalling import CALL

if TYPE_CHECKING:
    from sim.pbx.live import SimulatedPbx

AGENT_RING_S = 2.0
_CALLERID = re.compile(r'^\s*"?([^"<]*?)"?\s*<([^>]*)>\s*$')


def parse_caller_id(text: str) -> tuple[str, str]:
    """`"Ann Customer" <15551230001>` -> ("15551230001", "Ann Customer")."""
    match = _CALLERID.match(text or "")
    if match:
        return match.group(2).strip(), match.group(1).strip()
    return (text or "").strip(), ""


def number_of_channel(channel: str) -> str:
    """The dialled number in `Local/<number>@customer/n` or `PJSIP/<number>@trunk`."""
    tail = channel.split("/", 1)[-1]
    return tail.split("@", 1)[0]


def originate(
    pbx: SimulatedPbx,
    channel: str,
    exten: str,
    context: str,
    caller_id: str,
    action_id: str | None,
) -> None:
    """Click-to-dial from an agent's interface, or a caller sent into a queue (as the captures
    were made: `Originate Local/<number>@customer/n` into `queues,<queue>`)."""
    at = pbx.now()
    device = pbx.board.device_by_interface(channel)
    number, name = parse_caller_id(caller_id)
    if device is None:
        number = number or number_of_channel(channel)
        pbx.scripted_caller = (number, name or None, exten, action_id)
        pbx.link.inject_caller(exten, number, name)
        return
    ring_s = AGENT_RING_S
    sim_call = pbx.link.originate(device.agent, exten, ring_s + pbx.options.far_answer_s)
    if sim_call is None:
        failure = [("ActionID", action_id)] if action_id is not None else []
        failure += [
            ("Response", "Failure"), ("Channel", channel), ("Context", context),
            ("Exten", exten), ("Reason", "0"), ("Uniqueid", "<null>"),
            ("CallerIDNum", number or "<unknown>"), ("CallerIDName", name or "<unknown>"),
        ]  # fmt: skip
        pbx.board.emit("OriginateResponse", CALL, failure, at)
        return
    call = pbx.board.originate(
        sim_call.id,
        device,
        exten,
        (number or device.exten, name or device.agent),
        at,
        context=context or "outbound",
        action_id=action_id,
        ring_s=ring_s,
    )
    sim_call.linkedid = call.caller.linkedid


def hangup_channel(pbx: SimulatedPbx, name: str) -> None:
    """AMI Hangup: whoever is on that channel hangs up, and the simulation follows."""
    at = pbx.now()
    call = pbx.board.call_of_channel(name)
    if call is None:
        return
    if call.truth.direction is Direction.OUTBOUND:
        pbx.link.hangup(call.key, "agent" if name == call.caller.name else "caller")
        return
    agent = call.agent_channel
    if agent is not None and name in (agent.name, getattr(agent.peer, "name", "")):
        consult = pbx.board.consultation_target(call.key)
        if consult is not None:
            pbx.complete_attended(call.key, at)
            pbx.link.blind_transfer(call.key, consult.split("@", 1)[0])
            return
        pbx.link.hangup(call.key, "agent")
        return
    if call.far is not None or (call.entry is None and agent is None):
        # The queues are done with this caller (voicemail, a transfer target): the PBX ends it.
        pbx.board.caller_hangs_up(call.key, at)
        return
    if name == call.caller.name or name == getattr(call.caller.peer, "name", ""):
        pbx.link.hangup(call.key, "caller")
    # A ringing phone cannot reject the call here: the queue goes on ringing it.
