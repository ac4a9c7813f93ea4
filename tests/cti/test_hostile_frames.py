"""Frames no PBX sends, amid a real capture over TCP: skipped or their bad header ignored,
the records unchanged, and the log held to one warning per kind."""

from __future__ import annotations

import logging
import random
import re
from collections import Counter
from itertools import cycle

import pytest

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.cti.adapter import LiveAdapter
from callcenter.cti.frames import BadHeader
from callcenter.cti.log_limit import LimitedLog
from callcenter.cti.pipeline import Pipeline
from callcenter.events import CallEnded
from tests.cti.amiserver import AmiServer
from tests.cti.captures import capture_bytes
from tests.cti.pbxstate import frames_with_tail, split_capture

IMPOSSIBLE_TIMES = ("1e300", "nan", "inf", "-1", "1e10", "-inf")


def with_header(frame: bytes, header: str, value: str) -> bytes:
    """`frame` with `header` set to `value` (added before the blank line when missing)."""
    pattern = re.compile(rb"\r\n" + header.encode() + rb": [^\r]*")
    line = b"\r\n" + header.encode() + b": " + value.encode()
    if pattern.search(frame):
        return pattern.sub(lambda _: line, frame, count=1)
    return frame[:-4] + line + b"\r\n\r\n"


def without_header(frame: bytes, header: str) -> bytes:
    return re.sub(rb"\r\n" + header.encode() + rb": [^\r]*", b"", frame, count=1)


def hostile(body: bytes) -> bytes:
    """`body` with, after most events, a copy of it carrying an impossible Timestamp or an
    identifier longer than any PBX makes."""
    times = cycle(IMPOSSIBLE_TIMES)
    out = []
    for index, frame in enumerate(frames_with_tail(body)):
        out.append(frame)
        if not frame.startswith(b"Event: "):
            continue
        if index % 2 == 0:
            out.append(with_header(frame, "Timestamp", next(times)))
        elif b"\r\nUniqueid: " in frame:
            out.append(with_header(frame, "Uniqueid", "9" * 70 + ".1"))
    return b"".join(out)


def replayed(body: bytes) -> dict[str, CallRecord]:
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pipeline = Pipeline(server="pbx-test", bus=bus)
    pipeline.feed_bytes(body)
    pipeline.close(end_open_calls=True)
    return {event.record.linkedid: event.record for event in ended}


def warnings_by_kind(caplog: pytest.LogCaptureFixture) -> Counter[str]:
    """How many warnings each kind (an event and a header, or an event and a failure) got."""
    kinds: Counter[str] = Counter()
    for record in caplog.records:
        if record.name.startswith("callcenter.cti") and record.levelno >= logging.WARNING:
            assert record.exc_info is None  # a warning, never a traceback
            args = record.args if isinstance(record.args, tuple) else ()
            named = [arg.header if isinstance(arg, BadHeader) else str(arg) for arg in args]
            kinds[" ".join([str(record.msg), *named])] += 1
    return kinds


@pytest.mark.parametrize("capture", ["abandon", "attended_transfer", "hold"])
async def test_impossible_frames_over_tcp_change_no_record_and_warn_once_per_kind(
    capture: str, caplog: pytest.LogCaptureFixture
) -> None:
    _, body = split_capture(capture_bytes(capture))
    bad = hostile(body)
    assert bad.count(b"Timestamp: 1e300") > 10 and bad.count(b"Uniqueid: 999999999") > 10
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    caplog.set_level(logging.WARNING)
    async with AmiServer(rng=random.Random(7), max_chunk=512) as pbx:
        adapter = LiveAdapter(pbx.target, server="pbx-test", bus=bus)
        await adapter.start()
        await pbx.wait_for(lambda: pbx.count("CoreShowChannels") == 1)
        await pbx.stream(bad)
        await adapter.connection.request({"Action": "Ping"})
        await adapter.stop()

    assert {event.record.linkedid: event.record for event in ended} == replayed(body)
    pipeline = adapter.pipeline
    assert pipeline.failed == 0
    # (copies of events nothing reads, like most VarSets, are not even decoded off the wire)
    assert pipeline.skipped > 30
    kinds = warnings_by_kind(caplog)
    assert kinds and set(kinds.values()) == {1}
    assert sum(kinds.values()) < pipeline.skipped  # held back, not one per frame


NUMBERS = {
    "AgentConnect": ("HoldTime", "1e300"),
    "AgentComplete": ("TalkTime", "nan"),
    "QueueCallerJoin": ("Position", "99999999999999999999"),
    "QueueCallerAbandon": ("HoldTime", "-3"),
    "AgentRingNoAnswer": ("RingTime", "inf"),
}


def test_an_impossible_number_is_ignored_as_if_absent(caplog: pytest.LogCaptureFixture) -> None:
    _, body = split_capture(capture_bytes("ring_no_answer"))
    bad, absent = [], []
    for frame in frames_with_tail(body):
        name = frame[7 : frame.find(b"\r\n")].decode()
        if name in NUMBERS:
            header, value = NUMBERS[name]
            bad.append(with_header(frame, header, value))
            absent.append(without_header(frame, header))
        else:
            bad.append(frame)
            absent.append(frame)
    assert b"".join(bad) != body
    caplog.set_level(logging.WARNING)
    assert replayed(b"".join(bad)) == replayed(b"".join(absent))
    assert "ignored an impossible TalkTime header 'nan' on a AgentComplete event" in caplog.text
    assert set(warnings_by_kind(caplog).values()) == {1}


def test_a_limited_log_says_how_many_it_held_back(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    limited = LimitedLog(logging.getLogger("callcenter.cti.test"), clock=lambda: now[0])
    caplog.set_level(logging.WARNING)
    for second in range(125):
        now[0] = float(second)
        limited.warning("Hangup Timestamp", "skipped a %s event", "Hangup")
        limited.warning("Newchannel Timestamp", "skipped a %s event", "Newchannel")
    assert [record.getMessage() for record in caplog.records] == [
        "skipped a Hangup event",
        "skipped a Newchannel event",
        "skipped a Hangup event (59 more like it in the last 60 s not logged)",
        "skipped a Newchannel event (59 more like it in the last 60 s not logged)",
        "skipped a Hangup event (59 more like it in the last 60 s not logged)",
        "skipped a Newchannel event (59 more like it in the last 60 s not logged)",
    ]


def test_a_resync_answer_with_an_impossible_duration_or_wait_is_adopted_without_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pipeline = Pipeline(server="pbx-test", bus=bus)
    at = 1795441200.0
    channel = {"Uniqueid": "1795441100.7", "Linkedid": "1795441100.7", "Channel": "PJSIP/x-1"}
    caplog.set_level(logging.WARNING)
    pipeline.reconcile(
        [
            {"Event": "CoreShowChannel", **channel, "Duration": "99999999999:00:00"},
            {"Event": "QueueEntry", "Queue": "support", **channel, "Wait": "1e300"},
            {"Event": "CoreShowChannelsComplete"},
        ],
        at,
    )
    pipeline.close(at + 10, end_open_calls=True)
    [call] = [event.record for event in ended]
    assert call.started_at.timestamp() == at  # as if the PBX had not said how long
    assert call.queue_visits[0].entered_at.timestamp() == at
    assert "ignored an impossible Duration header" in caplog.text
    assert "ignored an impossible Wait header" in caplog.text
