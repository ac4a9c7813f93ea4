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

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import AgentStateRecord, CallRecord, WrapUpRecord
from callcenter.calls.service import store_agent_states, store_calls
from callcenter.calls.store_listeners import StoreListener
from callcenter.calls.wrap_up_seconds import store_wrap_ups
from callcenter.db import transaction
from callcenter.events import AgentStateClosed, CallEnded, WrapUpEnded

log = logging.getLogger(__name__)


def store_batch(
    sessions: sessionmaker[Session],
    calls: Sequence[CallRecord],
    states: Sequence[AgentStateRecord],
    wrap_ups: Sequence[WrapUpRecord],
    after_store: Sequence[StoreListener],
) -> tuple[int, int]:
    """One batch in one transaction, `after_store` keeping what derives from it (kpi's
    rollups); (calls, agent states) written; raises if it failed.

    Wrap-ups go last: the call each one follows may be in this very batch."""
    with transaction(sessions) as session:
        written = (
            store_calls(session, calls, after_store=after_store),
            store_agent_states(session, states),
        )
        store_wrap_ups(session, wrap_ups, after_store=after_store)
        return written


class RecordWriter:
    """Buffers finished calls, closed agent intervals and late wrap-ups; writes a batch per
    transaction.

    Subscribed to CallEnded, AgentStateClosed and WrapUpEnded. `flush` writes in the calling
    thread; a batch that fails to write stays buffered and is retried on the next flush, so a
    database hiccup loses nothing.
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

    def _take(self) -> tuple[list[CallRecord], list[AgentStateRecord], list[WrapUpRecord]]:
        taken = self.calls, self.states, self.wrap_ups
        self.calls, self.states, self.wrap_ups = [], [], []
        return taken

    def _store(
        self,
        calls: Sequence[CallRecord],
        states: Sequence[AgentStateRecord],
        wrap_ups: Sequence[WrapUpRecord],
    ) -> tuple[int, int]:
        """One batch in one transaction (its own session); raises if it could not be written."""
        return store_batch(self._sessions, calls, states, wrap_ups, self._after_store)

    def flush(self) -> None:
        """Write the buffered records now."""
        if not self._buffered:
            return
        calls, states, wrap_ups = self.calls, self.states, self.wrap_ups
        try:
            written_calls, written_states = self._store(calls, states, wrap_ups)
        except Exception:
            log.exception("writing %d calls and %d agent states failed", len(calls), len(states))
            return
        self._take()
        self.written_calls += written_calls
        self.written_states += written_states

    def close(self) -> None:
        """Write what is buffered and stop listening."""
        self.flush()
        for unsubscribe in self._unsubscribe:
            unsubscribe()


class ThreadedRecordWriter(RecordWriter):
    """A RecordWriter whose batches are written by one background thread, in order.

    For a live adapter: the event loop that feeds the tracker only hands the batch over, so
    a slow database never delays the PBX's events (nor anything else on that loop). A
    single writer thread keeps batches in the order they were handed over. A batch that
    fails is logged and kept by the writer thread, and written again in front of the next
    batch; whatever still fails when the writer closes is logged as lost, with its count.
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
        self._counts = threading.Lock()
        self._last: Future[None] | None = None
        # Touched only by the writer thread: batches that failed, retried first.
        self._failed_calls: list[CallRecord] = []
        self._failed_states: list[AgentStateRecord] = []
        self._failed_wrap_ups: list[WrapUpRecord] = []
        self._closed = False

    def flush(self) -> None:
        """Hand the buffered records to the writer thread; returns at once."""
        if not self._buffered:
            return
        if self._closed:
            super().flush()  # after close: nothing runs in the background any more
            return
        self._last = self._thread.submit(self._write, *self._take())

    def _write(
        self,
        calls: list[CallRecord],
        states: list[AgentStateRecord],
        wrap_ups: list[WrapUpRecord],
    ) -> None:
        if self._failed_calls or self._failed_states or self._failed_wrap_ups:
            calls, states = self._failed_calls + calls, self._failed_states + states
            wrap_ups = self._failed_wrap_ups + wrap_ups
            self._failed_calls, self._failed_states, self._failed_wrap_ups = [], [], []
        if not calls and not states and not wrap_ups:
            return
        try:
            written_calls, written_states = self._store(calls, states, wrap_ups)
        except Exception:
            log.exception(
                "writing %d calls and %d agent states failed; retrying with the next batch",
                len(calls),
                len(states),
            )
            self._failed_calls, self._failed_states = calls, states
            self._failed_wrap_ups = wrap_ups
            return
        with self._counts:
            self.written_calls += written_calls
            self.written_states += written_states

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
        if self._failed_calls or self._failed_states or self._failed_wrap_ups:
            log.error(
                "%d calls, %d agent states and %d wrap-ups could not be written and are lost",
                len(self._failed_calls),
                len(self._failed_states),
                len(self._failed_wrap_ups),
            )
