"""The live board: snapshots of `LiveKpis` plus alerts, pushed to subscribers at most once
per period and only when something changed (an event arrived or an alert started/ended)
and someone is watching."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import CallRecord
from callcenter.calls.service import list_calls
from kpi.aggregator import LiveKpis, rebuild_since
from kpi.alerts import Alert, AlertLimits, AlertTracker, evaluate_live
from kpi.outbound_board import OUTBOUND_EVERY_S, OutboundTiles
from kpi.thresholds import RecordThresholds, stored_record_thresholds

log = logging.getLogger(__name__)
Snapshot = dict[str, Any]
# How often the board reads the queue records' thresholds again (an admin may change them
# on a page, over the API or with `callcenter queues import`, in any process).
RECORDS_EVERY_S = 5.0
# How long after a start (or a recount) today's calls are read again: a call that ended
# just before is stored by the records' writer up to ~1 s after its CallEnded, which this
# process may not have received. A call counted either way counts once.
LATE_REBUILD_S = 3.0


class LiveBoard:
    """Owns the aggregator's subscription and the fan-out to wallboard sockets."""

    def __init__(
        self,
        kpis: LiveKpis,
        limits: AlertLimits,
        bus: Bus | None,
        server: str,
        period_s: float = 1.0,
        late_rebuild_s: float = LATE_REBUILD_S,
        outbound: OutboundTiles | None = None,
    ) -> None:
        self.kpis = kpis
        # Today's outbound campaigns, read from the database (see kpi.outbound_board).
        self.outbound = outbound
        self._seen_outbound = -1
        self.limits = limits
        self.bus = bus
        self.period_s = period_s
        self.late_rebuild_s = late_rebuild_s
        self.rebuilds = 0
        self._rebuild_due: float | None = None
        self.tracker = AlertTracker(bus, server)
        self.subscribers: set[asyncio.Queue[Snapshot]] = set()
        self.latest: Snapshot | None = None
        self.pushes = 0
        self._seen_version = -1
        self._alerts: list[Alert] = []
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._sessions: sessionmaker[Session] | None = None

    def start(self, sessions: sessionmaker[Session] | None) -> None:
        """Subscribe to the bus, read the queue records' thresholds, rebuild today from the
        database, start the pusher (which reads the records again every RECORDS_EVERY_S,
        and today's calls again late_rebuild_s after the start)."""
        if self.bus is not None:
            unsubscribes = [self.kpis.subscribe(self.bus)]
            if self.outbound is not None:
                unsubscribes.append(self.outbound.subscribe(self.bus))

            def unsubscribe() -> None:
                for stop in unsubscribes:
                    stop()

            self._unsubscribe = unsubscribe
        self._sessions = sessions
        if sessions is not None:
            with sessions() as session:
                self.kpis.set_records(stored_record_thresholds(session))
                self.kpis.rebuild(
                    list_calls(session, since=rebuild_since(self.kpis.clock(), self.kpis.zone))
                )
                if self.outbound is not None:
                    self.outbound.update(self.outbound.read(session))
            self._rebuild_due = asyncio.get_running_loop().time() + self.late_rebuild_s
        self.tick()
        self._task = asyncio.create_task(self._run(), name="kpi-live-board")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        records_due = loop.time() + RECORDS_EVERY_S
        outbound_due = loop.time() + OUTBOUND_EVERY_S
        while True:
            await asyncio.sleep(self.period_s)
            if self._sessions is not None and loop.time() >= records_due:
                records_due = loop.time() + RECORDS_EVERY_S
                await self.refresh_records()
            outbound = self.outbound
            if self._sessions and outbound and (outbound.due or loop.time() >= outbound_due):
                outbound_due = loop.time() + OUTBOUND_EVERY_S
                await self.refresh_outbound()
            if self._sessions is not None and self.kpis.bus_gap.recount_due:
                await self.recount()
            if self._rebuild_due is not None and loop.time() >= self._rebuild_due:
                await self.rebuild()
            self.tick()

    async def refresh_records(self) -> None:
        """Judge queues by their records' thresholds as stored now (read off the loop)."""
        try:
            records = await asyncio.to_thread(self._stored_records)
        except Exception:
            log.exception("could not read the queue records' thresholds; keeping the last")
            return
        self.kpis.set_records(records)

    async def refresh_outbound(self) -> None:
        """Read today's outbound figures again (off the loop); the next tick pushes them if
        they changed."""
        assert self.outbound is not None and self._sessions is not None
        try:
            figures = await asyncio.to_thread(self._stored_outbound)
        except Exception:
            log.exception("could not read today's outbound figures; keeping the last")
            return
        self.outbound.update(figures)

    def _stored_outbound(self) -> dict[str, Any]:
        assert self.outbound is not None and self._sessions is not None
        with self._sessions() as session:
            return self.outbound.read(session)

    async def recount(self) -> None:
        """Count today again from the stored calls (read off the loop): the process that
        writes them missed nothing, this one lost events on the shared bus."""
        try:
            calls = await asyncio.to_thread(self._stored_calls)
        except Exception:
            log.exception("could not read today's calls to count them again; will retry")
            return
        self.kpis.recount(calls)
        self._rebuild_due = asyncio.get_running_loop().time() + self.late_rebuild_s

    async def rebuild(self) -> None:
        """Add today's stored calls not counted yet (those stored after the last read)."""
        self._rebuild_due = None
        try:
            calls = await asyncio.to_thread(self._stored_calls)
        except Exception:
            log.exception("could not read today's calls again")
            return
        self.kpis.rebuild(calls)
        self.rebuilds += 1

    def _stored_calls(self) -> list[CallRecord]:
        assert self._sessions is not None
        with self._sessions() as session:
            return list_calls(session, since=rebuild_since(self.kpis.clock(), self.kpis.zone))

    def _stored_records(self) -> dict[str, RecordThresholds]:
        assert self._sessions is not None
        with self._sessions() as session:
            return stored_record_thresholds(session)

    def tick(self) -> bool:
        """Re-evaluate alerts; push a snapshot if anything changed. True when it pushed.

        Alerts are evaluated every tick (waits and pauses cross their limits with no event)
        from the aggregator's own state. The full snapshot, a walk over every agent on the
        floor, is built only when a wallboard is watching and something changed; with
        nobody watching, `latest` is dropped and `attach` builds a fresh one on demand.
        """
        alerts = evaluate_live(self.kpis, self.limits)
        self._alerts = alerts
        alerts_changed = self.tracker.update(alerts, self.kpis.clock())
        outbound = self.outbound.version if self.outbound is not None else -1
        if (
            self.kpis.version == self._seen_version
            and outbound == self._seen_outbound
            and not alerts_changed
        ):
            return False
        if not self.subscribers:
            self.latest = None
            return False
        snapshot = self._publishable()
        self.pushes += 1
        for queue in self.subscribers:
            if queue.full():  # a slow screen only needs the newest snapshot
                queue.get_nowait()
            queue.put_nowait(snapshot)
        return True

    def _publishable(self) -> Snapshot:
        """A snapshot of now, with the alerts last evaluated; kept as `latest`."""
        self._seen_version = self.kpis.version
        snapshot = self.kpis.snapshot()
        snapshot["alerts"] = [alert.as_json() for alert in self._alerts]
        snapshot["outbound"] = {}
        if self.outbound is not None:
            self._seen_outbound = self.outbound.version
            snapshot["outbound"] = self.outbound.tiles(self.kpis.presence)
        snapshot["version"] = self._seen_version
        self.latest = snapshot
        return snapshot

    def attach(self) -> asyncio.Queue[Snapshot]:
        """A queue that receives every pushed snapshot, starting with the current one."""
        queue: asyncio.Queue[Snapshot] = asyncio.Queue(maxsize=1)
        current = self.latest
        outbound = self.outbound.version if self.outbound is not None else -1
        if (
            current is None
            or self.kpis.version != self._seen_version
            or outbound != self._seen_outbound
        ):
            current = self._publishable()
        queue.put_nowait(current)
        self.subscribers.add(queue)
        return queue

    def detach(self, queue: asyncio.Queue[Snapshot]) -> None:
        self.subscribers.discard(queue)
