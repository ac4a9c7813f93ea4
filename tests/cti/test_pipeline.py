"""The pipeline into a real database: batched, idempotent, and honest about gaps."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.models import AgentStateInterval, Call, QueueVisit
from callcenter.calls.records import CallOutcome, VisitOutcome
from callcenter.calls.service import list_agent_states, list_calls
from callcenter.cti.frames import FrameParser, parse_stream
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.record_writer import RecordWriter
from callcenter.events import CallEnded, PbxConnectionChanged
from tests.cti.captures import capture_bytes, replay_capture


def _replay_into(sessions: sessionmaker[Session], name: str, *, batch_size: int = 500) -> None:
    bus = Bus()
    records = RecordWriter(bus, sessions, batch_size)
    pipeline = Pipeline(server="pbx", bus=bus)
    pipeline.feed_bytes(capture_bytes(name))
    pipeline.close(end_open_calls=True)
    records.close()


def _counts(sessions: sessionmaker[Session]) -> tuple[int, int, int]:
    with sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(Call)) or 0,
            session.scalar(select(func.count()).select_from(QueueVisit)) or 0,
            session.scalar(select(func.count()).select_from(AgentStateInterval)) or 0,
        )


def test_stored_calls_read_back_as_published(sessions: sessionmaker[Session]) -> None:
    _replay_into(sessions, "blind_transfer")
    with sessions() as session:
        assert list_calls(session) == replay_capture("blind_transfer").calls


def test_replaying_twice_leaves_the_same_rows(sessions: sessionmaker[Session]) -> None:
    _replay_into(sessions, "load_realistic", batch_size=97)
    with sessions() as session:
        first_calls, first_states = list_calls(session), list_agent_states(session)
    counts = _counts(sessions)
    _replay_into(sessions, "load_realistic")
    assert _counts(sessions) == counts == (400, 412, len(first_states))
    with sessions() as session:
        assert list_calls(session) == first_calls
        assert list_agent_states(session) == first_states


def _frames_until(data: bytes, marker: bytes) -> tuple[list[dict[str, str]], bytes]:
    """The frames before the first one containing `marker`, and the bytes from there on."""
    cut = data.index(marker)
    cut = data.rindex(b"\r\n\r\n", 0, cut) + 4
    return parse_stream(data[:cut]), data[cut:]


def test_a_call_that_ends_while_disconnected_is_closed_flagged() -> None:
    bus = Bus()
    ended: list[CallEnded] = []
    links: list[bool] = []
    bus.subscribe(CallEnded, ended.append)
    bus.subscribe(PbxConnectionChanged, lambda e: links.append(e.connected))
    pipeline = Pipeline(server="pbx", bus=bus)
    before, _ = _frames_until(capture_bytes("answered"), b"Event: Hangup")
    for frame in before:  # up to the talk: Alice answered, the call is bridged
        pipeline.feed_frame(frame, 1795441078.0)
    pipeline.connection_lost(1795441079.0)
    # After the reconnect the PBX lists no channels: the call ended in the gap.
    pipeline.reconcile(
        [{"Event": "CoreShowChannelsComplete", "EventList": "Complete", "ListItems": "0"}],
        1795441090.0,
    )
    (call,) = [e.record for e in ended]
    assert links == [False, True]
    assert call.data_gap
    assert call.outcome is CallOutcome.ANSWERED
    assert call.ended_at.timestamp() == 1795441079.0  # when the link dropped
    (visit,) = call.queue_visits
    assert (visit.outcome, visit.agent, visit.wait_s) == (VisitOutcome.ANSWERED, "Alice", 2.0)


def test_a_call_that_survives_the_gap_ends_normally_but_flagged() -> None:
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pipeline = Pipeline(server="pbx", bus=bus)
    data = capture_bytes("answered")
    before, after = _frames_until(data, b"Event: Hangup")
    for frame in before:
        pipeline.feed_frame(frame, 1795441078.0)
    pipeline.connection_lost(1795441079.0)
    live = [
        {"Event": "CoreShowChannel", "Channel": name, "Uniqueid": uid, "Linkedid": "1795441073.0"}
        for name, uid in (
            ("Local/15551230001@customer-00000000;1", "1795441073.0"),
            ("Local/15551230001@customer-00000000;2", "1795441073.1"),
            ("Local/101@agents-00000001;1", "1795441073.2"),
            ("Local/101@agents-00000001;2", "1795441073.3"),
        )
    ]
    pipeline.reconcile([*live, {"Event": "CoreShowChannelsComplete"}], 1795441079.5)
    assert ended == []
    pipeline.feed_bytes(after)
    pipeline.close()
    (event,) = ended
    assert event.record.data_gap
    assert event.record.queue_visits[0].talk_s == 5.0


def test_a_live_call_unknown_to_the_tracker_is_adopted_from_the_resync() -> None:
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pipeline = Pipeline(server="pbx", bus=bus)
    pipeline.reconcile(
        [
            {
                "Event": "QueueEntry",
                "Queue": "support",
                "Position": "1",
                "Channel": "PJSIP/trunk-0000002a",
                "Uniqueid": "1700000000.42",
                "CallerIDNum": "+442071838750",
                "CallerIDName": "Ada",
                "Wait": "7",
            },
            {
                "Event": "CoreShowChannel",
                "Channel": "PJSIP/trunk-0000002a",
                "Uniqueid": "1700000000.42",
                "Linkedid": "1700000000.42",
                "CallerIDNum": "+442071838750",
                "CallerIDName": "Ada",
                "Application": "Queue",
                "Duration": "00:00:09",
            },
            {"Event": "CoreShowChannelsComplete"},
        ],
        1700000009.0,
    )
    pipeline.feed_frame(
        {
            "Event": "Hangup",
            "Channel": "PJSIP/trunk-0000002a",
            "Uniqueid": "1700000000.42",
            "Linkedid": "1700000000.42",
            "Timestamp": "1700000012.0",
        },
        1700000012.0,
    )
    (event,) = ended
    call = event.record
    assert call.data_gap
    assert (call.caller_number, call.caller_name) == ("+442071838750", "Ada")
    assert call.started_at.timestamp() == 1700000000.0
    (visit,) = call.queue_visits
    assert (visit.queue, visit.entered_at.timestamp()) == ("support", 1700000002.0)


def test_a_malformed_event_is_logged_and_skipped() -> None:
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pipeline = Pipeline(server="pbx", bus=bus)
    pipeline.feed_bytes(b"Event: Newchannel\r\nChannel: PJSIP/x-1\r\n\r\n")  # no Uniqueid
    pipeline.feed_bytes(capture_bytes("answered"))
    pipeline.close()
    assert pipeline.malformed == 1
    assert len(ended) == 1


def test_arrival_time_stands_in_for_missing_timestamps() -> None:
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pipeline = Pipeline(server="pbx", bus=bus)
    data = capture_bytes("no-timestamps/answered")
    for step, frame in enumerate(parse_stream(data)):
        pipeline.feed_frame(frame, 1_800_000_000.0 + step * 0.05)
    pipeline.close()
    (event,) = ended
    assert event.record.started_at.timestamp() >= 1_800_000_000.0


def test_the_parser_skips_frames_nobody_reads() -> None:
    parser = FrameParser(wanted={"Hangup": None, "VarSet": b"QUEUESTATUS"})
    frames = parser.feed(
        b"Event: Newexten\r\nChannel: a\r\n\r\n"
        b"Event: VarSet\r\nVariable: OTHER\r\n\r\n"
        b"Event: VarSet\r\nVariable: QUEUESTATUS\r\nValue: TIMEOUT\r\n\r\n"
        b"Event: Hangup\r\nChannel: a\r\n\r\n"
        b"Response: Success\r\n\r\n"
    )
    assert [f.get("Event", f.get("Response")) for f in frames] == ["VarSet", "Hangup", "Success"]
    assert parser.ignored == 2
