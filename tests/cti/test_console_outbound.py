"""Click-to-dial of an agent on a Local-channel phone is the agent's outbound call.

Captures from Asterisk 22.10.1: the console's sign-in (`QueueAdd` with `StateInterface`) then
an `Originate` from the agent's interface to 15557654321; and the same with a `QueueAdd`
without `StateInterface`, where Asterisk reports the interface itself (`.../n`) as the state
interface though the agent's channels are named after `Local/106@agents`.
"""

from __future__ import annotations

import pytest

from callcenter.calls.records import CallOutcome, Direction
from callcenter.events import AgentDialled, CallAnswered
from tests.cti.captures import replay_capture

CASES = [
    ("console_outbound", "Eve", "Local/105@agents/n"),
    ("console_outbound_no_state_interface", "Frank", "Local/106@agents/n"),
]


@pytest.mark.parametrize(("capture", "agent", "interface"), CASES)
def test_the_call_is_the_agent_s_outbound_call_to_the_dialled_number(
    capture: str, agent: str, interface: str
) -> None:
    played = replay_capture(capture)

    (call,) = played.calls
    assert call.direction is Direction.OUTBOUND
    assert (call.agent, call.dialed_number) == (agent, "15557654321")  # as dialled
    assert call.outcome is CallOutcome.ANSWERED
    assert call.queue_visits == ()


@pytest.mark.parametrize(("capture", "agent", "interface"), CASES)
def test_the_agent_s_console_is_told_whom_they_dial_and_when_they_answer(
    capture: str, agent: str, interface: str
) -> None:
    played = replay_capture(capture)

    (dialled,) = [e for e in played.events if isinstance(e, AgentDialled)]
    assert (dialled.agent, dialled.interface, dialled.number) == (
        agent,
        interface,
        "+15557654321",
    )
    (answered,) = [e for e in played.events if isinstance(e, CallAnswered)]
    assert (answered.agent, answered.interface) == (agent, interface)
    assert answered.linkedid == dialled.linkedid == played.calls[0].linkedid
