"""The writer process: same rows as writing in place, drained on stop, retried on failure,
and gone when the process that started it is killed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.service import list_agent_states, list_calls
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.record_writer import RecordWriter, RetryingStore, ThreadedRecordWriter
from callcenter.cti.writer_process import ProcessRecordWriter, writer_for
from callcenter.db import make_engine, make_sessionmaker
from callcenter.events import CallEnded
from callcenter.settings import Settings
from callcenter.wiring import wire_consumers
from tests.cti.captures import capture_bytes, store_load_capture
from tests.kpi.calls import ROLLUPS

ROOT = Path(__file__).resolve().parents[2]


def test_the_writer_process_stores_the_same_rows_as_writing_in_place(
    sessions: sessionmaker[Session],
) -> None:
    in_child = store_load_capture(sessions, ProcessRecordWriter, batch=37)
    with sessions() as session:
        calls, states = list_calls(session), list_agent_states(session)
    in_place = store_load_capture(sessions, RecordWriter, batch=500)
    with sessions() as session:
        assert list_calls(session) == calls
        assert list_agent_states(session) == states
    assert isinstance(in_child.writer, ProcessRecordWriter) and in_place.writer is not None
    assert in_child.writer.written_calls == in_place.writer.written_calls == 400
    assert in_child.writer.written_states == len(states) > 0
    assert not in_child.writer.process.is_alive()


async def test_draining_waits_until_the_child_wrote_every_batch(
    sessions: sessionmaker[Session],
) -> None:
    bus = Bus()
    writer = ProcessRecordWriter(bus, sessions, 25, ROLLUPS)
    pipeline = Pipeline(server="pbx", bus=bus)
    pipeline.feed_bytes(capture_bytes("load_realistic"))
    assert isinstance(writer, ProcessRecordWriter)
    async with asyncio.timeout(60):
        await writer.drain()
    handed_over = writer.written_calls
    with sessions() as session:
        assert len(list_calls(session)) == handed_over > 0
    pipeline.close(end_open_calls=True)
    writer.close()  # the rest: flushed, written, then the child exits
    assert writer.written_calls == 400
    with sessions() as session:
        assert len(list_calls(session)) == 400
    assert writer.process.exitcode == 0


def test_a_batch_that_fails_is_written_in_front_of_the_next_one(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    """The child's store, run here so that the test can make the database refuse once."""
    bus = Bus()
    ended: list[CallEnded] = []
    bus.subscribe(CallEnded, ended.append)
    replay = Pipeline(server="pbx", bus=bus)
    replay.feed_bytes(capture_bytes("load_realistic"))
    replay.close(end_open_calls=True)
    calls = [event.record for event in ended]
    half = len(calls) // 2
    failures = {"left": 1}

    def refuse_once(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("INSERT INTO calls") and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("disk full")

    event.listen(engine, "before_cursor_execute", refuse_once)
    try:
        store = RetryingStore(sessions, ROLLUPS)
        first = store.write(calls[:half], [], [], 1)
        second = store.write(calls[half:], [], [], 2)
    finally:
        event.remove(engine, "before_cursor_execute", refuse_once)
    assert first[:2] == ("failed", 1) and "disk full" in first[-1]
    assert second == ("written", 2, len(calls), 0)
    assert store.failed_counts() == (0, 0, 0)
    with sessions() as session:
        assert len(list_calls(session)) == len(calls) == 400


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
async def test_a_stop_signal_reaching_the_writer_process_does_not_lose_the_last_batch(
    sessions: sessionmaker[Session], stop_signal: signal.Signals
) -> None:
    """A terminal's Ctrl-C goes to the whole process group, a service manager's SIGTERM to
    every process of the service; the parent's stop ends the child."""
    bus = Bus()
    writer = ProcessRecordWriter(bus, sessions, 10_000, ROLLUPS)
    pipeline = Pipeline(server="pbx", bus=bus)
    assert isinstance(writer, ProcessRecordWriter) and writer.process.pid is not None
    stream = capture_bytes("load_realistic")
    pipeline.feed_bytes(stream[: len(stream) // 2])
    async with asyncio.timeout(60):
        await writer.drain()  # the child has answered: it is past its start-up
    assert writer.written_calls > 0
    os.kill(writer.process.pid, stop_signal)
    pipeline.feed_bytes(stream[len(stream) // 2 :])
    pipeline.close(end_open_calls=True)
    writer.close()
    assert writer.written_calls == 400
    assert writer.process.exitcode == 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite://", ThreadedRecordWriter),
        ("sqlite:///:memory:", ThreadedRecordWriter),
        ("sqlite:///{tmp}/calls.db", ProcessRecordWriter),
    ],
)
def test_only_a_database_another_process_can_open_gets_the_writer_process(
    tmp_path: Path, url: str, expected: type[RecordWriter]
) -> None:
    engine = make_engine(url.format(tmp=tmp_path))
    try:
        assert writer_for(make_sessionmaker(engine)) is expected
    finally:
        engine.dispose()
    assert writer_for(None) is ThreadedRecordWriter


def test_a_live_pbx_is_written_from_a_child_process_on_a_database_file(
    sessions: sessionmaker[Session],
) -> None:
    consumers = wire_consumers(Bus(), sessions, Settings(), live=True)
    assert isinstance(consumers.records, ProcessRecordWriter)
    consumers.records.close()
    assert not consumers.records.process.is_alive()


PARENT = """
import sys, time
from callcenter.bus import Bus
from callcenter.cti.writer_process import ProcessRecordWriter
from callcenter.db import make_engine, make_sessionmaker
from callcenter.events import CallEnded

writer = ProcessRecordWriter(Bus(), make_sessionmaker(make_engine(sys.argv[1])))
print(writer.process.pid, flush=True)
time.sleep(600)
"""


def _running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting for a parent to reap it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1]


def test_killing_the_parent_ends_the_writer_process(database_url: str) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, database_url], cwd=ROOT, stdout=subprocess.PIPE, text=True
    ) as parent:
        try:
            assert parent.stdout is not None
            child = int(parent.stdout.readline())
            assert _running(child)
            os.kill(parent.pid, signal.SIGKILL)
            parent.wait()
            deadline = time.monotonic() + 30  # generous: the child notices at its next read
            while _running(child) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not _running(child)
        finally:
            if parent.poll() is None:
                parent.kill()
