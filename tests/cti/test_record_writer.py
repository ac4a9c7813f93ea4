"""The threaded record writer: same rows as writing in place, in order, nothing lost on close."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.service import list_agent_states, list_calls
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.record_writer import RecordWriter, ThreadedRecordWriter
from tests.cti.captures import capture_bytes, store_load_capture
from tests.kpi.calls import ROLLUPS


def test_a_threaded_writer_stores_the_same_rows_as_writing_in_place(
    sessions: sessionmaker[Session],
) -> None:
    threaded = store_load_capture(sessions, ThreadedRecordWriter, batch=37)
    with sessions() as session:
        calls, states = list_calls(session), list_agent_states(session)
    in_place = store_load_capture(sessions, RecordWriter, batch=500)
    with sessions() as session:
        assert list_calls(session) == calls
        assert list_agent_states(session) == states
    assert threaded.writer is not None and in_place.writer is not None
    assert threaded.writer.written_calls == in_place.writer.written_calls == 400


def test_a_batch_that_fails_is_written_with_the_next_one(
    engine: Engine, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    failures = {"left": 1}

    def refuse_once(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("INSERT INTO calls") and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("disk full")

    event.listen(engine, "before_cursor_execute", refuse_once)
    try:
        with caplog.at_level(logging.ERROR, logger="callcenter.cti.record_writer"):
            pipeline = store_load_capture(sessions, ThreadedRecordWriter, batch=50)
    finally:
        event.remove(engine, "before_cursor_execute", refuse_once)
    assert "retrying with the next batch" in caplog.text
    assert pipeline.writer is not None and pipeline.writer.written_calls == 400
    with sessions() as session:
        assert len(list_calls(session)) == 400


async def test_draining_waits_for_every_batch_handed_over(
    sessions: sessionmaker[Session],
) -> None:
    bus = Bus()
    writer = ThreadedRecordWriter(bus, sessions, 25, ROLLUPS)
    pipeline = Pipeline(server="pbx", bus=bus)
    pipeline.feed_bytes(capture_bytes("load_realistic"))
    assert isinstance(writer, ThreadedRecordWriter)
    async with asyncio.timeout(60):
        await writer.drain()
    handed_over = writer.written_calls
    with sessions() as session:
        assert len(list_calls(session)) == handed_over > 0
    pipeline.close(end_open_calls=True)
    writer.close()
    assert writer.written_calls == 400
