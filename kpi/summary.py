"""Per-queue KPI summary over call records (or the simulator's traces), built in one pass."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from callcenter.calls.records import CallRecord, VisitOutcome
from kpi import definitions as kpi
from kpi.definitions import DEFAULT_SERVICE_LEVEL_S, DEFAULT_SHORT_ABANDON_S, Visit


class ThresholdSource(StrEnum):
    """Where a queue's service-level threshold T comes from, in order of precedence."""

    QUEUE = "queue"  # an admin's value on the queue's record (Admin > Queues, /api/queues)
    PBX = "pbx"  # the queue's `servicelevel` as the PBX reports it (QueueParams)
    SETTING = "setting"  # the fallback in CALLCENTER_QUEUE_THRESHOLDS
    DEFAULT = "default"  # the deployment's default (CALLCENTER_SERVICE_LEVEL_S, 20 s)


@dataclass(frozen=True, slots=True)
class QueueThresholds:
    """A queue's KPI settings: service-level threshold T, short-abandon threshold, target,
    and where T comes from."""

    service_level_s: float = DEFAULT_SERVICE_LEVEL_S
    short_abandon_s: float = DEFAULT_SHORT_ABANDON_S
    # The service level the queue aims for (a fraction), for colours and alerts.
    target: float = 0.8
    service_level_source: ThresholdSource = ThresholdSource.DEFAULT


@dataclass(slots=True)
class QueueTotals:
    """Running counts and sums of one queue's visits (what every KPI is computed from)."""

    thresholds: QueueThresholds
    offered: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    short_abandoned: int = 0
    abandoned_within: int = 0
    timeouts: int = 0
    timeouts_within: int = 0
    transferred: int = 0
    wait_answered_s: float = 0.0
    wait_abandoned_s: float = 0.0
    talk_s: float = 0.0
    hold_s: float = 0.0
    wrap_up_s: float = 0.0
    longest_wait_s: float = 0.0

    def add(self, visit: Visit) -> None:
        """Count one visit, classified by the predicates of `kpi.definitions`."""
        self.offered += 1
        wait = visit.wait_s or 0.0
        if wait > self.longest_wait_s:
            self.longest_wait_s = wait
        threshold = self.thresholds.service_level_s
        if kpi.is_answered(visit):
            self.answered += 1
            self.wait_answered_s += wait
            self.talk_s += visit.talk_s or 0.0
            # The simulator's traces carry no hold nor wrap-up; stored visits do.
            self.hold_s += getattr(visit, "hold_s", 0.0) or 0.0
            self.wrap_up_s += getattr(visit, "wrap_up_s", None) or 0.0
            if kpi.is_answered_within(visit, threshold):
                self.answered_within += 1
            if visit.outcome is VisitOutcome.TRANSFERRED:
                self.transferred += 1
            return
        within = kpi.is_left_within(visit, threshold)
        if kpi.is_abandoned(visit):
            self.abandoned += 1
            self.wait_abandoned_s += wait
            if kpi.is_short_abandon(visit, self.thresholds.short_abandon_s):
                self.short_abandoned += 1
            self.abandoned_within += within
        else:
            self.timeouts += 1
            self.timeouts_within += within


@dataclass(frozen=True, slots=True)
class QueueSummary:
    """One queue's KPIs for a period; rates are fractions, times seconds, None = no data."""

    queue: str
    service_level_s: float
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    timeouts: int
    transferred: int
    service_level: float | None
    service_level_asterisk: float | None
    service_level_asterisk2: float | None
    abandon_rate: float | None
    asa_s: float | None
    avg_abandon_s: float | None
    avg_talk_s: float | None
    aht_s: float | None  # (talk + hold + wrap-up) / answered
    longest_wait_s: float | None
    occupancy: float | None
    avg_hold_s: float | None = None
    talk_hold_s: float | None = None  # talk + hold per answered visit (no wrap-up)
    service_level_source: ThresholdSource = ThresholdSource.DEFAULT  # where T comes from

    def as_json(self) -> dict[str, Any]:
        """The `sim run --json` shape of one queue."""
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "short_abandoned": self.short_abandoned,
            "service_level": self.service_level,
            "abandon_rate": self.abandon_rate,
            "asa_s": self.asa_s,
            "aht_s": self.aht_s,
            "occupancy": self.occupancy,
        }


@dataclass(frozen=True, slots=True)
class AgentTime:
    """Agent time attributed to a queue: busy on its calls, and available to it."""

    busy_s: float
    available_s: float
    wrap_up_s: float = 0.0


def summarize(name: str, totals: QueueTotals, agent_time: AgentTime | None = None) -> QueueSummary:
    """The KPIs of one queue from its totals (and agent time, for occupancy).

    AHT's wrap-up is the visits' own (the wrap-up the CTI tracker attributed to each answered
    visit; a visit without one adds 0 s), unless `agent_time` gives the queue's wrap-up (the
    simulator, whose visits carry none)."""
    left = totals.abandoned + totals.timeouts
    return QueueSummary(
        queue=name,
        service_level_s=totals.thresholds.service_level_s,
        offered=totals.offered,
        answered=totals.answered,
        abandoned=totals.abandoned,
        short_abandoned=totals.short_abandoned,
        timeouts=totals.timeouts,
        transferred=totals.transferred,
        service_level=kpi.service_level(
            totals.answered_within, totals.offered, totals.short_abandoned
        ),
        service_level_asterisk=kpi.service_level_asterisk(totals.answered_within, totals.answered),
        service_level_asterisk2=kpi.service_level_asterisk2(
            totals.answered_within,
            totals.answered,
            totals.abandoned_within + totals.timeouts_within,
            left,
        ),
        abandon_rate=kpi.abandon_rate(totals.abandoned, totals.short_abandoned, totals.offered),
        asa_s=kpi.average_speed_of_answer(totals.wait_answered_s, totals.answered),
        avg_abandon_s=kpi.average_time_to_abandon(totals.wait_abandoned_s, totals.abandoned),
        avg_talk_s=kpi.average_talk_time(totals.talk_s, totals.answered),
        aht_s=kpi.average_handle_time(
            totals.talk_s,
            totals.hold_s,
            agent_time.wrap_up_s if agent_time is not None else totals.wrap_up_s,
            totals.answered,
        ),
        longest_wait_s=totals.longest_wait_s if totals.offered else None,
        occupancy=(
            kpi.occupancy(agent_time.busy_s, agent_time.available_s)
            if agent_time is not None
            else None
        ),
        avg_hold_s=kpi.average_hold_time(totals.hold_s, totals.answered),
        talk_hold_s=kpi.average_talk_hold(totals.talk_s, totals.hold_s, totals.answered),
        service_level_source=totals.thresholds.service_level_source,
    )


@dataclass(slots=True)
class QueueSummaryBuilder:
    """Feeds visits into per-queue totals, then summarises. One pass, constant memory.

    Queues not named in `thresholds` use the defaults (T = 20 s, short abandon 5 s).
    """

    thresholds: Mapping[str, QueueThresholds] = field(default_factory=dict)
    totals: dict[str, QueueTotals] = field(default_factory=dict)

    def add_visit(self, visit: Visit) -> None:
        totals = self.totals.get(visit.queue)
        if totals is None:
            settings = self.thresholds.get(visit.queue, QueueThresholds())
            totals = self.totals[visit.queue] = QueueTotals(settings)
        totals.add(visit)

    def add_call(self, record: CallRecord) -> None:
        for visit in record.queue_visits:
            self.add_visit(visit)

    def result(self, agent_time: Mapping[str, AgentTime] | None = None) -> dict[str, QueueSummary]:
        """Summaries by queue name, including queues with thresholds but no visits."""
        names = list(self.thresholds) + [n for n in self.totals if n not in self.thresholds]
        out: dict[str, QueueSummary] = {}
        for name in names:
            totals = self.totals.get(name) or QueueTotals(
                self.thresholds.get(name, QueueThresholds())
            )
            out[name] = summarize(name, totals, (agent_time or {}).get(name))
        return out


def summarize_calls(
    records: Iterable[CallRecord],
    thresholds: Mapping[str, QueueThresholds] | None = None,
    agent_time: Mapping[str, AgentTime] | None = None,
) -> dict[str, QueueSummary]:
    """Per-queue KPIs of `records` (each queue visit counts in its own queue)."""
    builder = QueueSummaryBuilder(dict(thresholds or {}))
    for record in records:
        builder.add_call(record)
    return builder.result(agent_time)
