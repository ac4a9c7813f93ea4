"""Tracker behaviour the captures do not show: re-linked channels, optimised Local pairs."""

from __future__ import annotations

import logging

import pytest

from callcenter.calls.records import AgentState
from callcenter.cti.frames import Frame
from callcenter.events import AgentStateChanged, CallEnded, DomainEvent
from tests.cti.captures import replay


def _stream(frames: list[Frame]) -> bytes:
    blocks = ["\r\n".join(f"{k}: {v}" for k, v in frame.items()) for frame in frames]
    return ("\r\n\r\n".join(blocks) + "\r\n\r\n").encode()


def _channel(event: str, at: float, name: str, uid: str, linkedid: str, **more: str) -> Frame:
    return {
        "Event": event,
        "Timestamp": f"{at:.6f}",
        "Channel": name,
        "Uniqueid": uid,
        "Linkedid": linkedid,
        **more,
    }


def test_a_channel_handed_an_older_linkedid_moves_to_that_call() -> None:
    frames = [
        _channel("Newchannel", 100.0, "PJSIP/trunk-01", "100.1", "100.1", CallerIDNum="5551230001"),
        _channel("Newchannel", 101.0, "PJSIP/1002-02", "101.2", "101.2"),
        # bridged with the older call, the consult leg takes its Linkedid
        _channel("Newstate", 102.0, "PJSIP/1002-02", "101.2", "100.1", ChannelState="6"),
        _channel("Hangup", 110.0, "PJSIP/trunk-01", "100.1", "100.1"),
        _channel("Hangup", 111.0, "PJSIP/1002-02", "101.2", "100.1"),
    ]
    replayed = replay(_stream(frames))
    calls = {c.linkedid: c for c in replayed.calls}
    assert calls["101.2"].ended_at.timestamp() == 102.0  # its only channel left it
    assert calls["100.1"].ended_at.timestamp() == 111.0  # closed by the moved channel
    assert not calls["100.1"].data_gap


def test_late_events_of_a_hung_up_channel_change_nothing() -> None:
    frames = [
        _channel("Newchannel", 100.0, "PJSIP/trunk-01", "100.1", "100.1"),
        _channel("Hangup", 105.0, "PJSIP/trunk-01", "100.1", "100.1"),
        {
            **_channel("BridgeLeave", 105.1, "PJSIP/trunk-01", "100.1", "100.1"),
            "BridgeUniqueid": "b",
        },
    ]
    replayed = replay(_stream(frames))
    assert [(c.linkedid, c.data_gap) for c in replayed.calls] == [("100.1", False)]


def _member(event: str, at: float, **more: str) -> Frame:
    return {
        "Event": event,
        "Timestamp": f"{at:.6f}",
        "Queue": "support",
        "Interface": "Local/1001@phones",
        "MemberName": "Alice",
        "Channel": "PJSIP/trunk-01",
        "Uniqueid": "100.1",
        "Linkedid": "100.1",
        "DestChannel": "Local/1001@phones-0001;1",
        "DestUniqueid": "100.2",
        **more,
    }


def test_an_optimised_local_member_channel_does_not_end_the_agents_call() -> None:
    frames = [
        _channel("Newchannel", 100.0, "PJSIP/trunk-01", "100.1", "100.1"),
        _channel("QueueCallerJoin", 100.1, "PJSIP/trunk-01", "100.1", "100.1", Queue="support"),
        _channel("Newchannel", 100.2, "Local/1001@phones-0001;1", "100.2", "100.1"),
        _member("AgentCalled", 100.3),
        _member("AgentConnect", 102.0, HoldTime="2", RingTime="2"),
        {
            "Event": "LocalOptimizationBegin",
            "Timestamp": "102.500000",
            "LocalOneUniqueid": "100.2",
            "LocalTwoUniqueid": "100.3",
        },
        _channel("Hangup", 102.6, "Local/1001@phones-0001;1", "100.2", "100.1"),
        _member("AgentComplete", 110.0, HoldTime="2", TalkTime="8", Reason="caller"),
        _channel("Hangup", 110.0, "PJSIP/trunk-01", "100.1", "100.1"),
    ]
    replayed = replay(_stream(frames))
    changes = [
        (e.state, e.at.timestamp())
        for e in replayed.events
        if isinstance(e, AgentStateChanged) and e.agent == "Alice"
    ]
    assert changes[:2] == [(AgentState.RINGING, 100.3), (AgentState.ON_CALL, 102.0)]
    assert changes[2][1] == 110.0  # on the call until AgentComplete, not the Local hang-up
    (call,) = [e.record for e in replayed.events if isinstance(e, CallEnded)]
    assert (call.agent, call.queue_visits[0].talk_s) == ("Alice", 8.0)


def test_an_impossible_transition_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    frames = [
        _channel("Newchannel", 100.0, "PJSIP/trunk-01", "100.1", "100.1"),
        _channel("QueueCallerJoin", 100.1, "PJSIP/trunk-01", "100.1", "100.1", Queue="support"),
        _channel("QueueCallerLeave", 101.0, "PJSIP/trunk-01", "100.1", "100.1", Queue="support"),
        _channel("QueueCallerLeave", 101.5, "PJSIP/trunk-01", "100.1", "100.1", Queue="support"),
        _channel("Hangup", 102.0, "PJSIP/trunk-01", "100.1", "100.1"),
    ]
    with caplog.at_level(logging.INFO, logger="callcenter.cti.tracker_state"):
        replayed = replay(_stream(frames))
    assert "leave while left" in caplog.text
    (call,) = replayed.calls
    assert call.queue_visits[0].outcome.value == "exited"


def test_events_reach_subscribers_of_the_base_type() -> None:
    frames = [_channel("Newchannel", 100.0, "PJSIP/trunk-01", "100.1", "100.1")]
    events: list[DomainEvent] = replay(_stream(frames)).events
    assert [type(e).__name__ for e in events] == ["CallStarted", "CallEnded"]
