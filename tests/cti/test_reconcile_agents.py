"""After a reconnect, the QueueStatus answer sets each member's state; what changed is flagged."""

from __future__ import annotations

from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.cti.frames import Frame, parse_stream
from callcenter.cti.pipeline import Pipeline
from callcenter.events import AgentStateChanged, AgentStateClosed
from tests.cti.captures import capture_bytes


def _member(name: str, location: str, *, paused: str = "0", reason: str = "") -> Frame:
    return {
        "Event": "QueueMember",
        "Queue": "support",
        "Name": name,
        "Location": location,
        "StateInterface": location.removesuffix("/n"),
        "Status": "1",
        "Paused": paused,
        "PausedReason": reason,
    }


def test_a_member_gone_during_the_gap_is_logged_out_and_flagged() -> None:
    bus = Bus()
    closed: list[AgentStateClosed] = []
    changed: list[AgentStateChanged] = []
    bus.subscribe(AgentStateClosed, closed.append)
    bus.subscribe(AgentStateChanged, changed.append)
    pipeline = Pipeline(server="pbx", bus=bus)
    data = capture_bytes("agent_states")
    cut = data.index(b"PausedReason: Training")  # Carol is paused (Lunch), Alice not yet
    cut = data.rindex(b"\r\n\r\n", 0, cut) + 4
    for frame in parse_stream(data[:cut]):
        pipeline.feed_frame(frame, 1795441345.0)
    pipeline.connection_lost(1795441345.5)
    # Meanwhile Carol left the queue and Alice paused for Training.
    pipeline.reconcile(
        [
            {"Event": "QueueParams", "Queue": "support", "Calls": "0"},
            _member("Bob", "Local/102@agents/n"),
            _member("Alice", "Local/101@agents/n", paused="1", reason="Training"),
            {"Event": "QueueStatusComplete"},
        ],
        1795441360.0,
    )
    carol = [c for c in closed if c.record.agent == "Carol"]
    assert [(c.record.state, c.record.data_gap) for c in carol][-1] == (AgentState.PAUSED, True)
    assert carol[-1].record.ended_at.timestamp() == 1795441360.0
    latest = {c.agent: c.state for c in changed}
    assert {name: latest[name] for name in ("Carol", "Alice", "Bob")} == {
        "Carol": AgentState.LOGGED_OUT,
        "Alice": AgentState.PAUSED,
        "Bob": AgentState.AVAILABLE,
    }
    alice = [c for c in closed if c.record.agent == "Alice"]
    assert alice and alice[-1].record.data_gap  # her available interval crossed the gap
