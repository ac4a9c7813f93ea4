"""A console-style wrap-up (a pause with the wrap-up reason after a call) through the real
tracker: recorded as the wrap-up state, its seconds on the visit the agent answered last, and
in the queue's AHT."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import AgentState
from callcenter.calls.service import list_agent_states, list_calls
from callcenter.cti.frames import Frame
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.record_writer import RecordWriter
from callcenter.events import AgentStateChanged, DomainEvent, WrapUpEnded
from callcenter.settings import DEFAULT_WRAP_UP_REASON, Settings
from kpi.reports import ReportQuery, queue_report
from kpi.thresholds import ThresholdBook
from tests.cti.captures import capture_bytes
from tests.cti.tables import table
from tests.kpi.calls import ROLLUPS

CALLER, AGENT_LEG = "PJSIP/trunk-0000002a", "PJSIP/1001-0000002b"


def _frame(row: dict[str, str]) -> Frame:
    """One table row as an AMI event of Alice (PJSIP/1001) in `support`, caller 100.1."""
    at, event = float(row["at"]), row["event"]
    frame: Frame = {"Event": event, "Timestamp": f"{at:.6f}"}
    if event in ("Newchannel", "Hangup"):
        caller = row["channel"] == "caller"
        frame |= {
            "Channel": CALLER if caller else AGENT_LEG,
            "Uniqueid": "100.1" if caller else "100.2",
            "Linkedid": "100.1",
            "CallerIDNum": "5551230001" if caller else "1001",
        }
    elif event.startswith("QueueCaller"):
        frame |= {"Channel": CALLER, "Uniqueid": "100.1", "Linkedid": "100.1", "Queue": "support"}
    else:  # Agent* and QueueMember* events of Alice
        frame |= {
            "Queue": "support",
            "Interface": "PJSIP/1001",
            "MemberName": "Alice",
            "StateInterface": "PJSIP/1001",
        }
        if event.startswith("Agent"):
            frame |= {
                "Channel": CALLER,
                "Uniqueid": "100.1",
                "Linkedid": "100.1",
                "DestChannel": AGENT_LEG,
                "DestUniqueid": "100.2",
            }
    for header in row["headers"].split():
        name, _, value = header.partition("=")
        frame[name] = value
    return frame


# Alice logs in, answers after 2 s, talks 58 s; the console then pauses her with the
# wrap-up reason for 30 s.
CALL = table(
    """
    at    | event            | channel | headers
    90    | QueueMemberAdded |         | Status=1 Paused=0
    100   | Newchannel       | caller  |
    100.1 | QueueCallerJoin  |         | Position=1
    100.2 | Newchannel       | agent   |
    100.3 | AgentCalled      |         |
    102   | AgentConnect     |         | HoldTime=2 RingTime=2
    102   | QueueCallerLeave |         | Position=1
    160   | AgentComplete    |         | HoldTime=2 TalkTime=58 Reason=caller
    160   | Hangup           | caller  |
    160   | Hangup           | agent   |
    """
)
WRAP_UP = table(
    """
    at    | event            | channel | headers
    160.5 | QueueMemberPause |         | Paused=1 PausedReason=Wrap-up
    190.5 | QueueMemberPause |         | Paused=0
    """
)


def _stream(rows: list[dict[str, str]]) -> bytes:
    frames = [_frame(row) for row in rows]
    blocks = ["\r\n".join(f"{k}: {v}" for k, v in frame.items()) for frame in frames]
    return ("\r\n\r\n".join(blocks) + "\r\n\r\n").encode()


def _run(
    sessions: sessionmaker[Session],
    *parts: bytes | float,
    close: bool = True,
    wrap_up_reason: str = DEFAULT_WRAP_UP_REASON,
) -> list[DomainEvent]:
    """Feed the byte parts in order (a float is the PBX link dropping at that time)."""
    bus = Bus()
    events: list[DomainEvent] = []
    bus.subscribe(DomainEvent, events.append)
    records = RecordWriter(bus, sessions, after_store=ROLLUPS)
    pipeline = Pipeline(server="pbx", bus=bus, wrap_up_reason=wrap_up_reason)
    for part in parts:
        if isinstance(part, float):
            pipeline.connection_lost(part)
        else:
            pipeline.feed_bytes(part)
    pipeline.close(end_open_calls=close)
    records.close()
    return events


def _alices_states(events: list[DomainEvent]) -> list[tuple[str, str | None]]:
    return [
        (e.state.value, e.reason)
        for e in events
        if isinstance(e, AgentStateChanged) and e.agent == "Alice"
    ]


def test_a_wrap_up_pause_is_the_wrap_up_state(sessions: sessionmaker[Session]) -> None:
    events = _run(sessions, _stream(CALL + WRAP_UP))
    assert _alices_states(events) == [
        ("available", None),
        ("ringing", None),
        ("on_call", None),
        ("available", None),
        ("wrap_up", "Wrap-up"),
        ("available", None),
    ]
    with sessions() as session:
        (wrap_up,) = [s for s in list_agent_states(session) if s.state is AgentState.WRAP_UP]
    assert (wrap_up.reason, wrap_up.data_gap) == ("Wrap-up", False)
    assert (wrap_up.ended_at - wrap_up.started_at).total_seconds() == pytest.approx(30)


def test_wrap_up_seconds_land_on_the_visit_the_agent_answered(
    sessions: sessionmaker[Session],
) -> None:
    events = _run(sessions, _stream(CALL + WRAP_UP))
    (late,) = [e.record for e in events if isinstance(e, WrapUpEnded)]
    assert (late.linkedid, late.seq, late.queue, late.agent) == ("100.1", 1, "support", "Alice")
    assert late.wrap_up_s == late.added_s == pytest.approx(30)
    with sessions() as session:
        (call,) = list_calls(session)
    (visit,) = call.queue_visits
    assert (visit.agent, visit.talk_s, visit.wrap_up_s) == ("Alice", 58, pytest.approx(30))
    assert call.wrap_up_s == pytest.approx(30)


def test_the_queue_aht_includes_the_wrap_up(sessions: sessionmaker[Session]) -> None:
    _run(sessions, _stream(CALL + WRAP_UP))
    day = datetime.fromtimestamp(0, UTC)
    with sessions() as session:
        report = queue_report(session, ReportQuery(day, day.replace(day=2)), ThresholdBook())
    support = report.queues["support"]
    assert (support.answered, support.talk_hold_s) == (1, 58)
    assert support.aht_s == pytest.approx(58 + 30)


def test_a_wrap_up_cut_by_a_data_gap_is_not_invented(sessions: sessionmaker[Session]) -> None:
    # The PBX link drops during the wrap-up: its end is seen, its length is not known.
    events = _run(sessions, _stream(CALL + WRAP_UP[:1]), 170.0, _stream(WRAP_UP[1:]))
    assert not [e for e in events if isinstance(e, WrapUpEnded)]
    with sessions() as session:
        (call,) = list_calls(session)
        (wrap_up,) = [s for s in list_agent_states(session) if s.state is AgentState.WRAP_UP]
    assert (call.queue_visits[0].wrap_up_s, call.wrap_up_s) == (None, None)
    assert wrap_up.data_gap


def test_a_pause_for_another_reason_stays_a_pause(sessions: sessionmaker[Session]) -> None:
    brk = [{**row, "headers": row["headers"].replace("Wrap-up", "Break")} for row in WRAP_UP]
    events = _run(sessions, _stream(CALL + brk))
    assert ("paused", "Break") in _alices_states(events)
    assert not [e for e in events if isinstance(e, WrapUpEnded)]
    with sessions() as session:
        assert list_calls(session)[0].queue_visits[0].wrap_up_s is None


# The agent's part ends but the caller stays on (back in the dialplan) past the wrap-up.
CALLER_STAYS = table(
    """
    at    | event            | channel | headers
    90    | QueueMemberAdded |         | Status=1 Paused=0
    100   | Newchannel       | caller  |
    100.1 | QueueCallerJoin  |         | Position=1
    100.2 | Newchannel       | agent   |
    100.3 | AgentCalled      |         |
    102   | AgentConnect     |         | HoldTime=2 RingTime=2
    102   | QueueCallerLeave |         | Position=1
    160   | AgentComplete    |         | HoldTime=2 TalkTime=58 Reason=agent
    160   | Hangup           | agent   |
    161   | QueueMemberPause |         | Paused=1 PausedReason=Wrap-up
    171   | QueueMemberPause |         | Paused=0
    200   | Hangup           | caller  |
    """
)


def test_a_wrap_up_over_before_the_call_is_in_its_record(
    sessions: sessionmaker[Session],
) -> None:
    events = _run(sessions, _stream(CALLER_STAYS))
    assert not [e for e in events if isinstance(e, WrapUpEnded)]
    with sessions() as session:
        (call,) = list_calls(session)
    assert call.queue_visits[0].wrap_up_s == call.wrap_up_s == pytest.approx(10)


@pytest.fixture
def settings_acw(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CALLCENTER_WRAP_UP_REASON", "ACW")
    return Settings()


def test_one_setting_names_the_wrap_up_for_console_and_tracker(
    settings_acw: Settings, sessions: sessionmaker[Session]
) -> None:
    # The console pauses with `settings.wrap_up_reason`; the tracker is handed the same value.
    assert settings_acw.wrap_up_reason == "ACW"
    acw = [{**row, "headers": row["headers"].replace("Wrap-up", "ACW")} for row in WRAP_UP]
    events = _run(sessions, _stream(CALL + acw), wrap_up_reason=settings_acw.wrap_up_reason)
    assert ("wrap_up", "ACW") in _alices_states(events)
    assert [type(e) for e in events].count(WrapUpEnded) == 1


def _pause(at: float, interface: str, name: str, queue: str, reason: str | None) -> bytes:
    paused = f"Paused: 1\r\nPausedReason: {reason}" if reason else "Paused: 0\r\nPausedReason: "
    return (
        f"Event: QueueMemberPause\r\nTimestamp: {at:.6f}\r\nQueue: {queue}\r\n"
        f"MemberName: {name}\r\nInterface: {interface}\r\n{paused}\r\n\r\n"
    ).encode()


def _stamp(block: bytes) -> float | None:
    _, found, rest = block.partition(b"Timestamp: ")
    return float(rest.split(b"\r\n")[0]) if found else None


def _with_frames(capture: bytes, frames: list[tuple[float, bytes]]) -> bytes:
    """The capture with each frame put before the first event stamped later than it."""
    blocks = capture.split(b"\r\n\r\n")
    for at, frame in sorted(frames, reverse=True):
        later = [i for i, block in enumerate(blocks) if (_stamp(block) or 0.0) > at]
        blocks.insert(later[0] if later else len(blocks) - 1, frame.removesuffix(b"\r\n\r\n"))
    return b"\r\n\r\n".join(blocks)


# The blind_transfer capture: Alice (support) answers and transfers the caller to sales at
# 1795441281.4, where Ivan talks until 1795441295.4. Alice wraps up 5 s while Ivan still
# talks; Ivan wraps up 10 s once the caller is gone.
ALICE = ("Local/101@agents/n", "Alice", "support")
IVAN = ("Local/201@agents/n", "Ivan", "sales")
WRAP_UPS = [
    (1795441282.0, _pause(1795441282.0, *ALICE, "Wrap-up")),
    (1795441287.0, _pause(1795441287.0, *ALICE, None)),
    (1795441296.0, _pause(1795441296.0, *IVAN, "Wrap-up")),
    (1795441306.0, _pause(1795441306.0, *IVAN, None)),
]


def test_each_agents_wrap_up_lands_on_the_visit_they_answered(
    sessions: sessionmaker[Session],
) -> None:
    events = _run(sessions, _with_frames(capture_bytes("blind_transfer"), WRAP_UPS))
    # Alice's wrap-up ended while the call went on: it came inside the call's record.
    (late,) = [e.record for e in events if isinstance(e, WrapUpEnded)]
    assert (late.seq, late.queue, late.agent, late.wrap_up_s) == (2, "sales", "Ivan", 10.0)
    with sessions() as session:
        (call,) = list_calls(session)
    assert [(v.queue, v.agent, v.wrap_up_s) for v in call.queue_visits] == [
        ("support", "Alice", pytest.approx(5)),
        ("sales", "Ivan", pytest.approx(10)),
    ]
    assert call.wrap_up_s == pytest.approx(15)
