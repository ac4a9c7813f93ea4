"""Interval reports over the stored call records: 15-minute totals (`kpi.rollups`) summed
into the report's intervals and into the whole period.

A visit belongs to the interval in which it *entered* the queue: a call that waits across
an interval boundary, or talks past it, is counted once, in its entry interval (as queue_log
tools do). Calls with no queue visit (outbound, internal, direct) are not in queue reports.
Intervals are cut in the site's time zone (`kpi.intervals`: days and weeks from its
midnights, the hours of a DST change as its clock shows them) and shown with its offset.
Every report interval (15, 30, 60 minutes, day, week) is a whole number of the 15-minute
UTC rollup intervals, so sums of their totals.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from kpi.intervals import bucket_end, bucket_of, local
from kpi.rollups.counting import ROLLUP_S, SUM_FIELDS
from kpi.rollups.reading import interval_totals, totals_of
from kpi.summary import QueueSummary, QueueTotals, summarize
from kpi.thresholds import ThresholdBook

# The `--json` shape of one queue (and of one interval, with start, end and queue added).
REPORT_FIELDS = (
    "service_level_s",
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "timeouts",
    "service_level",
    "service_level_asterisk",
    "service_level_asterisk2",
    "abandon_rate",
    "asa_s",
    "aht_s",
    "talk_hold_s",
    "avg_talk_s",
    "longest_wait_s",
    # Where service_level_s comes from: `setting` (an admin's), `pbx` or `default`.
    "service_level_source",
)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """What a report covers: a half-open period [start, end), queues (None = all), interval,
    and the time zone its days and intervals are cut in."""

    start: datetime
    end: datetime
    queues: Sequence[str] | None = None
    interval_s: int | None = 900
    zone: tzinfo = UTC

    def shown(self, at: datetime) -> str:
        """`at` as reports print it: ISO 8601 on the site's clock, with the offset."""
        return local(at, self.zone).isoformat()

    def label(self, at: datetime) -> str:
        """`at` as report tables show it: `2026-10-25 02:00+01:00` on the site's clock."""
        return local(at, self.zone).isoformat(sep=" ", timespec="minutes")

    def interval_end(self, start: datetime) -> datetime:
        """The end of the report interval starting at `start`."""
        return bucket_end(start, self.interval_s or 0, self.zone)


@dataclass(slots=True)
class QueueReport:
    """A queue report: whole-period summaries by queue, and one row per (interval, queue)."""

    query: ReportQuery
    queues: dict[str, QueueSummary] = field(default_factory=dict)
    intervals: list[tuple[datetime, QueueSummary]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The `callcenter kpi report --json` document (also the API's).

        `aht_s` = (talk + hold + wrap-up) / answered visits, with each visit's wrap-up as
        the CTI tracker attributed it (see `kpi.definitions.average_handle_time`);
        `talk_hold_s` is the same without wrap-up."""
        query = self.query
        return {
            "queues": {name: summary_json(s) for name, s in self.queues.items()},
            "intervals": [
                {
                    "start": query.shown(start),
                    "end": query.shown(query.interval_end(start)),
                    "queue": summary.queue,
                    **summary_json(summary),
                }
                for start, summary in self.intervals
            ],
        }


def summary_json(summary: QueueSummary) -> dict[str, Any]:
    """One queue summary in the report's field order (rates 0-1, times in seconds)."""
    values = {name: getattr(summary, name) for name in REPORT_FIELDS}
    values["service_level_source"] = summary.service_level_source.value
    return values


def merge_totals(into: QueueTotals, other: QueueTotals) -> None:
    """Add `other`'s counts and sums to `into` (longest wait: the larger)."""
    for name in SUM_FIELDS:
        setattr(into, name, getattr(into, name) + getattr(other, name))
    into.longest_wait_s = max(into.longest_wait_s, other.longest_wait_s)


def queue_report(
    session: Session, query: ReportQuery, book: ThresholdBook, *, use_rollups: bool = True
) -> QueueReport:
    """Whole-period KPIs by queue and, when the query has an interval, per interval too.

    Whole 15-minute intervals come from the rollups (see `kpi.rollups`); `use_rollups=False`
    reads every visit instead (the rollups always agree with it). Queues asked for by name
    appear even with no calls, their rates null."""
    fifteen = interval_totals(
        session, query.start, query.end, query.queues, book, use_rollups=use_rollups
    )
    empty = (0,) * len(SUM_FIELDS) + (0.0,)
    whole: dict[str, tuple[Any, ...]] = dict.fromkeys(query.queues or (), empty)
    intervals: dict[tuple[datetime, str], tuple[Any, ...]] = {}
    interval_s = query.interval_s
    for (name, start), values in sorted(fifteen.items()):
        whole[name] = _added(whole.get(name, empty), values)
        if interval_s == ROLLUP_S:
            intervals[(start, name)] = values
        elif interval_s:
            key = (bucket_of(start, interval_s, query.zone), name)
            intervals[key] = _added(intervals.get(key, empty), values)
    report = QueueReport(query)
    report.queues = {
        name: summarize(name, totals_of(book, name, whole[name])) for name in sorted(whole)
    }
    report.intervals = [
        (start, summarize(name, totals_of(book, name, values)))
        for (start, name), values in sorted(intervals.items())
    ]
    return report


def _added(into: tuple[Any, ...], values: tuple[Any, ...]) -> tuple[Any, ...]:
    """Totals added up (the last one, the longest wait, is a maximum)."""
    return (*map(operator.add, into[:-1], values[:-1]), max(into[-1], values[-1]))
