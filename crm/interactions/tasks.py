"""The bus subscriber that writes ended calls into the CRM, each batch in its own session."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.db import transaction
from callcenter.events import CallEnded
from callcenter.settings import Settings
from crm.interactions.service import HistoryPolicy, HistoryResult, record_calls

log = logging.getLogger(__name__)

# Calls ending together (a burst after a PBX reconnect) are written in batches of this size.
_BATCH = 200
# How long the first call of a batch waits for others (history is not needed to the ms).
_LINGER_S = 0.5
# After a failed write (a locked or unreachable database) the batch is retried with the next
# one, or on its own after this pause, doubled after every failure up to the cap.
_RETRY_S = (0.5, 30.0)


def history_policy(settings: Settings) -> HistoryPolicy:
    """The history settings of `settings`."""
    return HistoryPolicy(
        region=settings.default_region,
        short_abandon_s=settings.short_abandon_s,
        callback_due_minutes=settings.callback_due_minutes,
        callback_queue=settings.callback_queue or settings.default_queue,
        site_zone=settings.time_zone,
    )


@dataclass(frozen=True, slots=True)
class HistoryOfEndedCalls:
    """The history as the live adapter's record writer process keeps it (an
    `EndedCallsListener`): each batch's ended calls, after the batch is stored.

    There, the CRM's queries and ORM work for a busy floor's calls run off the process that
    sends screen pops: a thread of that process would take its interpreter lock from the
    event loop for as long as each batch lasts."""

    policy: HistoryPolicy

    def calls_ended(self, session: Session, records: Sequence[CallRecord]) -> None:
        record_calls(session, records, self.policy)


class CallHistory:
    """Writes `CallEnded` records as interactions and callbacks.

    Like any background job it takes plain records (never ORM objects) and opens its own
    session per batch. A batch the database refuses is kept and written again in front of
    the next one (or alone after a growing pause): history is never dropped while the app
    runs, and the log says how many calls were not written if it stops first.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        linger_s: float = _LINGER_S,
        retry_s: tuple[float, float] = _RETRY_S,
    ) -> None:
        self._sessions = sessions
        self.linger_s = linger_s
        self.retry_s = retry_s
        # Records a write failed on, oldest first; only the event loop touches them.
        self.unwritten: list[CallRecord] = []
        self._policy = history_policy(settings)

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
        """Drain `CallEnded` events in batches until cancelled, writing each off the event loop.

        One batch at a time, each in a worker thread with its own session: the loop only
        waits for it (so batches are written in the order the calls ended), never blocks on it.
        """
        queue, unsubscribe = bus.queue(CallEnded)
        writing: asyncio.Future[bool] | None = None
        pending: list[CallEnded] = []
        pause = self.retry_s[0]
        try:
            while True:
                if not self.unwritten:
                    pending.append(await queue.get())
                else:
                    # No new call within the pause: retry the kept batch on its own.
                    with contextlib.suppress(TimeoutError):
                        pending.append(await asyncio.wait_for(queue.get(), pause))
                # On a busy floor the calls ending meanwhile join this batch: one transaction
                # and one set of lookups for many calls, far less work than one per call.
                await asyncio.sleep(self.linger_s)
                while len(pending) < _BATCH and not queue.empty():
                    pending.append(queue.get_nowait())
                batch, pending = pending, []
                writing = asyncio.ensure_future(self._write([e.record for e in batch]))
                # Shielded: a stop lets the batch in its thread finish (below) before the rest.
                written = await asyncio.shield(writing)
                pause = self.retry_s[0] if written else min(pause * 2, self.retry_s[1])
        finally:
            unsubscribe()
            if writing is not None and not writing.done():
                await asyncio.wait([writing])
            # Events already queued when the app stops are still written.
            rest = pending
            while not queue.empty():
                rest.append(queue.get_nowait())
            if rest or self.unwritten:
                await self._write([event.record for event in rest])
            if self.unwritten:
                log.error(
                    "%d ended calls could not be written into the CRM history before the stop;"
                    " their call records are kept, their history entries and callbacks are not",
                    len(self.unwritten),
                )

    async def _write(self, records: list[CallRecord]) -> bool:
        """Write the kept records and then `records`; keep them all when the write fails."""
        batch, self.unwritten = self.unwritten + records, []
        try:
            await asyncio.to_thread(self.record, batch)
        except Exception:
            log.exception(
                "could not write %d ended calls into the CRM history; kept to retry", len(batch)
            )
            self.unwritten = batch + self.unwritten
            return False
        return True
