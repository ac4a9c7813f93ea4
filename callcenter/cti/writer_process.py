"""Writing finished records in a separate, niced process (live adapter on a shared database).

The web process runs the CTI adapter, the agent consoles and the wallboard on one event loop;
every millisecond a writer thread holds the GIL there (ORM work for calls, agent states,
wrap-ups and interval rollups) is a millisecond a screen pop may wait. `ProcessRecordWriter`
hands its batches to a child process instead: the records are frozen dataclasses, pickled by
a sender thread (never on the loop) onto a pipe; the child writes each batch in one
transaction and answers with what it wrote. The child runs at a lower priority (nice 10), so
the operating system favours the web app, the PBX and the consoles over it.

Guarantees, as ThreadedRecordWriter's: batches are written in the order handed over; a
batch that fails is kept by the child and written in front of the next one; `drain` and
`close` wait until every batch handed over is written, and what still fails at close is
logged as lost with its count. The child exits when the parent goes away (its pipe from the
parent reaches end of file), so a killed web process leaves no writer behind.

Only for databases another process can open (a SQLite file, a server); an in-memory SQLite
database lives in one process, and there `writer_for` picks the thread writer.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.calls.store_listeners import EndedCallsListener, StoreListener
from callcenter.cti.record_writer import (
    RecordWriter,
    RetryingStore,
    ThreadedRecordWriter,
    log_lost,
)
from callcenter.db import transaction

log = logging.getLogger(__name__)

# The child starts from a fork server that already imported the writer's modules
# (SQLAlchemy, the models): a fresh child is ready in milliseconds and never inherits the
# web process's threads or sockets, which a plain fork would copy mid-flight.
WRITER_NICENESS = 10
# Seconds the child goes on after a SIGTERM, waiting for the parent's last batches and stop.
TERM_GRACE_S = 30.0


def shareable(sessions: sessionmaker[Session]) -> str | None:
    """The URL a child process can open for `sessions`' database, or None (in-memory SQLite)."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        return None
    url = bind.url
    if url.get_backend_name() == "sqlite" and (
        url.database in (None, "", ":memory:") or "mode=memory" in str(url)
    ):
        return None
    return url.render_as_string(hide_password=False)


def writer_for(sessions: sessionmaker[Session] | None) -> type[RecordWriter]:
    """The live adapter's writer: a child process where the database can be shared."""
    if sessions is not None and shareable(sessions) is not None:
        return ProcessRecordWriter
    return ThreadedRecordWriter


def prepare_writer_processes() -> None:
    """Start the fork server the writer processes come from (a second or so), so that the
    next writer starts at once: a standby `cti run` does it while it waits for its lease."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    forkserver.ensure_running()


class ProcessRecordWriter(RecordWriter):
    """A RecordWriter whose batches are written by a child process, in order.

    `written_calls` and `written_states` count what the child reports written. With
    `after_calls` the child also writes what ended calls leave (the CRM's history), each
    batch's after the batch is stored (`writes_history`)."""

    def __init__(
        self,
        bus: Bus,
        sessions: sessionmaker[Session],
        batch_size: int = 500,
        after_store: Sequence[StoreListener] = (),
        after_calls: EndedCallsListener | None = None,
    ) -> None:
        url = shareable(sessions)
        if url is None:
            raise ValueError("an in-memory database cannot be written from another process")
        super().__init__(bus, sessions, batch_size, after_store)
        self.writes_history = after_calls is not None
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        batches_in, self._batches = context.Pipe(duplex=False)
        self._answers, answers_out = context.Pipe(duplex=False)
        self.process = context.Process(
            target=serve,
            args=(url, tuple(after_store), after_calls, batches_in, answers_out),
            name="record-writer",
            daemon=True,
        )
        self.process.start()
        # Only the child keeps its ends: when either side dies, the other reads end of file.
        batches_in.close()
        answers_out.close()
        self._outbox: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._handed = 0  # batches handed over (sequence numbers 1, 2, ...)
        self._answered = 0
        self._waiting: list[tuple[int, Future[None]]] = []
        self._stopped: Future[tuple[int, int, int, int]] = Future()
        self._closed = False
        self._sender = threading.Thread(target=self._send, name="record-writer-send", daemon=True)
        self._receiver = threading.Thread(
            target=self._receive, name="record-writer-answers", daemon=True
        )
        self._sender.start()
        self._receiver.start()

    def flush(self) -> None:
        """Hand the buffered records to the writer process; returns at once."""
        if not self._buffered:
            return
        if self._closed:
            RecordWriter.flush(self)  # after close: no child any more, write in place
            return
        with self._counts:
            self._handed += 1
            sequence = self._handed
        self._outbox.put(("batch", sequence, *self._take()))

    def _send(self) -> None:
        """The sender thread: pickles and writes each message (a full pipe blocks only it)."""
        while True:
            message = self._outbox.get()
            try:
                self._batches.send(message)
            except OSError:
                log.error("the record writer process is gone; %s not handed over", message[0])
                self._answer_everything()
                return
            if message[0] == "stop":
                return

    def _receive(self) -> None:
        """The answers thread: counts what the child wrote, logs what failed."""
        while True:
            try:
                answer = self._answers.recv()
            except (EOFError, OSError):
                self._answer_everything()
                return
            kind = answer[0]
            if kind == "written":
                _, sequence, calls, states = answer
                with self._counts:
                    self.written_calls += calls
                    self.written_states += states
                self._answer(sequence)
            elif kind == "failed":
                _, sequence, calls, states, error = answer
                log.error(
                    "writing %d calls and %d agent states failed (%s); retrying with the next "
                    "batch",
                    calls,
                    states,
                    error,
                )
                self._answer(sequence)
            elif kind == "history failed":
                _, kept, error = answer
                log.error(
                    "writing the history of %d ended calls failed (%s); retrying with the "
                    "next batch",
                    kept,
                    error,
                )
            elif kind == "stopped" and not self._stopped.done():
                self._stopped.set_result(tuple(answer[1:]))

    def _answer(self, sequence: int) -> None:
        with self._counts:
            self._answered = max(self._answered, sequence)
            done = [future for wanted, future in self._waiting if wanted <= sequence]
            self._waiting = [(w, f) for w, f in self._waiting if w > sequence]
        for future in done:
            future.set_result(None)

    def _answer_everything(self) -> None:
        """The child is gone: nobody will answer; release whoever waits."""
        self._answer(self._handed)
        if not self._stopped.done():
            self._stopped.set_exception(RuntimeError("the record writer process ended"))

    def _handed_over(self) -> Future[None]:
        """A future done when every batch handed over so far is answered."""
        future: Future[None] = Future()
        with self._counts:
            if self._answered >= self._handed:
                future.set_result(None)
            else:
                self._waiting.append((self._handed, future))
        return future

    async def drain(self) -> None:
        """Wait, without blocking the loop, until every batch handed over so far is written."""
        self.flush()
        await asyncio.wrap_future(self._handed_over())

    def close(self) -> None:
        """Hand over what is buffered, wait for the child to write it and exit, stop listening."""
        if self._closed:
            return
        self.flush()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._outbox.put(("stop",))
        try:
            calls, states, wrap_ups, history = self._stopped.result()
            log_lost(calls, states, wrap_ups)
            log_history_lost(history)
        except RuntimeError:
            log.error("the record writer process ended before writing everything handed to it")
        self._closed = True
        self._sender.join()
        self._receiver.join()
        self.process.join()
        self._batches.close()
        self._answers.close()


def serve(
    url: str,
    after_store: Sequence[StoreListener],
    after_calls: EndedCallsListener | None,
    batches: Connection,
    answers: Connection,
) -> None:
    """The child: write each batch received, answer, until told to stop or the parent is gone."""
    from callcenter.db import make_engine, make_sessionmaker

    os.nice(WRITER_NICENESS)
    # Ctrl-C in a terminal reaches the whole process group, and a service manager's stop
    # (systemd's default KillMode, `timeout`, `docker stop`) sends SIGTERM to every process
    # of the service at once: this process too. Dying then would lose the last batches, the
    # stop's records of the calls in flight among them. The parent decides when it ends: a
    # "stop" after the last batch, or end of file on the pipe when the parent is gone. After
    # a SIGTERM it waits for that at most TERM_GRACE_S (a parent stuck elsewhere must not
    # keep it forever).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ending: list[float] = []
    signal.signal(signal.SIGTERM, lambda *_: ending.append(time.monotonic() + TERM_GRACE_S))
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    writer = RetryingStore(sessions, after_store)
    history = EndedCallsAfter(sessions, after_calls)

    def write(
        calls: list[CallRecord], states: list[Any], wrap_ups: list[Any], sequence: int = 0
    ) -> tuple[Any, ...]:
        answer = writer.write(calls, states, wrap_ups, sequence)
        error = history.follow(calls, stored=answer[0] == "written")
        if error is not None:
            answers.send(("history failed", len(history.kept), error))
        return answer

    try:
        while True:
            if not batches.poll(1.0):
                if ending and time.monotonic() >= ending[0]:
                    log.error("record writer: no stop from the web process %.0f s after "
                              "SIGTERM; ending", TERM_GRACE_S)  # fmt: skip
                    write([], [], [])
                    return
                continue
            try:
                message = batches.recv()
            except (EOFError, OSError):
                write([], [], [])  # the parent is gone: one last try for a failed batch
                return
            if message[0] == "stop":
                write([], [], [])  # one last attempt for a batch that failed before
                answers.send(("stopped", *writer.failed_counts(), len(history.kept)))
                return
            _, sequence, calls, states, wrap_ups = message
            answers.send(write(calls, states, wrap_ups, sequence))
    except (BrokenPipeError, EOFError):
        return  # the parent went away while we answered
    finally:
        engine.dispose()


class EndedCallsAfter:
    """In the child: hands each stored batch's ended calls to the listener, in a transaction
    of their own. Calls whose batch failed wait for it; calls the listener failed on are kept
    and handed again, in front of the next batch's."""

    def __init__(
        self, sessions: sessionmaker[Session], listener: EndedCallsListener | None
    ) -> None:
        self._sessions = sessions
        self._listener = listener
        self.kept: list[CallRecord] = []

    def follow(self, calls: Sequence[CallRecord], *, stored: bool) -> str | None:
        """After a batch's write: the error the listener failed with, or None."""
        if self._listener is None:
            return None
        self.kept += calls
        if not stored or not self.kept:
            return None
        batch, self.kept = self.kept, []
        try:
            with transaction(self._sessions) as session:
                self._listener.calls_ended(session, batch)
        except Exception as error:
            self.kept = batch
            return repr(error)
        return None


def log_history_lost(calls: int) -> None:
    """At close: the ended calls whose history could not be written (nothing, normally)."""
    if calls:
        log.error("the history of %d ended calls could not be written and is lost", calls)
