"""How queue visits are counted into 15-minute totals, in SQL: the one definition used both
to keep the rollups (`kpi.rollups.keeping`) and by reports that read visits directly.

A visit counts in the interval (UTC, on the quarter hour) in which it entered its queue, as in
the reports. Every figure is a count, a sum or a maximum, so longer intervals (30, 60 minutes,
days, weeks) are sums of these rows. The counts that depend on a queue's thresholds (answered
or left within T, short abandons) are counted with the thresholds stored on the row. Only
SQLite and PostgreSQL are supported (they have the upsert and the epoch arithmetic used here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Table, and_, case, cast, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callcenter.calls.models import QueueIntervalRollup, QueueVisit
from callcenter.calls.records import VisitOutcome
from kpi.definitions import ANSWERED_OUTCOMES, LEFT_OTHERWISE_OUTCOMES
from kpi.thresholds import ThresholdBook

ROLLUP_S = 900
ROLLUP = timedelta(seconds=ROLLUP_S)

# The additive figures, in the order `visit_totals_columns` yields them (then the longest wait).
SUM_FIELDS = (
    "offered",
    "answered",
    "answered_within",
    "abandoned",
    "short_abandoned",
    "abandoned_within",
    "timeouts",
    "timeouts_within",
    "transferred",
    "wait_answered_s",
    "wait_abandoned_s",
    "talk_s",
    "hold_s",
    "wrap_up_s",
)
TOTAL_FIELDS = (*SUM_FIELDS, "longest_wait_s")

IntervalKey = tuple[str, datetime]  # (queue, interval start)


@dataclass(frozen=True, slots=True)
class RollupThresholds:
    """The thresholds the threshold-dependent counts use: per queue, (T, short-abandon s)."""

    service_level_s: float = 20.0
    short_abandon_s: float = 5.0
    overrides: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def for_queue(self, queue: str) -> tuple[float, float]:
        """(service-level T, short-abandon seconds) of `queue`."""
        return self.overrides.get(queue, (self.service_level_s, self.short_abandon_s))

    @classmethod
    def of(cls, book: ThresholdBook) -> RollupThresholds:
        """The part of a threshold book the rollups count with: T and short-abandon seconds."""
        judged = {queue: book.for_queue(queue) for queue in book.queues()}
        return cls(
            book.default.service_level_s,
            book.default.short_abandon_s,
            {q: (t.service_level_s, t.short_abandon_s) for q, t in judged.items()},
        )


def interval_of(at: datetime) -> datetime:
    """The start (UTC) of the 15-minute interval holding `at` (whole seconds, as in SQL)."""
    return datetime.fromtimestamp(int(at.timestamp()) // ROLLUP_S * ROLLUP_S, UTC)


def _per_queue(thresholds: RollupThresholds, which: int) -> ColumnElement[Any]:
    """A queue's threshold as SQL: CASE queue WHEN 'billing' THEN 30 ... ELSE default END."""
    default = (thresholds.service_level_s, thresholds.short_abandon_s)[which]
    overrides = {queue: values[which] for queue, values in thresholds.overrides.items()}
    if not overrides:
        return literal(default)
    return case(overrides, value=QueueVisit.queue, else_=literal(default))


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _total(condition: ColumnElement[bool], value: Any) -> ColumnElement[Any]:
    return func.sum(case((condition, value), else_=0.0))


def visit_totals_columns(thresholds: RollupThresholds) -> list[ColumnElement[Any]]:
    """The totals of a set of visits as SQL aggregates, in `TOTAL_FIELDS` order.

    The classification is `kpi.definitions`'s: answered includes transferred; a short abandon
    waited strictly less than the short threshold; within T means a wait <= T; timeouts and
    other exits are left otherwise. A missing wait counts as 0 s, a missing talk or wrap-up
    as 0 s."""
    wait = func.coalesce(QueueVisit.wait_s, 0.0)
    threshold = _per_queue(thresholds, 0)
    short = _per_queue(thresholds, 1)
    answered = QueueVisit.outcome.in_(ANSWERED_OUTCOMES)
    abandoned = QueueVisit.outcome == VisitOutcome.ABANDONED
    left_otherwise = QueueVisit.outcome.in_(LEFT_OTHERWISE_OUTCOMES)
    return [
        func.count(),
        _count(answered),
        _count(and_(answered, wait <= threshold)),
        _count(abandoned),
        _count(and_(abandoned, wait < short)),
        _count(and_(abandoned, wait <= threshold)),
        _count(left_otherwise),
        _count(and_(left_otherwise, wait <= threshold)),
        _count(QueueVisit.outcome == VisitOutcome.TRANSFERRED),
        _total(answered, wait),
        _total(abandoned, wait),
        _total(answered, func.coalesce(QueueVisit.talk_s, 0.0)),
        _total(answered, QueueVisit.hold_s),
        _total(answered, func.coalesce(QueueVisit.wrap_up_s, 0.0)),
        func.max(wait),
    ]


def rollups_table() -> Table:
    return QueueIntervalRollup.metadata.tables[QueueIntervalRollup.__tablename__]


def dialect_of(session: Session) -> str:
    name = session.get_bind().dialect.name
    if name not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"queue interval rollups need SQLite or PostgreSQL, not {name}")
    return name


def _interval_start_sql(dialect: str) -> ColumnElement[Any]:
    """The start of a visit's 15-minute interval, as the database stores a timestamp.

    Written without bound parameters: PostgreSQL matches a grouped expression to the one
    selected by its text, and two binds of 900 would make them differ."""
    seconds = literal_column(str(ROLLUP_S), Integer)
    if dialect == "sqlite":
        index = cast(func.strftime(literal_column("'%s'"), QueueVisit.entered_at), Integer)
        # SQLAlchemy keeps SQLite timestamps as this text (UTC), which sorts in time order.
        return func.strftime(
            literal_column("'%Y-%m-%d %H:%M:%S.000000'"),
            index // seconds * seconds,
            literal_column("'unixepoch'"),
        )
    epoch = func.extract("epoch", QueueVisit.entered_at)
    return func.to_timestamp(cast(func.floor(epoch / seconds), Integer) * seconds)


def insert_rows(dialect: str) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO UPDATE (both spell it the same)."""
    # On the table, not the mapped class: a Core statement takes plain bind parameters.
    if dialect == "sqlite":
        return sqlite_insert(rollups_table())
    return postgresql_insert(rollups_table())


def counting(
    dialect: str, thresholds: RollupThresholds, where: ColumnElement[bool]
) -> tuple[list[str], Any]:
    """(columns, SELECT) giving one rollup row per (queue, interval) of the visits `where`."""
    start = _interval_start_sql(dialect)
    statement = (
        select(
            QueueVisit.queue,
            start,
            _per_queue(thresholds, 0),
            _per_queue(thresholds, 1),
            *visit_totals_columns(thresholds),
        )
        .where(where)
        .group_by(QueueVisit.queue, start)
    )
    names = ["queue", "interval_start", "service_level_s", "short_abandon_s", *TOTAL_FIELDS]
    return names, statement
