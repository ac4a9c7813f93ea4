"""Writing finished records: in the caller's thread (replay) or a writer thread (live).

(The live adapter on a database file or server writes from a child process instead:
callcenter.cti.writer_process.)

Both writers buffer CallEnded, AgentStateClosed and WrapUpEnded records and write them in
batches, one transaction per batch, idempotently (by (server, linkedid) for calls). In a batch,
calls are written before the wrap-ups that follow them, and the queue interval rollups are
kept in the same transaction. The records are frozen dataclasses, so a batch can be handed to
another thread while the tracker goes on in its own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import AgentStateRecord, CallRecord, WrapUpRecord
from callcenter.calls.service import store_agent_states, store_calls
from callcenter.calls.store_listeners import StoreListener
from callcenter.calls.wrap_up_seconds import store_wrap_ups
from callcenter.db import transaction
from callcenter.events import AgentStateClosed, CallEnded, WrapUpEnded

log = logging.getLogger(__name__)

Batch = tuple[list[CallRecord], list[AgentStateRecord], list[WrapUpRecord]]


def store_batch(
    sessions: sessionmaker[Session],
    calls: Sequence[CallRecord],
    states: Sequence[AgentStateRecord],
    wrap_ups: Sequence[WrapUpRecord],
    after_store: Sequence[StoreListener] = (),
) -> tuple[int, int]:
    """One batch in one transaction, `after_store` keeping what derives from it in the same
    transaction (kpi's rollups: see callcenter.wiring); (calls, agent states) written;
    raises if it failed. The listeners are pickled for a writer process.

    Wrap-ups go last: the call each one follows may be in this very batch."""
    with transaction(sessions) as session:
        written = (
            store_calls(session, calls, after_store=after_store),
            store_agent_states(session, states),
        )
        store_wrap_ups(session, wrap_ups, after_store=after_store)
        return written


class RetryingStore:
    """Writes batches in order, one transaction each; a batch that fails is kept and written
    in front of the next one (a database hiccup loses nothing).

    Used by the writer thread and the writer process alike. `write` answers
    `("written", sequence, calls, agent states)` or
    `("failed", sequence, calls tried, agent states tried, error)`.
    """

    def __init__(
        self, sessions: sessionmaker[Session], after_store: Sequence[StoreListener] = ()
    ) -> None:
        self._sessions = sessions
        self._after_store = tuple(after_store)
        self._failed: Batch = ([], [], [])

    def failed_counts(self) -> tuple[int, int, int]:
        """Calls, agent states and wrap-ups kept from a failed batch, not yet written."""
        return len(self._failed[0]), len(self._failed[1]), len(self._failed[2])

    def write(
        self,
        calls: Sequence[CallRecord],
        states: Sequence[AgentStateRecord],
        wrap_ups: Sequence[WrapUpRecord],
        sequence: int = 0,
    ) -> tuple[Any, ...]:
        """Write what failed before, then this batch, in one transaction."""
        failed_calls, failed_states, failed_wrap_ups = self._failed
        all_calls, all_states = failed_calls + list(calls), failed_states + list(states)
        all_wrap_ups = failed_wrap_ups + list(wrap_ups)
        self._failed = ([], [], [])
        if not all_calls and not all_states and not all_wrap_ups:
            return ("written", sequence, 0, 0)
        try:
            written_calls, written_states = store_batch(
                self._sessions, all_calls, all_states, all_wrap_ups, self._after_store
            )
        except Exception as error:
            self._failed = (all_calls, all_states, all_wrap_ups)
            return ("failed", sequence, len(all_calls), len(all_states), repr(error))
        return ("written", sequence, written_calls, written_states)


class RecordWriter:
    """Buffers finished calls, closed agent intervals and late wrap-ups; writes a batch per
    transaction.

    Subscribed to CallEnded, AgentStateClosed and WrapUpEnded. `flush` writes in the calling
    thread; a batch that fails to write is kept and retried with the next one (RetryingStore),
    so a database hiccup loses nothing; what still fails at close is logged as lost.
    """

    def __init__(
        self,
        bus: Bus,
        sessions: sessionmaker[Session],
        batch_size: int = 500,
        after_store: Sequence[StoreListener] = (),
    ) -> None:
        self._sessions = sessions
        self._after_store = tuple(after_store)
        self.batch_size = max(1, batch_size)
        self.calls: list[CallRecord] = []
        self.states: list[AgentStateRecord] = []
        self.wrap_ups: list[WrapUpRecord] = []
        self.written_calls = 0
        self.written_states = 0
        # Whether this writer also writes the ended calls' history (a writer process does).
        self.writes_history = False
        self._counts = threading.Lock()
        self._retrying = RetryingStore(sessions, after_store)
        self._unsubscribe = (
            bus.subscribe(CallEnded, self._on_call),
            bus.subscribe(AgentStateClosed, self._on_state),
            bus.subscribe(WrapUpEnded, self._on_wrap_up),
        )

    @property
    def _buffered(self) -> int:
        return len(self.calls) + len(self.states) + len(self.wrap_ups)

    def _on_call(self, event: CallEnded) -> None:
        self.calls.append(event.record)
        if self._buffered >= self.batch_size:
            self.flush()

    def _on_state(self, event: AgentStateClosed) -> None:
        self.states.append(event.record)
        if self._buffered >= self.batch_size:
            self.flush()

    def _on_wrap_up(self, event: WrapUpEnded) -> None:
        self.wrap_ups.append(event.record)
        if self._buffered >= self.batch_size:
            self.flush()

    def _take(self) -> Batch:
        taken = self.calls, self.states, self.wrap_ups
        self.calls, self.states, self.wrap_ups = [], [], []
        return taken

    def _write(
        self,
        calls: list[CallRecord],
        states: list[AgentStateRecord],
        wrap_ups: list[WrapUpRecord],
    ) -> None:
        """Write a batch (after any that failed before); a failure is logged and kept."""
        answer = self._retrying.write(calls, states, wrap_ups)
        if answer[0] == "failed":
            _, _, tried_calls, tried_states, error = answer
            log.error(
                "writing %d calls and %d agent states failed (%s); retrying with the next batch",
                tried_calls,
                tried_states,
                error,
            )
            return
        with self._counts:
            self.written_calls += answer[2]
            self.written_states += answer[3]

    def flush(self) -> None:
        """Write the buffered records now."""
        if self._buffered:
            self._write(*self._take())

    async def drain(self) -> None:
        """Write what is buffered (the subclasses: wait until every batch handed over is)."""
        self.flush()

    def close(self) -> None:
        """Write what is buffered and stop listening."""
        self.flush()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._write([], [], [])  # one last attempt for a batch that failed before
        log_lost(*self._retrying.failed_counts())


class ThreadedRecordWriter(RecordWriter):
    """A RecordWriter whose batches are written by one background thread, in order.

    For a live adapter: the event loop that feeds the tracker only hands the batch over, so
    a slow database never delays the PBX's events (nor anything else on that loop). A
    single writer thread keeps batches in the order they were handed over; failures are
    retried as RecordWriter's are, in that thread.
    """

    def __init__(
        self,
        bus: Bus,
        sessions: sessionmaker[Session],
        batch_size: int = 500,
        after_store: Sequence[StoreListener] = (),
    ) -> None:
        super().__init__(bus, sessions, batch_size, after_store)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="record-writer")
        self._last: Future[None] | None = None
        self._closed = False

    def flush(self) -> None:
        """Hand the buffered records to the writer thread; returns at once."""
        if not self._buffered:
            return
        if self._closed:
            super().flush()  # after close: nothing runs in the background any more
            return
        self._last = self._thread.submit(self._write, *self._take())

    async def drain(self) -> None:
        """Wait, without blocking the loop, until every batch handed over so far is written."""
        self.flush()
        last = self._last
        if last is not None:
            await asyncio.wrap_future(last)

    def close(self) -> None:
        """Hand over what is buffered, wait for the writer thread, and stop listening."""
        if self._closed:
            return
        self.flush()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        # One last attempt for a batch that failed before (it has no next batch to ride).
        self._thread.submit(self._write, [], [], [])
        self._thread.shutdown(wait=True)
        self._closed = True
        log_lost(*self._retrying.failed_counts())


def log_lost(calls: int, states: int, wrap_ups: int) -> None:
    """At close: what a failed batch still held (nothing, normally)."""
    if calls or states or wrap_ups:
        log.error(
            "%d calls, %d agent states and %d wrap-ups could not be written and are lost",
            calls,
            states,
            wrap_ups,
        )
