"""The bus subscriber that writes ended calls into the CRM, each batch in its own session."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.db import transaction
from callcenter.events import CallEnded
from callcenter.settings import Settings
from crm.service_interactions import HistoryPolicy, HistoryResult, record_calls

log = logging.getLogger(__name__)

# Calls ending together (a burst after a PBX reconnect) are written in batches of this size.
_BATCH = 200


class CallHistory:
    """Writes `CallEnded` records as interactions and callbacks.

    Like any background job it takes plain records (never ORM objects) and opens its own
    session per batch; a failing batch is logged and the next one still runs.
    """

    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self._sessions = sessions
        self._policy = HistoryPolicy(
            region=settings.default_region,
            short_abandon_s=settings.short_abandon_s,
            callback_due_minutes=settings.callback_due_minutes,
        )

    def record(self, records: Sequence[CallRecord]) -> HistoryResult:
        """Write one batch in one transaction."""
        with transaction(self._sessions) as session:
            return record_calls(session, records, self._policy)

    def subscribe(self, bus: Bus) -> Callable[[], None]:
        """Handle each event as it is published, in the publisher's thread (replays, CLI)."""

        def handle(event: CallEnded) -> None:
            self.record([event.record])

        return bus.subscribe(CallEnded, handle)

    async def run(self, bus: Bus) -> None:
        """Drain `CallEnded` events in batches off the event loop until cancelled."""
        queue, unsubscribe = bus.queue(CallEnded)
        try:
            while True:
                batch = [await queue.get()]
                while len(batch) < _BATCH and not queue.empty():
                    batch.append(queue.get_nowait())
                await self._write(batch)
        finally:
            unsubscribe()
            # Events already queued when the app stops are still written.
            rest: list[CallEnded] = []
            while not queue.empty():
                rest.append(queue.get_nowait())
            if rest:
                with contextlib.suppress(Exception):
                    self.record([event.record for event in rest])

    async def _write(self, batch: list[CallEnded]) -> None:
        try:
            await asyncio.to_thread(self.record, [event.record for event in batch])
        except Exception:
            log.exception("could not write %d ended calls into the CRM history", len(batch))
