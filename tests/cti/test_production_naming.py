"""The tracker does not lean on Local-channel names: SIP trunks and phones give the same calls."""

from __future__ import annotations

import pytest

from callcenter.calls.records import CallRecord
from callcenter.events import AgentStateChanged
from tests.cti.captures import capture_bytes, replay, replay_capture
from tests.cti.production import as_production

SCENARIOS = ["answered", "abandon", "ring_no_answer", "queue_timeout", "blind_transfer", "hold"]


def _essentials(call: CallRecord) -> tuple[object, ...]:
    return (
        call.linkedid,
        call.direction,
        call.outcome,
        call.caller_number,
        call.agent,
        call.transfer_target,
        round(call.hold_s),
        [
            (v.queue, v.outcome, v.agent, v.wait_s, v.ring_s, v.talk_s, v.ring_no_answer)
            for v in call.queue_visits
        ],
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_calls_with_sip_naming(scenario: str) -> None:
    production = as_production(capture_bytes(scenario))
    assert b"Local/" not in production
    local_calls = sorted(map(_essentials, replay_capture(scenario).calls), key=str)
    sip_calls = sorted(map(_essentials, replay(production).calls), key=str)
    assert sip_calls == local_calls


def test_agents_are_named_by_their_sip_interface() -> None:
    replayed = replay(as_production(capture_bytes("answered")))
    changes = [
        (e.interface, e.state.value)
        for e in replayed.events
        if isinstance(e, AgentStateChanged) and e.agent == "Alice"
    ]
    assert changes == [
        ("PJSIP/101", "ringing"),
        ("PJSIP/101", "on_call"),
        ("PJSIP/101", "available"),
    ]
