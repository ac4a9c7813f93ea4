"""A closed call leaves nothing for the garbage collector: its memory goes the moment the
tracker lets it go, with no reference cycle that only a full collection (a pause of the event
loop, and of every screen pop) would free."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from callcenter.bus import Bus
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.tracker_state import TrackedCall
from callcenter.events import CallEnded, WrapUpEnded
from tests.cti.captures import capture_bytes


@pytest.fixture
def no_cyclic_collection() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_the_calls_of_a_busy_hour_are_freed_without_the_collector(
    no_cyclic_collection: None,
) -> None:
    data = capture_bytes("load_realistic")
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    pipeline = Pipeline(server="pbx", bus=bus)
    half = data.index(b"\r\n\r\n", len(data) // 2) + 4
    pipeline.feed_bytes(data[:half])
    in_flight = [weakref.ref(call) for call in pipeline.tracker.calls.values()]
    assert len(in_flight) > 5
    pipeline.feed_bytes(data[half:])
    pipeline.close(end_open_calls=True)

    assert not pipeline.tracker.calls
    assert [ref for ref in in_flight if ref() is not None] == []
    # Nor is any call of the hour left waiting for a collection (in a cycle, unreachable).
    assert [o for o in gc.get_objects() if isinstance(o, TrackedCall)] == []
    assert len(ended) > len(in_flight)


def test_a_wrap_up_after_the_record_is_out_still_names_its_call_and_visit() -> None:
    from tests.cti.test_wrap_up import CALL, WRAP_UP, _stream

    bus = Bus()
    wrap_ups: list[WrapUpEnded] = []
    bus.subscribe(WrapUpEnded, wrap_ups.append)
    pipeline = Pipeline(server="pbx", bus=bus)
    pipeline.feed_bytes(_stream(CALL))
    gc.collect()  # the call is closed and gone; its visit lives on in the agent's wrap-up
    pipeline.feed_bytes(_stream(WRAP_UP))
    pipeline.close()
    assert [(w.record.linkedid, w.record.seq, w.record.queue) for w in wrap_ups] == [
        ("100.1", 1, "support")
    ]
