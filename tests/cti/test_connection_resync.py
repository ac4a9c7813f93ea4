"""`cti run`'s connection survives a disconnect mid-call: no record lost or doubled, gaps flagged.

The in-test PBX streams the `abandon` capture in random small chunks: Cara is answered by
Alice; while they talk, Dan waits in the queue. The connection drops in the middle of a frame
while both calls are up; while nobody listens, Dan gives up and hangs up. The adapter
reconnects, resyncs (CoreShowChannels now lists only Cara's channels) and the stream goes on
until Cara hangs up.
"""

from __future__ import annotations

import gzip
import random
from collections import Counter
from dataclasses import replace

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.calls.service import list_calls
from callcenter.cti.adapter import LiveAdapter
from callcenter.cti.frames import Frame
from callcenter.cti.pipeline import Pipeline
from callcenter.events import CallEnded
from callcenter.settings import Settings
from callcenter.wiring import wire_consumers
from tests.conftest import FIXTURES
from tests.cti.amiserver import AmiServer
from tests.cti.pbxstate import split_capture
from tests.waiting import until

CAPTURE = FIXTURES / "ami" / "abandon" / "ami.raw"
CARA, DAN = "1795441198.0", "1795441202.4"


def frame_spans(body: bytes) -> list[tuple[int, int, Frame]]:
    """Each frame of `body` with its start and end offsets."""
    spans, start = [], 0
    while (end := body.find(b"\r\n\r\n", start)) >= 0:
        lines = body[start:end].decode().split("\r\n")
        spans.append((start, end + 4, dict(line.split(": ", 1) for line in lines if ": " in line)))
        start = end + 4
    return spans


def cut_points(body: bytes) -> tuple[int, int, int]:
    """Where the link drops (mid-frame), that frame's start, and where it comes back."""
    spans = frame_spans(body)
    joined = next(
        i
        for i, (_, _, f) in enumerate(spans)
        if f.get("Event") == "QueueCallerJoin" and f["Linkedid"] == DAN
    )
    drop_start, drop_end, _ = spans[joined + 1]
    last_dan = max(i for i, (_, _, f) in enumerate(spans) if f.get("Linkedid") == DAN)
    resume = spans[last_dan + 1][0]
    return drop_start + (drop_end - drop_start) // 2, drop_start, resume


def replayed(body: bytes) -> dict[str, CallRecord]:
    """The records of an uninterrupted replay of the same bytes, for comparison."""
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pipeline = Pipeline(server="pbx-test", bus=bus)
    pipeline.feed_bytes(body)
    pipeline.close(end_open_calls=True)
    return {event.record.linkedid: event.record for event in ended}


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_disconnect_mid_call_loses_no_record_doubles_none_and_flags_the_gap(
    sessions: sessionmaker[Session], seed: int
) -> None:
    _, body = split_capture(CAPTURE.read_bytes())
    cut, cut_frame_start, resume = cut_points(body)
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)

    async with AmiServer(rng=random.Random(seed), max_chunk=40) as pbx:
        consumers = wire_consumers(bus, sessions, Settings(), live=True)
        await consumers.start()
        adapter = LiveAdapter(pbx.target, server="pbx-test", bus=bus, first_retry=0.01)
        await adapter.start()
        await until(lambda: adapter.feed.resyncs == 1)
        await pbx.stream(body[:cut])
        pbx.drop()
        pbx.advance(body[cut_frame_start:resume])  # Dan hangs up while nobody listens
        await until(lambda: adapter.feed.resyncs == 2)
        await pbx.stream(body[resume:])
        await adapter.connection.request({"Action": "Ping"})  # all streamed frames handled
        await adapter.stop()
        await consumers.stop()

    assert Counter(event.record.linkedid for event in ended) == {CARA: 1, DAN: 1}
    with sessions() as session:
        stored = {call.linkedid: call for call in list_calls(session, server="pbx-test")}
    assert set(stored) == {CARA, DAN}

    # | call | what happened                        | outcome  | agent | data_gap |
    # | Cara | talks across the gap, hangs up later | answered | Alice | yes      |
    # | Dan  | hangs up in the queue during the gap | exited   | -     | yes      |
    cara, dan = stored[CARA], stored[DAN]
    assert (cara.caller_name, cara.outcome, cara.agent, cara.data_gap) == (
        "Cara Customer",
        "answered",
        "Alice",
        True,
    )
    assert (dan.caller_name, dan.outcome, dan.agent, dan.data_gap) == (
        "Dan Customer",
        "exited",
        None,
        True,
    )
    # Dan's call is closed with what was known when the link dropped, on the PBX's clock.
    assert cara.started_at < dan.started_at <= dan.ended_at < cara.ended_at
    assert [(v.queue, v.outcome) for v in dan.queue_visits] == [("support", "exited")]

    # Cara's call saw its end after the reconnect: apart from the flag, it is what an
    # uninterrupted replay of the same bytes says.
    reference = replayed(body)[CARA]
    assert replace(cara, data_gap=False) == reference


async def test_the_resync_reports_only_channels_still_up(sessions: sessionmaker[Session]) -> None:
    _, body = split_capture(CAPTURE.read_bytes())
    *_, resume = cut_points(body)
    async with AmiServer() as pbx:
        pbx.advance(body[:resume])
        listed = [
            frame
            for frame in frame_spans(b"".join(pbx.state.core_show_channels("x")))
            if frame[2].get("Event") == "CoreShowChannel"
        ]
    assert {f["Linkedid"] for _, _, f in listed} == {CARA}
    assert len(listed) == 4  # the caller's Local pair and the agent's


async def test_a_refused_resync_is_reported_and_the_events_still_flow(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    _, body = split_capture(CAPTURE.read_bytes())
    async with AmiServer() as pbx:
        pbx.refuse["CoreShowChannels"] = "Permission denied"
        bus = Bus()
        consumers = wire_consumers(bus, sessions, Settings(), live=True)
        await consumers.start()
        adapter = LiveAdapter(pbx.target, server="pbx-test", bus=bus)
        await adapter.start()
        await until(lambda: adapter.feed.failed_resyncs == 1)
        await pbx.stream(body)
        await adapter.connection.request({"Action": "Ping"})
        await adapter.stop()
        await consumers.stop()

    assert adapter.feed.resyncs == 0
    assert "Asterisk refused CoreShowChannels: Permission denied" in caplog.text
    with sessions() as session:
        assert {call.linkedid for call in list_calls(session)} == {CARA, DAN}


LOAD = FIXTURES / "ami" / "load_realistic" / "ami.raw.gz"


@pytest.mark.slow
async def test_a_disconnect_in_a_busy_hour_keeps_one_record_per_call() -> None:
    """400 callers over six minutes; the link drops for three seconds of PBX time.

    | call seen                          | record                                  |
    | only before the cut                | exactly as an uninterrupted replay      |
    | only after the reconnect           | exactly as an uninterrupted replay      |
    | on both sides of the gap           | one record, flagged data_gap            |
    | only inside the gap                | none: nothing of it reached the adapter |
    """
    _, body = split_capture(gzip.decompress(LOAD.read_bytes()))
    spans = frame_spans(body)
    cut_index = len(spans) * 2 // 5
    cut_start, cut_end, _ = spans[cut_index]
    gap_ends = float(next(f["Timestamp"] for *_, f in spans[cut_index:] if "Timestamp" in f)) + 3
    resume_index = next(
        i
        for i, (*_, f) in enumerate(spans)
        if i > cut_index and float(f.get("Timestamp", 0)) > gap_ends
    )
    seen_before, seen_after, in_gap = set(), set(), set()
    for index, (*_, frame) in enumerate(spans):
        linkedid = frame.get("Linkedid")
        if linkedid is None:
            continue
        if index < cut_index:
            seen_before.add(linkedid)
        elif index >= resume_index:
            seen_after.add(linkedid)
        else:
            in_gap.add(linkedid)
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)

    async with AmiServer(rng=random.Random(4), max_chunk=4096) as pbx:
        adapter = LiveAdapter(pbx.target, server="pbx-test", bus=bus, first_retry=0.01)
        await adapter.start()
        await until(lambda: adapter.feed.resyncs == 1)
        await pbx.stream(body[: (cut_start + cut_end) // 2])
        pbx.drop()
        pbx.advance(body[cut_start : spans[resume_index][0]])
        await until(lambda: adapter.feed.resyncs == 2, timeout=60)
        await pbx.stream(body[spans[resume_index][0] :])
        await adapter.connection.request({"Action": "Ping"}, timeout=60)
        await adapter.stop()

    counts = Counter(event.record.linkedid for event in ended)
    live = {event.record.linkedid: event.record for event in ended}
    reference = replayed(body)
    assert len(reference) == 400
    assert set(counts.values()) == {1}
    assert set(live) == seen_before | seen_after
    untouched = (seen_before - seen_after - in_gap) | (seen_after - seen_before - in_gap)
    assert {linkedid for linkedid in untouched if live[linkedid] != reference[linkedid]} == set()
    straddling = seen_before & (seen_after | in_gap)
    assert straddling
    assert all(live[linkedid].data_gap for linkedid in straddling)
    assert not any(live[linkedid].data_gap for linkedid in untouched)
