"""Each queue's service-level threshold as its PBX reports it: kept in memory and stored.

Asterisk counts its own service level (`queue show`, QueueParams' ServicelevelPerf) with the
queue's `servicelevel` from queues.conf. Every resync lists it (QueueParams, published as
`QueueParamsReported`); `PbxServiceLevels` keeps the last one per queue for this process's
live consumers (the board) and stores it in `pbx_queues`, where reports and rollups read it
and from where the next start loads it. Which threshold a figure then uses (the queue
record's, else the PBX's, else the settings' fallback, else the default) is decided in one
place: `kpi.thresholds`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.events import QueueParamsReported
from callcenter.queues.service import (
    PbxServiceLevel,
    latest,
    note_pbx_queues,
    pbx_service_levels,
)

log = logging.getLogger(__name__)

LevelListener = Callable[[str], None]


class PbxServiceLevels:
    """Queue -> the PBX's service-level threshold, loaded from the database and following the
    bus; with `sessions`, what is reported is stored (off the event loop when one runs, in
    the order reported). `store=False` where another process stores them (several processes:
    the active `cti run`); they are still loaded from the database."""

    def __init__(
        self, sessions: sessionmaker[Session] | None = None, *, store: bool = True
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.levels: dict[str, PbxServiceLevel] = {}
        self._reported: dict[tuple[str, str], PbxServiceLevel] = {}
        self._listeners: list[LevelListener] = []
        self._unstored: list[PbxServiceLevel] = []
        self._unstored_lock = threading.Lock()
        self._writer: ThreadPoolExecutor | None = None
        self._writes: set[Future[None]] = set()

    def load(self) -> None:
        """What the database says (the last run's reports), before the PBX link starts."""
        if self.sessions is None:
            return
        with self.sessions() as session:
            stored = pbx_service_levels(session)
        for level in stored.values():
            self._reported[(level.server, level.queue)] = level
        self.levels = dict(stored)

    def subscribe(self, bus: Bus) -> Callable[[], None]:
        """Follow the PBX's reports; returns the function that stops it."""
        return bus.subscribe(QueueParamsReported, self.on_reported)

    def listen(self, listener: LevelListener) -> Callable[[], None]:
        """Call `listener(queue)` whenever a queue's PBX threshold changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def seconds(self) -> dict[str, float]:
        """Queue -> the PBX's threshold in seconds (queues without one left out)."""
        return {q: level.seconds for q, level in self.levels.items() if level.seconds is not None}

    def on_reported(self, event: QueueParamsReported) -> None:
        level = PbxServiceLevel(event.queue, event.server, event.service_level_s, event.at)
        self._reported[(event.server, event.queue)] = level
        before = self.levels.get(event.queue)
        now = latest(
            sorted(
                (known for known in self._reported.values() if known.queue == event.queue),
                key=lambda known: known.seen_at,
            )
        ).get(event.queue)
        if now is None:
            self.levels.pop(event.queue, None)
        else:
            self.levels[event.queue] = now
        self._store(level)
        if (before.seconds if before else None) != (now.seconds if now else None):
            for listener in list(self._listeners):
                listener(event.queue)

    def _store(self, level: PbxServiceLevel) -> None:
        if self.sessions is None or not self.store:
            return
        with self._unstored_lock:
            self._unstored.append(level)
            first = len(self._unstored) == 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._write()  # a replay: the publisher's thread writes, as the records
            return
        if first:  # one write for a resync's whole list
            loop.call_soon(self._hand_over)

    def _hand_over(self) -> None:
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="pbx-queues")
        future = self._writer.submit(self._write)
        self._writes.add(future)
        future.add_done_callback(self._writes.discard)

    def _write(self) -> None:
        with self._unstored_lock:
            levels, self._unstored = self._unstored, []
        if not levels or self.sessions is None:
            return
        try:
            with self.sessions() as session, session.begin():
                note_pbx_queues(session, levels)
        except Exception:
            log.exception("could not store the service levels the PBX reported; kept in memory")

    async def close(self) -> None:
        """Store what is reported and not stored yet, then stop the writer."""
        if self._writer is not None:
            writer, self._writer = self._writer, None
            await asyncio.to_thread(writer.shutdown, wait=True)
        self._write()
