"""The live board: snapshots of `LiveKpis` plus alerts, pushed to subscribers at most once
per period and only when something changed (an event arrived or an alert started/ended)
and someone is watching."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.service import list_calls
from kpi.aggregator import LiveKpis, rebuild_since
from kpi.alerts import Alert, AlertLimits, AlertTracker, evaluate_live

Snapshot = dict[str, Any]


class LiveBoard:
    """Owns the aggregator's subscription and the fan-out to wallboard sockets."""

    def __init__(
        self,
        kpis: LiveKpis,
        limits: AlertLimits,
        bus: Bus | None,
        server: str,
        period_s: float = 1.0,
    ) -> None:
        self.kpis = kpis
        self.limits = limits
        self.bus = bus
        self.period_s = period_s
        self.tracker = AlertTracker(bus, server)
        self.subscribers: set[asyncio.Queue[Snapshot]] = set()
        self.latest: Snapshot | None = None
        self.pushes = 0
        self._seen_version = -1
        self._alerts: list[Alert] = []
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def start(self, sessions: sessionmaker[Session] | None) -> None:
        """Subscribe to the bus, rebuild today from the database, start the pusher."""
        if self.bus is not None:
            self._unsubscribe = self.kpis.subscribe(self.bus)
        if sessions is not None:
            with sessions() as session:
                self.kpis.rebuild(
                    list_calls(session, since=rebuild_since(self.kpis.clock(), self.kpis.zone))
                )
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
        while True:
            await asyncio.sleep(self.period_s)
            self.tick()

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
        if self.kpis.version == self._seen_version and not alerts_changed:
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
        snapshot["version"] = self._seen_version
        self.latest = snapshot
        return snapshot

    def attach(self) -> asyncio.Queue[Snapshot]:
        """A queue that receives every pushed snapshot, starting with the current one."""
        queue: asyncio.Queue[Snapshot] = asyncio.Queue(maxsize=1)
        current = self.latest
        if current is None or self.kpis.version != self._seen_version:
            current = self._publishable()
        queue.put_nowait(current)
        self.subscribers.add(queue)
        return queue

    def detach(self, queue: asyncio.Queue[Snapshot]) -> None:
        self.subscribers.discard(queue)
