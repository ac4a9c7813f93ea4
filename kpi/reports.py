"""Interval reports over the stored call records, aggregated in SQL (one pass, one query).

A visit belongs to the interval in which it *entered* the queue: a call that waits across
an interval boundary, or talks past it, is counted once, in its entry interval (as queue_log
tools do). Calls with no queue visit (outbound, internal, direct) are not in queue reports.
Times are UTC; days and weeks (Mondays) start at 00:00 UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callcenter.calls.models import QueueVisit
from kpi.intervals import bucket_end, bucket_of, bucket_start, origin_s
from kpi.summary import QueueSummary, QueueTotals, summarize
from kpi.thresholds import ThresholdBook

ANSWERED = ("answered", "transferred")
LEFT_OTHERWISE = ("timeout", "exited")

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
    "talk_hold_s",
    "avg_talk_s",
    "longest_wait_s",
)


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """What a report covers: a half-open period [start, end), queues (None = all), interval."""

    start: datetime
    end: datetime
    queues: Sequence[str] | None = None
    interval_s: int | None = 900


@dataclass(slots=True)
class QueueReport:
    """A queue report: whole-period summaries by queue, and one row per (interval, queue)."""

    query: ReportQuery
    queues: dict[str, QueueSummary] = field(default_factory=dict)
    intervals: list[tuple[datetime, QueueSummary]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The `callcenter kpi report --json` document (also the API's).

        `aht_s` is kept because the report format requires the key, but it is NOT talk +
        hold + wrap-up: it equals `talk_hold_s`, the average (talk + hold) per answered
        visit, because wrap-up is not attributed to queues. True AHT, with wrap-up, is in
        the agent report (`/api/kpi/agents`)."""
        interval_s = self.query.interval_s or 0
        return {
            "queues": {name: _with_aht_key(summary_json(s)) for name, s in self.queues.items()},
            "intervals": [
                {
                    "start": start.isoformat(),
                    "end": bucket_end(start, interval_s).isoformat(),
                    "queue": summary.queue,
                    **_with_aht_key(summary_json(summary)),
                }
                for start, summary in self.intervals
            ],
        }


def _with_aht_key(values: dict[str, Any]) -> dict[str, Any]:
    """The required `aht_s` key, holding talk + hold (see QueueReport.as_json)."""
    return {**values, "aht_s": values["talk_hold_s"]}


def summary_json(summary: QueueSummary) -> dict[str, Any]:
    """One queue summary in the report's field order (rates 0-1, times in seconds)."""
    return {name: getattr(summary, name) for name in REPORT_FIELDS}


def _by_queue(book: ThresholdBook, attribute: str) -> ColumnElement[Any]:
    """A queue's threshold as SQL: CASE queue WHEN 'billing' THEN 30 ... ELSE default END."""
    default = getattr(book.default, attribute)
    overrides = {q: getattr(t, attribute) for q, t in book.overrides.items()}
    if not overrides:
        return literal(default)
    return case(overrides, value=QueueVisit.queue, else_=literal(default))


def _epoch_s(session: Session) -> ColumnElement[Any]:
    """Whole epoch seconds of a visit's entry, in the database's own dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", QueueVisit.entered_at), Integer)
    return cast(func.floor(func.extract("epoch", QueueVisit.entered_at)), Integer)


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _total(condition: ColumnElement[bool], value: Any) -> ColumnElement[Any]:
    return func.sum(case((condition, value), else_=0.0))


def visit_totals(
    session: Session, query: ReportQuery, book: ThresholdBook
) -> dict[tuple[str, datetime | None], QueueTotals]:
    """Counts and sums per (queue, interval start) in one grouped query (interval None when
    the query has no interval). Every KPI of `kpi.definitions` derives from these totals."""
    wait = func.coalesce(QueueVisit.wait_s, 0.0)
    threshold = _by_queue(book, "service_level_s")
    short = _by_queue(book, "short_abandon_s")
    answered = QueueVisit.outcome.in_(ANSWERED)
    abandoned = QueueVisit.outcome == "abandoned"
    left_otherwise = QueueVisit.outcome.in_(LEFT_OTHERWISE)
    columns: list[Any] = [
        QueueVisit.queue,
        func.count(),
        _count(answered),
        _count(and_(answered, wait <= threshold)),
        _count(abandoned),
        _count(and_(abandoned, wait < short)),
        _count(and_(abandoned, wait <= threshold)),
        _count(left_otherwise),
        _count(and_(left_otherwise, wait <= threshold)),
        _count(QueueVisit.outcome == "transferred"),
        _total(answered, wait),
        _total(abandoned, wait),
        _total(answered, func.coalesce(QueueVisit.talk_s, 0.0)),
        _total(answered, QueueVisit.hold_s),
        func.max(wait),
    ]
    if query.interval_s and session.get_bind().dialect.name == "sqlite":
        return _sqlite_bucketed(session, query, book, columns)
    group: list[Any] = [QueueVisit.queue]
    if query.interval_s:
        origin = origin_s(query.interval_s)
        bucket = ((_epoch_s(session) - origin) // query.interval_s).label("bucket")
        columns.append(bucket)
        group.append(bucket)
    statement = (
        select(*columns)
        .where(QueueVisit.entered_at >= query.start, QueueVisit.entered_at < query.end)
        .group_by(*group)
    )
    if query.queues is not None:
        statement = statement.where(QueueVisit.queue.in_(list(query.queues)))
    result: dict[tuple[str, datetime | None], QueueTotals] = {}
    for row in session.execute(statement):
        name = row[0]
        totals = _totals_of(book, name, row)
        start = None
        if query.interval_s:
            start = bucket_start(
                origin_s(query.interval_s) + row[15] * query.interval_s, query.interval_s
            )
        result[(name, start)] = totals
    return result


def _totals_of(book: ThresholdBook, name: str, row: Any) -> QueueTotals:
    return QueueTotals(
        book.for_queue(name),
        offered=row[1],
        answered=row[2],
        answered_within=row[3],
        abandoned=row[4],
        short_abandoned=row[5],
        abandoned_within=row[6],
        timeouts=row[7],
        timeouts_within=row[8],
        transferred=row[9],
        wait_answered_s=float(row[10]),
        wait_abandoned_s=float(row[11]),
        talk_s=float(row[12]),
        hold_s=float(row[13]),
        longest_wait_s=float(row[14]),
    )


def _stamp(at: datetime) -> str:
    """A UTC timestamp as SQLite stores it (text that sorts in time order)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_bucketed(
    session: Session, query: ReportQuery, book: ThresholdBook, columns: list[Any]
) -> dict[tuple[str, datetime | None], QueueTotals]:
    """SQLite has no hash aggregation: grouping a million rows by a computed bucket sorts
    them all. Instead the (queue, interval) pairs go into a small temporary table keyed in
    order, and each pair reads its own range of the (queue, entered_at) index, so rows arrive
    already grouped and nothing is sorted."""
    assert query.interval_s
    step = timedelta(seconds=query.interval_s)
    if query.queues is not None:
        names = sorted(set(query.queues))
    else:
        window = and_(QueueVisit.entered_at >= query.start, QueueVisit.entered_at < query.end)
        names = sorted(session.scalars(select(QueueVisit.queue).where(window).distinct()))
    result: dict[tuple[str, datetime | None], QueueTotals] = {}
    if not names:
        return result
    first = bucket_of(query.start, query.interval_s)
    starts: list[datetime] = []
    at = first
    while at < query.end:
        starts.append(at)
        at += step
    rows = [
        {
            "queue": name,
            "i": i,
            "s": _stamp(max(b, query.start)),
            "e": _stamp(min(b + step, query.end)),
        }
        for name in names
        for i, b in enumerate(starts)
    ]
    session.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS kpi_buckets (queue TEXT, i INTEGER, s TEXT, e TEXT,"
            " PRIMARY KEY (queue, i)) WITHOUT ROWID"
        )
    )
    session.execute(text("DELETE FROM kpi_buckets"))
    session.execute(text("INSERT INTO kpi_buckets VALUES (:queue, :i, :s, :e)"), rows)
    aggregates = ", ".join(
        str(
            column.compile(
                dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
            )
        )
        for column in columns[1:]
    )
    statement = text(
        f"SELECT b.queue, b.i, {aggregates} FROM kpi_buckets AS b CROSS JOIN queue_visits"
        " INDEXED BY ix_queue_visits_queue_entered_at ON queue_visits.queue = b.queue"
        " AND queue_visits.entered_at >= b.s AND queue_visits.entered_at < b.e"
        " GROUP BY b.queue, b.i"
    )
    for row in session.execute(statement):
        name, index = row[0], row[1]
        result[(name, starts[index])] = _totals_of(book, name, (row[0], *row[2:]))
    session.execute(text("DELETE FROM kpi_buckets"))
    return result


def merge_totals(into: QueueTotals, other: QueueTotals) -> None:
    """Add `other`'s counts and sums to `into` (longest wait: the larger)."""
    for name in (
        "offered", "answered", "answered_within", "abandoned", "short_abandoned",
        "abandoned_within", "timeouts", "timeouts_within", "transferred",
        "wait_answered_s", "wait_abandoned_s", "talk_s", "hold_s",
    ):  # fmt: skip
        setattr(into, name, getattr(into, name) + getattr(other, name))
    into.longest_wait_s = max(into.longest_wait_s, other.longest_wait_s)


def queue_report(session: Session, query: ReportQuery, book: ThresholdBook) -> QueueReport:
    """Whole-period KPIs by queue and, when the query has an interval, per interval too.

    Queues asked for by name appear even with no calls, their rates null."""
    grouped = visit_totals(session, query, book)
    whole: dict[str, QueueTotals] = {
        name: QueueTotals(book.for_queue(name)) for name in (query.queues or ())
    }
    for (name, _start), totals in sorted(grouped.items(), key=lambda item: item[0][0]):
        merge_totals(whole.setdefault(name, QueueTotals(book.for_queue(name))), totals)
    report = QueueReport(query)
    report.queues = {name: summarize(name, whole[name]) for name in sorted(whole)}
    if query.interval_s:
        rows = [(start, name, totals) for (name, start), totals in grouped.items()]
        rows.sort(key=lambda row: (row[0] or query.start, row[1]))
        report.intervals = [
            (start, summarize(name, totals)) for start, name, totals in rows if start is not None
        ]
    return report
