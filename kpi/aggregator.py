"""Live KPIs from the bus: per queue and per agent, today so far, rolling 15/60-minute
windows, and right now (calls waiting, longest current wait, agents by state).

Every event costs O(1): a visit is added to today's totals and to its minute's totals; a
caller joins or leaves an insertion-ordered dict of waiting callers (the oldest is first, so
the longest wait is one look-up). Windows are summed from at most 60 minute-totals when a
snapshot is taken (at most once a second), not per event.

Completed visits are counted from `CallEnded` records, the same records the reports read, so
that rebuilding today's figures from the database after a restart gives the same numbers.
A visit counts in the day and minute it *entered* the queue, as in the reports.

AHT = (talk + hold + wrap-up) / answered, for queues and agents. A wrap-up that ends while
its call is still up comes inside the call's record; one that ends after the record went out
(the usual case) comes as `WrapUpEnded` and is added to the visit's day and minute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from callcenter.bus import Bus
from callcenter.calls.records import AgentState, CallRecord
from callcenter.db import utc_now
from callcenter.events import (
    AgentStateChanged,
    CallAbandoned,
    CallAnswered,
    CallEnded,
    CallQueued,
    PbxConnectionChanged,
    WrapUpEnded,
)
from kpi import definitions as kpi
from kpi.reports import merge_totals, summary_json
from kpi.summary import QueueTotals, summarize
from kpi.thresholds import ThresholdBook

WINDOWS_MIN = (15, 60)
STATE_NAMES = ("available", "ringing", "on_call", "wrap_up", "paused", "logged_out")


@dataclass(slots=True)
class LiveAgent:
    """One agent right now and today."""

    name: str
    interface: str
    state: AgentState = AgentState.LOGGED_OUT
    since: datetime | None = None
    reason: str | None = None
    queues: set[str] = field(default_factory=set)
    calls_today: int = 0
    talk_s_today: float = 0.0
    hold_s_today: float = 0.0
    wrap_up_s_today: float = 0.0


@dataclass(slots=True)
class LiveQueue:
    """One queue right now (callers waiting, by linkedid) and its completed visits."""

    name: str
    today: QueueTotals
    waiting: dict[str, datetime] = field(default_factory=dict)
    minutes: dict[int, QueueTotals] = field(default_factory=dict)


class LiveKpis:
    """The live aggregator. Feed it bus events (`subscribe`) and stored records (`rebuild`)."""

    def __init__(self, book: ThresholdBook, clock: Callable[[], datetime] = utc_now) -> None:
        self.book = book
        self.clock = clock
        self.queues: dict[str, LiveQueue] = {}
        self.agents: dict[str, LiveAgent] = {}
        self.day = self._day_of(clock())
        self.pbx_connected: bool | None = None
        self.pbx_since: datetime | None = None
        # Bumped on every change: pushers send a snapshot only when it moved.
        self.version = 0
        self.events = 0

    @staticmethod
    def _day_of(at: datetime) -> datetime:
        return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

    def subscribe(self, bus: Bus) -> Callable[[], None]:
        """Consume the bus; returns a function that unsubscribes everything."""
        handlers: list[Callable[[], None]] = [
            bus.subscribe(CallQueued, self.on_queued),
            bus.subscribe(CallAnswered, self.on_answered),
            bus.subscribe(CallAbandoned, self.on_abandoned),
            bus.subscribe(CallEnded, self.on_ended),
            bus.subscribe(WrapUpEnded, self.on_wrap_up),
            bus.subscribe(AgentStateChanged, self.on_agent_state),
            bus.subscribe(PbxConnectionChanged, self.on_pbx),
        ]

        def unsubscribe() -> None:
            for handler in handlers:
                handler()

        return unsubscribe

    def queue(self, name: str) -> LiveQueue:
        found = self.queues.get(name)
        if found is None:
            found = self.queues[name] = LiveQueue(name, QueueTotals(self.book.for_queue(name)))
        return found

    def _changed(self) -> None:
        self.version += 1
        self.events += 1

    def _roll_day(self, at: datetime) -> None:
        day = self._day_of(at)
        if day > self.day:
            self.day = day
            for live in self.queues.values():
                live.today = QueueTotals(self.book.for_queue(live.name))
            for agent in self.agents.values():
                agent.calls_today, agent.talk_s_today, agent.hold_s_today = 0, 0.0, 0.0
                agent.wrap_up_s_today = 0.0

    # Right now: callers waiting.
    def on_queued(self, event: CallQueued) -> None:
        self.queue(event.queue).waiting[event.linkedid] = event.at
        self._changed()

    def on_answered(self, event: CallAnswered) -> None:
        if event.queue is not None:
            self.queue(event.queue).waiting.pop(event.linkedid, None)
        self._changed()

    def on_abandoned(self, event: CallAbandoned) -> None:
        self.queue(event.queue).waiting.pop(event.linkedid, None)
        self._changed()

    # Completed visits: today and the minute totals.
    def on_ended(self, event: CallEnded) -> None:
        self._roll_day(event.at)
        self.add_record(event.record, self.clock())
        self._changed()

    def add_record(self, record: CallRecord, now: datetime) -> None:
        """Count a finished call's visits (today's and the last hour's only)."""
        horizon = int(now.timestamp() // 60) - max(WINDOWS_MIN)
        for visit in record.queue_visits:
            live = self.queue(visit.queue)
            live.waiting.pop(record.linkedid, None)
            if visit.entered_at >= self.day:
                live.today.add(visit)
                if visit.agent is not None and visit.outcome in ("answered", "transferred"):
                    agent = self.agents.get(visit.agent) or self._agent(visit.agent, "")
                    agent.calls_today += 1
                    agent.talk_s_today += visit.talk_s or 0.0
                    agent.hold_s_today += visit.hold_s
                    agent.wrap_up_s_today += visit.wrap_up_s or 0.0
            minute = int(visit.entered_at.timestamp() // 60)
            if minute > horizon:
                slot = live.minutes.get(minute)
                if slot is None:
                    slot = live.minutes[minute] = QueueTotals(live.today.thresholds)
                slot.add(visit)

    def on_wrap_up(self, event: WrapUpEnded) -> None:
        """Wrap-up seconds that reached a visit after its call's record: added where the
        visit was counted (its day and entry minute), and to its agent's day."""
        self._roll_day(event.at)
        record = event.record
        live = self.queue(record.queue)
        if record.entered_at >= self.day:
            live.today.wrap_up_s += record.added_s
            agent = self.agents.get(record.agent) if record.agent else None
            if agent is not None:
                agent.wrap_up_s_today += record.added_s
        slot = live.minutes.get(int(record.entered_at.timestamp() // 60))
        if slot is not None:
            slot.wrap_up_s += record.added_s
        self._changed()

    def rebuild(self, records: Iterable[CallRecord]) -> None:
        """Today's figures from stored records (after a restart)."""
        now = self.clock()
        self._roll_day(now)
        for record in records:
            self.add_record(record, now)
        self._changed()

    # Agents.
    def _agent(self, name: str, interface: str) -> LiveAgent:
        agent = self.agents[name] = LiveAgent(name, interface)
        return agent

    def on_agent_state(self, event: AgentStateChanged) -> None:
        agent = self.agents.get(event.agent) or self._agent(event.agent, event.interface)
        agent.interface = event.interface or agent.interface
        # The event lists every membership after the change (none once logged out).
        agent.queues = set(event.queues)
        for queue in event.queues:
            self.queue(queue)
        if agent.state is not event.state or agent.reason != event.reason:
            agent.since = event.at
        agent.state, agent.reason = event.state, event.reason
        self._changed()

    def on_pbx(self, event: PbxConnectionChanged) -> None:
        self.pbx_connected, self.pbx_since = event.connected, event.at
        self._changed()

    def now(self) -> datetime:
        """The clock's time, with today's figures rolled over if midnight passed."""
        now = self.clock()
        self._roll_day(now)
        return now

    # Snapshots.
    def window(self, live: LiveQueue, minutes: int, now: datetime) -> QueueTotals:
        """The totals of visits that entered in the last `minutes` minutes."""
        current = int(now.timestamp() // 60)
        totals = QueueTotals(live.today.thresholds)
        for minute in [m for m in live.minutes if m <= current - max(WINDOWS_MIN)]:
            del live.minutes[minute]  # older than every window: drop it
        for minute, slot in live.minutes.items():
            if minute > current - minutes:
                merge_totals(totals, slot)
        return totals

    def snapshot(self) -> dict[str, Any]:
        """Everything a wallboard shows, as JSON-ready data."""
        now = self.now()
        queues: dict[str, Any] = {}
        for name in sorted(self.queues):
            live = self.queues[name]
            oldest = next(iter(live.waiting.values()), None)
            by_state = dict.fromkeys(STATE_NAMES, 0)
            for agent in self.agents.values():
                if name in agent.queues:
                    by_state[agent.state.value] += 1
            thresholds = live.today.thresholds
            queues[name] = {
                "waiting": len(live.waiting),
                "longest_wait_s": (now - oldest).total_seconds() if oldest else None,
                "oldest_waiting_since": oldest.isoformat() if oldest else None,
                "target": thresholds.target,
                "service_level_s": thresholds.service_level_s,
                "today": summary_json(summarize(name, live.today)),
                **{
                    f"last_{m}m": summary_json(summarize(name, self.window(live, m, now)))
                    for m in WINDOWS_MIN
                },
                "agents": by_state,
            }
        agents = [
            {
                "agent": a.name,
                "interface": a.interface,
                "state": a.state.value,
                "reason": a.reason,
                "since": a.since.isoformat() if a.since else None,
                "in_state_s": (now - a.since).total_seconds() if a.since else None,
                "calls_today": a.calls_today,
                "aht_s": kpi.average_handle_time(
                    a.talk_s_today, a.hold_s_today, a.wrap_up_s_today, a.calls_today
                ),
                "talk_hold_s": kpi.average_talk_hold(a.talk_s_today, a.hold_s_today, a.calls_today),
                "queues": sorted(a.queues),
            }
            for a in sorted(self.agents.values(), key=lambda a: a.name)
        ]
        return {
            "at": now.isoformat(),
            "pbx_connected": self.pbx_connected,
            "queues": queues,
            "agents": agents,
        }


def rebuild_since(now: datetime) -> datetime:
    """Where to start reading stored calls to rebuild today and the last hour: the earlier of
    midnight UTC and an hour ago, less an hour for calls that began before their queue visit."""
    return min(LiveKpis._day_of(now), now - timedelta(minutes=max(WINDOWS_MIN))) - timedelta(
        hours=1
    )
