"""Calls the adapter did not see begin are adopted and finished right (issue 12, items 1-2).

Real AMI bytes over TCP: the in-test PBX streams the `answered` capture (Ann calls support,
Alice answers after 2 s, they talk 5 s, Ann hangs up) and lets part of it happen while no
adapter listens; the resync answers (QueueStatus, CoreShowChannels) are derived from the
PBX state at that point, with the fields Asterisk 22 sends (BridgeId, Linkedid, Duration,
Application, QueueEntry's Wait and Position).
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.cti.adapter import LiveAdapter
from callcenter.events import CallEnded
from tests.conftest import FIXTURES
from tests.cti.amiserver import AmiServer
from tests.cti.pbxstate import split_capture
from tests.cti.test_connection_resync import frame_spans, replayed
from tests.waiting import until

ANSWERED = FIXTURES / "ami" / "answered" / "ami.raw"
ANN = "1795441073.0"


def body() -> bytes:
    return split_capture(ANSWERED.read_bytes())[1]


def offset_after(data: bytes, event: str, nth: int = 1) -> int:
    """Where the `nth` frame named `event` ends."""
    ends = [end for _, end, frame in frame_spans(data) if frame.get("Event") == event]
    return ends[nth - 1]


def offset_before(data: bytes, event: str) -> int:
    """Where the first frame named `event` starts."""
    return next(start for start, _, frame in frame_spans(data) if frame.get("Event") == event)


async def run(
    pbx: AmiServer, *, before_start: bytes, live: bytes, gap: tuple[bytes, bytes] | None = None
) -> list[CallRecord]:
    """The adapter started after `before_start` happened; `live` streamed to it; with `gap`,
    the link drops after the first part and the second happens while it is down."""
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pbx.stamp_logins = True
    pbx.advance(before_start)
    adapter = LiveAdapter(pbx.target, server="pbx-test", bus=bus, first_retry=0.01)
    await adapter.start()
    await until(lambda: adapter.feed.resyncs + adapter.feed.failed_resyncs >= 1)
    if gap is not None:
        await pbx.stream(gap[0])
        pbx.drop()
        pbx.advance(gap[1])
        await until(
            lambda: pbx.logins == 2 and adapter.feed.resyncs + adapter.feed.failed_resyncs >= 2
        )
    await pbx.stream(live)
    await adapter.connection.request({"Action": "Ping"})
    await adapter.stop()
    return [event.record for event in ended]


async def test_a_call_answered_before_the_adapter_started_ends_answered_by_its_agent() -> None:
    """queue_log: CONNECT before the adapter's login, COMPLETECALLER after it."""
    data = body()
    started = offset_after(data, "BridgeEnter", 2)  # Ann and Alice talk
    async with AmiServer() as pbx:
        begun = time.monotonic()
        (record,) = await run(pbx, before_start=data[:started], live=data[started:])
        took = time.monotonic() - begun  # this PBX's clock stands still meanwhile
    reference = replayed(data)[ANN]

    # | field        | stored                          | why                               |
    # | outcome      | answered, by Alice              | bridged with Alice's member leg   |
    # | answered_at  | within a second of the truth    | the member channel's Duration     |
    # | queue visit  | support, answered, Alice        | Application Queue(support,...)    |
    # | data_gap     | yes                             | its start was not seen            |
    assert (record.linkedid, record.outcome, record.agent, record.data_gap) == (
        ANN,
        "answered",
        "Alice",
        True,
    )
    assert record.caller_name == "Ann Customer"
    assert record.answered_at is not None and reference.answered_at is not None
    # Durations are whole seconds, counted back from the adapter's own time at the resync.
    assert abs(record.answered_at - reference.answered_at) <= timedelta(seconds=1 + took)
    assert abs(record.started_at - reference.started_at) <= timedelta(seconds=1 + took)
    assert record.ended_at == reference.ended_at
    assert [(v.queue, v.outcome, v.agent, v.hangup_by) for v in record.queue_visits] == [
        ("support", "answered", "Alice", "caller")
    ]
    (visit,) = record.queue_visits
    assert visit.talk_s == reference.queue_visits[0].talk_s  # Asterisk's own TalkTime
    assert record.talk_s is not None and abs(record.talk_s - (reference.talk_s or 0)) <= 1


async def test_a_caller_who_joined_during_the_gap_is_adopted_from_the_queue_entry() -> None:
    data = body()
    cut = offset_before(data, "Newchannel")
    resume = offset_before(data, "AgentCalled")  # Ann waits in support at the reconnect
    async with AmiServer() as pbx:
        begun = time.monotonic()
        records = await run(
            pbx, before_start=b"", gap=(data[:cut], data[cut:resume]), live=data[resume:]
        )
        took = time.monotonic() - begun
    (record,) = records
    reference = replayed(data)[ANN]
    assert (record.linkedid, record.outcome, record.agent, record.data_gap) == (
        ANN,
        "answered",
        "Alice",
        True,
    )
    (visit,) = record.queue_visits
    (truth,) = reference.queue_visits
    assert (visit.queue, visit.outcome, visit.agent, visit.position) == (
        "support",
        "answered",
        "Alice",
        1,
    )
    assert visit.wait_s == truth.wait_s  # AgentConnect's HoldTime
    # The entry's Wait is in whole seconds, counted back from the adapter's own time at the
    # resync. This PBX's clock stands still while the wall's runs: the run's time adds to it.
    assert abs(visit.entered_at - truth.entered_at) <= timedelta(seconds=1 + took)


async def test_events_for_a_caller_never_seen_adopt_the_call_when_no_resync_runs() -> None:
    """The resync is refused: AgentCalled/AgentConnect for an unknown Uniqueid adopt Ann."""
    data = body()
    cut = offset_before(data, "Newchannel")
    resume = offset_before(data, "AgentCalled")
    async with AmiServer() as pbx:
        pbx.refuse["QueueStatus"] = "Permission denied"
        records = await run(
            pbx, before_start=b"", gap=(data[:cut], data[cut:resume]), live=data[resume:]
        )
    (record,) = records
    assert (record.linkedid, record.outcome, record.agent, record.data_gap) == (
        ANN,
        "answered",
        "Alice",
        True,
    )
    assert record.caller_number is not None and record.caller_number.endswith("15551230001")
    assert [(v.queue, v.outcome, v.agent) for v in record.queue_visits] == [
        ("support", "answered", "Alice")
    ]
    # Entered when AgentConnect's HoldTime says, not when the first AgentCalled came.
    (visit,), (truth,) = record.queue_visits, replayed(data)[ANN].queue_visits
    assert visit.wait_s == truth.wait_s
    assert abs(visit.entered_at - truth.entered_at) <= timedelta(seconds=1)


async def test_a_caller_first_seen_hanging_up_still_gets_a_record() -> None:
    """Everything but Ann's own hang-up happened unseen (the resync refused): one record."""
    data = body()
    cut = offset_before(data, "Newchannel")
    resume = next(
        start
        for start, _, frame in frame_spans(data)
        if frame.get("Event") == "Hangup" and frame["Uniqueid"] == ANN
    )
    async with AmiServer() as pbx:
        pbx.refuse["QueueStatus"] = "Permission denied"
        pbx.refuse["CoreShowChannels"] = "Permission denied"
        records = await run(
            pbx, before_start=b"", gap=(data[:cut], data[cut:resume]), live=data[resume:]
        )
    assert [(r.linkedid, r.data_gap) for r in records] == [(ANN, True)]


RESYNC = FIXTURES / "ami" / "resync"


def list_answer(action: str, action_id: str) -> list[bytes]:
    """The captured answer to `action` (its response and event list), for `action_id`."""
    frames = split_frames(RESYNC / "in_progress_lists.raw")
    ids = {"QueueStatus": b"b", "CoreShowChannels": b"c"}
    ours = [f for f in frames if f"ActionID: {ids[action].decode()}\r\n".encode() in f]
    return [
        f.replace(b"ActionID: " + ids[action] + b"\r\n", f"ActionID: {action_id}\r\n".encode())
        for f in ours
    ]


def split_frames(path: Path) -> list[bytes]:
    data = path.read_bytes()
    data = data[data.index(b"\r\n") + 2 :]  # the banner
    return [frame + b"\r\n\r\n" for frame in data.split(b"\r\n\r\n") if frame]


async def test_a_call_in_progress_on_a_real_asterisk_is_adopted_from_its_resync_answers() -> None:
    """Real Asterisk 22 bytes: its QueueStatus and CoreShowChannels answers while Ann talks
    with Bob, then the events that followed. queue_log: ENTERQUEUE at 1796183633, CONNECT
    at 1796183634 (holdtime 1), COMPLETECALLER at 1796183654 (talk 20)."""
    after = (RESYNC / "in_progress_after.raw").read_bytes()
    async with AmiServer() as pbx:
        pbx.stamp_logins = True
        pbx.state.now = 1796183640.161209  # when the lists were asked (the PBX's clock)
        for action in ("QueueStatus", "CoreShowChannels"):
            pbx.responders[action] = lambda fields, _, name=action: list_answer(
                name, fields.get("ActionID", "")
            )
        (record,) = await run(pbx, before_start=b"", live=after)

    assert (record.linkedid, record.outcome, record.agent, record.data_gap) == (
        "1796183633.4",
        "answered",
        "Bob",
        True,
    )
    (visit,) = record.queue_visits
    assert (visit.queue, visit.outcome, visit.agent, visit.hangup_by) == (
        "support",
        "answered",
        "Bob",
        "caller",
    )
    assert (visit.wait_s, visit.talk_s) == (1.0, 20.0)
    assert record.answered_at is not None
    assert abs(record.answered_at.timestamp() - 1796183634) <= 1
    assert abs(visit.entered_at.timestamp() - 1796183633) <= 1


ABANDON = FIXTURES / "ami" / "abandon" / "ami.raw"
DAN = "1795441202.4"  # joins support at 1795441202, abandons after 8 s (queue_log ABANDON|1|1|8)


async def test_a_caller_first_seen_abandoning_is_adopted_from_queuecallerabandon() -> None:
    """Dan joined and waited while nobody listened, and the resync was refused: his
    QueueCallerAbandon is the first event about him the adapter reads."""
    data = split_capture(ABANDON.read_bytes())[1]
    cut = next(
        start
        for start, _, frame in frame_spans(data)
        if frame.get("Event") == "QueueCallerAbandon" and frame["Uniqueid"] == DAN
    )
    async with AmiServer() as pbx:
        pbx.refuse["QueueStatus"] = "Permission denied"
        pbx.refuse["CoreShowChannels"] = "Permission denied"
        records = await run(pbx, before_start=data[:cut], live=data[cut:])
    record = next(r for r in records if r.linkedid == DAN)
    reference = replayed(data)[DAN]

    # | field        | stored                         | from                                |
    # | outcome      | abandoned, no agent            | QueueCallerAbandon                  |
    # | queue visit  | support, abandoned, wait 8 s   | its Queue and HoldTime              |
    # | entered_at   | within a second of the truth   | the event's time less HoldTime      |
    # | caller       | Dan's number and name          | its CallerIDNum and CallerIDName    |
    # | data_gap     | yes                            | its start was not seen              |
    assert (record.outcome, record.agent, record.answered_at, record.data_gap) == (
        "abandoned",
        None,
        None,
        True,
    )
    assert (record.caller_name, record.caller_number) == (
        reference.caller_name,
        reference.caller_number,
    )
    (visit,) = record.queue_visits
    (truth,) = reference.queue_visits
    assert (visit.queue, visit.outcome, visit.agent, visit.wait_s) == (
        "support",
        "abandoned",
        None,
        8,
    )
    assert visit.wait_s == truth.wait_s
    assert abs(visit.entered_at - truth.entered_at) <= timedelta(seconds=1)
    assert record.ended_at == reference.ended_at
    assert [r.linkedid for r in records].count(DAN) == 1
