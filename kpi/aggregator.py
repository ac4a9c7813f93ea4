"""Live KPIs from the bus: per queue and per agent, today so far, rolling 15/60-minute
windows, and right now (calls waiting, longest current wait, agents by state). What is true
right now (each agent's state, the callers waiting) is read from the one live projection,
`callcenter.queues.presence.Presence`; this module adds the counts over time.

Every event costs O(1): a visit is added to today's totals and to its minute's totals.
Windows are summed from at most 60 minute-totals when a
snapshot is taken (at most once a second), not per event.

Completed visits are counted from `CallEnded` records, the same records the reports read, so
that rebuilding today's figures from the database after a restart gives the same numbers.
A visit counts in the day and minute it *entered* the queue, as in the reports.

Each queue is judged by the thresholds of `kpi.thresholds` (an admin's, else the PBX's,
else the default); when its PBX reports another service-level threshold (a resync after a
queues.conf change, or the first ever), what was counted today is counted again with it from
the waits kept for that (a few bytes per visit), so a figure never mixes two thresholds.

AHT = (talk + hold + wrap-up) / answered, for queues and agents. A wrap-up that ends while
its call is still up comes inside the call's record; one that ends after the record went out
(the usual case) comes as `WrapUpEnded` and is added to the visit's day and minute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from callcenter.bus import Bus
from callcenter.calls.records import AgentState, CallRecord, QueueVisitRecord
from callcenter.db import utc_now
from callcenter.events import (
    BusLinkChanged,
    CallEnded,
    FloorSnapshot,
    PbxConnectionChanged,
    WrapUpEnded,
)
from callcenter.queues.presence import AgentPresence, Presence
from callcenter.queues.service_levels import PbxServiceLevels
from kpi import definitions as kpi
from kpi.bus_gap import BusGap
from kpi.reports import merge_totals, summary_json
from kpi.rollups.counting import SUM_FIELDS
from kpi.summary import QueueThresholds, QueueTotals, summarize
from kpi.thresholds import RecordThresholds, ThresholdBook

WINDOWS_MIN = (15, 60)
# The order of a queue tile's agent counts.
STATE_NAMES = tuple(
    state.value
    for state in (
        AgentState.AVAILABLE,
        AgentState.RINGING,
        AgentState.ON_CALL,
        AgentState.WRAP_UP,
        AgentState.PAUSED,
        AgentState.LOGGED_OUT,
    )
)


@dataclass(slots=True)
class AgentDay:
    """One agent's handled calls today."""

    calls_today: int = 0
    talk_s_today: float = 0.0
    hold_s_today: float = 0.0
    wrap_up_s_today: float = 0.0


# How a visit left the queue, for the counts that depend on the threshold T.
ANSWERED, ABANDONED, LEFT_OTHERWISE = 0, 1, 2


@dataclass(slots=True)
class CountedWait:
    """A visit counted in a queue's totals: enough to count it against another T."""

    minute: int
    today: bool  # counted in today's totals
    in_minute: bool  # counted in its minute's totals
    kind: int  # ANSWERED, ABANDONED or LEFT_OTHERWISE
    wait_s: float


@dataclass(slots=True)
class LiveQueue:
    """One queue's completed visits: today and per minute of the last hour, and their waits
    (to count them again when the queue's threshold changes)."""

    name: str
    today: QueueTotals
    minutes: dict[int, QueueTotals] = field(default_factory=dict)
    waits: list[CountedWait] = field(default_factory=list)

    def judge_by(self, thresholds: QueueThresholds) -> None:
        """Count the visits again with `thresholds`' T (what depends on it: answered and
        left within T; the short-abandon threshold is the settings', unchanged)."""
        totals = [self.today, *self.minutes.values()]
        for counted in totals:
            counted.thresholds = thresholds
            counted.answered_within = counted.abandoned_within = counted.timeouts_within = 0
        threshold = thresholds.service_level_s
        for wait in self.waits:
            if wait.wait_s > threshold:
                continue
            if wait.today:
                _count_within(self.today, wait.kind)
            slot = self.minutes.get(wait.minute) if wait.in_minute else None
            if slot is not None:
                _count_within(slot, wait.kind)


def _count_within(totals: QueueTotals, kind: int) -> None:
    if kind == ANSWERED:
        totals.answered_within += 1
    elif kind == ABANDONED:
        totals.abandoned_within += 1
    else:
        totals.timeouts_within += 1


class LiveKpis:
    """The live aggregator. Feed it bus events (`subscribe`) and stored records (`rebuild`);
    it reads agents and waiting callers from `presence` (subscribed by its owner)."""

    def __init__(
        self,
        book: ThresholdBook,
        presence: Presence,
        clock: Callable[[], datetime] = utc_now,
        pbx_levels: PbxServiceLevels | None = None,
        zone: tzinfo = UTC,
    ) -> None:
        # The site's time zone: "today" starts at its midnight, as the reports' days do.
        self.zone = zone
        self.pbx_levels = pbx_levels
        self.book = book.with_pbx(pbx_levels.seconds()) if pbx_levels is not None else book
        self.presence = presence
        self.clock = clock
        self.queues: dict[str, LiveQueue] = {}
        self.agent_days: dict[str, AgentDay] = {}
        self.day = self._day_of(clock())
        self.pbx_connected: bool | None = None
        self.pbx_since: datetime | None = None
        # Why the link's figures have a gap ("" when simply down), e.g. a resync pending.
        self.pbx_detail = ""
        # Several processes: events this one missed on the shared bus are a gap too.
        self.bus_gap = BusGap()
        # Bumped on every change: pushers send a snapshot only when it moved.
        self.version = 0
        # Today's counted records a later record of the same call may replace.
        self._replaceable: dict[tuple[str, str], CallRecord] = {}
        # Every call counted today (server, linkedid): one read again from the database
        # after its CallEnded (or the other way round) counts once.
        self._counted: set[tuple[str, str]] = set()

    def _day_of(self, at: datetime) -> datetime:
        return day_start(at, self.zone)

    def subscribe(self, bus: Bus) -> Callable[[], None]:
        """Consume the bus; returns a function that unsubscribes everything."""
        handlers: list[Callable[[], None]] = [
            bus.subscribe(CallEnded, self.on_ended),
            bus.subscribe(WrapUpEnded, self.on_wrap_up),
            bus.subscribe(PbxConnectionChanged, self.on_pbx),
            bus.subscribe(BusLinkChanged, self.on_bus_link),
            bus.subscribe(FloorSnapshot, self.on_floor),
            self.presence.listen(agent=self.on_agent, queue=self.on_queue),
        ]
        if self.pbx_levels is not None:
            handlers.append(self.pbx_levels.listen(self.on_pbx_level))

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

    def _roll_day(self, at: datetime) -> None:
        day = self._day_of(at)
        if day > self.day:
            self.day = day
            for live in self.queues.values():
                live.today = QueueTotals(self.book.for_queue(live.name))
                live.waits = [
                    CountedWait(w.minute, False, True, w.kind, w.wait_s)
                    for w in live.waits
                    if w.in_minute and w.minute in live.minutes
                ]
            self.agent_days.clear()
            self._replaceable.clear()
            self._counted.clear()

    def on_pbx_level(self, queue: str) -> None:
        """The PBX reported another service-level threshold for `queue`."""
        assert self.pbx_levels is not None
        self.book = self.book.with_pbx(self.pbx_levels.seconds())
        live = self.queues.get(queue)  # a queue not on the board yet starts with it
        if live is not None:
            thresholds = self.book.for_queue(queue)
            if thresholds != live.today.thresholds:
                live.judge_by(thresholds)
        self._changed()

    def set_records(self, records: Mapping[str, RecordThresholds]) -> None:
        """The queue records' thresholds as stored now (the board reads them every few
        seconds): queues whose thresholds changed are judged again by T and target (a new
        short-abandon threshold counts from the next visit; reports count it all again)."""
        if dict(records) == dict(self.book.records):
            return
        self.book = self.book.with_records(records)
        for live in self.queues.values():
            thresholds = self.book.for_queue(live.name)
            if thresholds != live.today.thresholds:
                live.judge_by(thresholds)
        self._changed()

    # Right now: what the presence reports changed.
    def on_queue(self, queue: str) -> None:
        self.queue(queue)
        self._changed()

    def on_agent(self, before: AgentPresence | None, after: AgentPresence) -> None:
        self._changed()

    # Completed visits: today and the minute totals.
    def on_ended(self, event: CallEnded) -> None:
        self._roll_day(event.at)
        self.add_record(event.record, self.clock())
        self._changed()

    def add_record(self, record: CallRecord, now: datetime) -> None:
        """Count a finished call's visits (today's and the last hour's only).

        A record flagged data_gap may be replaced later by a better one of the same call (a
        stop's record, then the next start's): the replaced one is taken out first, so a
        call counts once, as it is stored. Any other call already counted is not counted
        again (its CallEnded, then its stored record read back, or the other way round)."""
        key = (record.server, record.linkedid)
        replaced = self._replaceable.pop(key, None)
        if replaced is not None:
            self._count(replaced, now, -1)
        elif key in self._counted:
            return
        self._counted.add(key)
        self._count(record, now, 1)
        if record.data_gap:
            self._replaceable[key] = record

    def _count(self, record: CallRecord, now: datetime, sign: int) -> None:
        horizon = int(now.timestamp() // 60) - max(WINDOWS_MIN)
        for visit in record.queue_visits:
            live = self.queue(visit.queue)
            today = visit.entered_at >= self.day
            if today:
                _add(live.today, visit, sign)
                if visit.agent is not None and visit.outcome in kpi.ANSWERED_OUTCOMES:
                    agent = self.agent_days.setdefault(visit.agent, AgentDay())
                    agent.calls_today += sign
                    agent.talk_s_today += sign * (visit.talk_s or 0.0)
                    agent.hold_s_today += sign * visit.hold_s
                    agent.wrap_up_s_today += sign * (visit.wrap_up_s or 0.0)
            minute = int(visit.entered_at.timestamp() // 60)
            in_minute = minute > horizon
            if in_minute:
                slot = live.minutes.get(minute)
                if slot is None:
                    slot = live.minutes[minute] = QueueTotals(live.today.thresholds)
                _add(slot, visit, sign)
            if today or in_minute:
                wait = CountedWait(minute, today, in_minute, _kind(visit), visit.wait_s or 0.0)
                if sign > 0:
                    live.waits.append(wait)
                elif wait in live.waits:
                    live.waits.remove(wait)

    def on_wrap_up(self, event: WrapUpEnded) -> None:
        """Wrap-up seconds that reached a visit after its call's record: added where the
        visit was counted (its day and entry minute), and to its agent's day."""
        self._roll_day(event.at)
        record = event.record
        live = self.queue(record.queue)
        if record.entered_at >= self.day:
            live.today.wrap_up_s += record.added_s
            agent = self.agent_days.get(record.agent) if record.agent else None
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

    def on_pbx(self, event: PbxConnectionChanged) -> None:
        if not (event.connected is False and self.pbx_connected is False):
            self.pbx_since = event.at  # a gap lasts from its first sign to the resync
        self.pbx_connected, self.pbx_detail = event.connected, event.detail
        self._changed()

    def on_bus_link(self, event: BusLinkChanged) -> None:
        if self.bus_gap.on_link(event):
            self._changed()

    def await_floor(self) -> None:
        """This process asks the PBX's process for the floor: a gap until it arrives."""
        self.bus_gap.await_floor(self.clock())
        self._changed()

    def on_floor(self, event: FloorSnapshot) -> None:
        """The floor as the PBX's process knows it (Presence takes the agents and callers):
        the PBX link's state when this process has none yet; the awaited floor is here."""
        if self.pbx_connected is None and event.pbx_connected is not None:
            self.pbx_connected, self.pbx_detail = event.pbx_connected, event.pbx_detail
            self.pbx_since = event.pbx_since
        self.bus_gap.floor_arrived()
        self._changed()

    def recount(self, records: Iterable[CallRecord]) -> None:
        """Today's figures counted again from stored records alone (events were lost)."""
        for live in self.queues.values():
            live.today = QueueTotals(self.book.for_queue(live.name))
            live.minutes.clear()
            live.waits.clear()
        self.agent_days.clear()
        self._replaceable.clear()
        self._counted.clear()
        self.rebuild(records)
        self.bus_gap.recounted()

    def pbx_link(self) -> dict[str, Any]:
        """The PBX link as the board shows it: up, down, or up with its resync pending (or
        the shared bus's gap, which hides the PBX's figures the same way)."""
        if self.bus_gap.state:
            return self.bus_gap.link()
        if self.pbx_connected is None:
            state = "unknown"
        elif self.pbx_connected:
            state = "up"
        else:
            state = "resync_pending" if self.pbx_detail.startswith("resync pending") else "down"
        return {
            "state": state,
            "since": self.pbx_since.isoformat() if self.pbx_since else None,
            "detail": self.pbx_detail,
            "data_gap": self.pbx_connected is False,
        }

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
        present = list(self.presence.agents.values())
        queues = {name: self._tile(name, present, now) for name in sorted(self.queues)}
        names = sorted({agent.name for agent in present} | self.agent_days.keys())
        return {
            "at": now.isoformat(),
            "pbx_connected": self.pbx_connected,
            "pbx_link": self.pbx_link(),
            "queues": queues,
            "agents": [self._agent_row(name, now) for name in names],
        }

    def _tile(self, name: str, present: list[AgentPresence], now: datetime) -> dict[str, Any]:
        live = self.queues[name]
        waiting = self.presence.waiting(name)
        oldest = next(iter(waiting.values()), None)
        by_state = dict.fromkeys(STATE_NAMES, 0)
        for agent in present:
            if name in agent.queues:
                by_state[agent.state.value] += 1
        thresholds = live.today.thresholds
        return {
            "waiting": len(waiting),
            "longest_wait_s": (now - oldest).total_seconds() if oldest else None,
            "oldest_waiting_since": oldest.isoformat() if oldest else None,
            "target": thresholds.target,
            "service_level_s": thresholds.service_level_s,
            # Where that threshold comes from: `setting` (an admin's), `pbx` or `default`.
            "service_level_source": thresholds.service_level_source.value,
            "today": summary_json(summarize(name, live.today)),
            **{
                f"last_{m}m": summary_json(summarize(name, self.window(live, m, now)))
                for m in WINDOWS_MIN
            },
            "agents": by_state,
        }

    def _agent_row(self, name: str, now: datetime) -> dict[str, Any]:
        agent = self.presence.agents.get(name) or AgentPresence(name, "")
        day = self.agent_days.get(name) or AgentDay()
        return {
            "agent": name,
            "interface": agent.interface,
            "state": agent.state.value,
            "reason": agent.reason,
            "since": agent.since.isoformat() if agent.since else None,
            "in_state_s": (now - agent.since).total_seconds() if agent.since else None,
            "calls_today": day.calls_today,
            "aht_s": kpi.average_handle_time(
                day.talk_s_today, day.hold_s_today, day.wrap_up_s_today, day.calls_today
            ),
            "talk_hold_s": kpi.average_talk_hold(
                day.talk_s_today, day.hold_s_today, day.calls_today
            ),
            "queues": sorted(agent.queues),
        }


def _kind(visit: kpi.Visit) -> int:
    """How a visit left its queue, as `QueueTotals.add` classifies it."""
    if kpi.is_answered(visit):
        return ANSWERED
    return ABANDONED if kpi.is_abandoned(visit) else LEFT_OTHERWISE


def _add(totals: QueueTotals, visit: QueueVisitRecord, sign: int) -> None:
    """Count `visit` into `totals` (sign 1), or take it out again (sign -1; the longest
    wait stays, as a maximum cannot be undone)."""
    if sign > 0:
        totals.add(visit)
        return
    one = QueueTotals(totals.thresholds)
    one.add(visit)
    for name in SUM_FIELDS:
        setattr(totals, name, getattr(totals, name) - getattr(one, name))


def day_start(at: datetime, zone: tzinfo) -> datetime:
    """The start (in UTC) of the day in `zone` that `at` falls on."""
    # A zone's offset follows the wall time: midnight gets its own, whatever clock change
    # lies between it and `at`.
    local = at.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    return local.astimezone(UTC)


def rebuild_since(now: datetime, zone: tzinfo = UTC) -> datetime:
    """Where to start reading stored calls to rebuild today and the last hour: the earlier of
    the site's midnight and an hour ago, less an hour for calls that began before their
    queue visit."""
    today = day_start(now, zone)
    return min(today, now - timedelta(minutes=max(WINDOWS_MIN))) - timedelta(hours=1)
