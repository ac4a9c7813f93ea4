"""Who listens on the bus: call records, customer history and the PBX's queue thresholds,
wired alike for every command.

`serve` (and so `demo`), `cti run` and `ami replay` all call `wire_consumers`, so a call
that ends is stored and lands in its customer's history whichever of them saw it. The
pipeline and the live adapter only publish.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.cti.record_writer import RecordWriter
from callcenter.cti.writer_process import ProcessRecordWriter, writer_for
from callcenter.events import CallEnded
from callcenter.queues.service_levels import PbxServiceLevels
from callcenter.settings import Settings
from crm.interactions.service import HistoryResult
from crm.interactions.tasks import CallHistory, HistoryOfEndedCalls, history_policy
from kpi.rollups.keeping import rollup_listener
from kpi.thresholds import thresholds_from_settings


class Consumers:
    """The writing consumers of one bus: `records` (None when nothing stores calls), the
    CRM `history` and the queues' `service_levels` as the PBX reports them.

    Replayed (`live=False`): everything is written in the publisher's thread, in batches,
    and `close()` writes the rest. Live: call `start()` inside the running loop before the
    PBX link starts and `stop()` after it stopped; records are handed to a writer process or
    thread at least every `flush_interval` seconds and the history is written off the loop.
    """

    def __init__(
        self,
        bus: Bus,
        records: RecordWriter | None,
        history: CallHistory,
        service_levels: PbxServiceLevels,
        *,
        live: bool,
        batch_size: int,
        flush_interval: float,
        store_history: bool = True,
    ) -> None:
        self.bus = bus
        self.store_history = store_history
        self.records = records
        self.history = history
        self.service_levels = service_levels
        self._unsubscribe_levels = service_levels.subscribe(bus)
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.history_written = HistoryResult()
        self._ended: list[CallRecord] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: Callable[[], None] | None = None
        if not live:
            self._unsubscribe = bus.subscribe(CallEnded, self._on_call_ended)

    async def start(self) -> None:
        """Live: start the history (unless the record writer's process writes it) and the
        periodic hand-over of records."""
        if self.store_history and not (self.records is not None and self.records.writes_history):
            self._tasks.append(asyncio.create_task(self.history.run(self.bus), name="crm-history"))
        if self.records is not None:
            self._tasks.append(asyncio.create_task(self._flush_periodically(), name="flusher"))
        await asyncio.sleep(0)  # let the history subscribe before anything can publish

    async def stop(self) -> None:
        """Live: write everything handed over, then stop (the history writes what it queued)."""
        for task in reversed(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.records is not None:
            # The batches handed over so far, waited for off the loop; close() then only
            # waits for the last one.
            await self.records.drain()
            self.records.close()
        self._unsubscribe_levels()
        await self.service_levels.close()

    def flush(self) -> None:
        """Write (or hand over) what is buffered now."""
        if self.records is not None:
            self.records.flush()
        if self._ended:
            # After the records: a history entry is never about a call not stored yet.
            ended, self._ended = self._ended, []
            written = self.history.record(ended)
            self.history_written.interactions += written.interactions
            self.history_written.callbacks_opened += written.callbacks_opened
            self.history_written.callbacks_closed += written.callbacks_closed

    def close(self) -> None:
        """Replayed: write the rest and stop listening."""
        if self.records is not None:
            self.records.close()
        self.flush()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._unsubscribe_levels()

    def _on_call_ended(self, event: CallEnded) -> None:
        self._ended.append(event.record)
        if len(self._ended) >= self.batch_size:
            self.flush()

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval)
            # Hands the batch to the writer, which logs and retries a failed one.
            assert self.records is not None
            self.records.flush()


def wire_consumers(
    bus: Bus,
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    live: bool,
    store_records: bool = True,
    store_history: bool = True,
    batch_size: int = 500,
    flush_interval: float = 1.0,
) -> Consumers:
    """Subscribe what writes the bus's records and history to the database.

    Calls, agent intervals and wrap-ups are stored in batches (live: by a writer process, or
    a thread for an in-memory database), kpi's queue rollups kept in each batch's transaction;
    ended calls become interactions and abandons callbacks (live, by the writer process after
    each batch it stored, or a task off the event loop); each queue's service-level
    threshold, as the PBX reports it at every resync, is kept (`service_levels`) and stored.
    `store_records=False` when nothing in this process publishes records (a web app without
    a PBX): no idle writer. `store_history=False` where another process writes the history
    and the PBX's thresholds (a web app with several processes: the active `cti run`); the
    thresholds are still followed for this process's board.
    """
    after_store = (rollup_listener(thresholds_from_settings(settings)),)
    records: RecordWriter | None = None
    if store_records:
        writer = writer_for(sessions) if live else RecordWriter
        if writer is ProcessRecordWriter and store_history:
            # The history too, after each batch and off this process's event loop.
            history = HistoryOfEndedCalls(history_policy(settings))
            records = ProcessRecordWriter(bus, sessions, batch_size, after_store, history)
        else:
            records = writer(bus, sessions, batch_size, after_store)
    return Consumers(
        bus,
        records,
        CallHistory(sessions, settings),
        PbxServiceLevels(sessions, store=store_history),
        live=live,
        batch_size=batch_size,
        flush_interval=flush_interval,
        store_history=store_history,
    )
