"""Queue interval rollups: totals per (queue, 15-minute interval), kept as visits are written.

A visit counts in the interval (UTC, on the quarter hour) in which it entered its queue, as in
the reports. Every figure is a count, a sum or a maximum, so longer intervals (30, 60 minutes,
days, weeks) are sums of these rows. The counts that depend on a queue's thresholds (answered
or left within T, short abandons) are counted with the thresholds stored on the row.

How the rows stay right, in the transaction that writes the visits:
- new visits are added to their rows (an upsert: INSERT ... ON CONFLICT DO UPDATE);
- an interval whose row was counted with other thresholds than the writer's, and every
  interval that lost a visit (a call stored again replaces its old visits), is counted again
  from the visits themselves, so nothing is counted twice and a maximum never goes stale;
- wrap-up seconds that reach a visit later are added to its row.

The SQL that counts visits is defined once, here (`visit_totals_columns`), and used both to
keep the rows and by reports that read visits directly. Only SQLite and PostgreSQL are
supported (they have the upsert and the epoch arithmetic used here).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    Table,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callcenter.calls.models import QueueIntervalRollup, QueueVisit
from callcenter.settings import Settings

ROLLUP_S = 900
ROLLUP = timedelta(seconds=ROLLUP_S)
ANSWERED = ("answered", "transferred")
LEFT_OTHERWISE = ("timeout", "exited")

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
    def from_settings(cls, settings: Settings) -> RollupThresholds:
        """The deployment's thresholds: `service_level_s`, `short_abandon_s` and the
        per-queue `queue_thresholds` (the same settings the reports are judged by)."""
        default = (settings.service_level_s, settings.short_abandon_s)
        return cls(
            *default,
            overrides={
                queue: (
                    float(values.get("service_level_s", default[0])),
                    float(values.get("short_abandon_s", default[1])),
                )
                for queue, values in settings.queue_thresholds.items()
            },
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
    answered = QueueVisit.outcome.in_(ANSWERED)
    abandoned = QueueVisit.outcome == "abandoned"
    left_otherwise = QueueVisit.outcome.in_(LEFT_OTHERWISE)
    return [
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
        _total(answered, func.coalesce(QueueVisit.wrap_up_s, 0.0)),
        func.max(wait),
    ]


def _rollups_table() -> Table:
    return QueueIntervalRollup.metadata.tables[QueueIntervalRollup.__tablename__]


def _dialect(session: Session) -> str:
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


def _insert(dialect: str) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO UPDATE (both spell it the same)."""
    # On the table, not the mapped class: a Core statement takes plain bind parameters.
    if dialect == "sqlite":
        return sqlite_insert(_rollups_table())
    return postgresql_insert(_rollups_table())


def _counting(
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


def add_visits(
    session: Session,
    call_ids: Sequence[int],
    touched: Iterable[IntervalKey],
    thresholds: RollupThresholds,
) -> None:
    """Count the visits of `call_ids` (written in this transaction, not counted before) in
    their rows. `touched` are their (queue, interval) keys; a row among them that was
    counted with other thresholds is counted again from its visits, with `thresholds`."""
    if not call_ids:
        return
    stale = [key for key, stored in _stored_thresholds(session, touched).items()
             if stored != thresholds.for_queue(key[0])]  # fmt: skip
    adding = _adding(
        _dialect(session),
        thresholds.service_level_s,
        thresholds.short_abandon_s,
        tuple(sorted(thresholds.overrides.items())),
    )
    for chunk in _chunks(call_ids, 400):
        session.execute(adding, {"call_ids": list(chunk)})
    recount(session, stale, thresholds)


@lru_cache(maxsize=16)
def _adding(
    dialect: str,
    service_level_s: float,
    short_abandon_s: float,
    overrides: tuple[tuple[str, tuple[float, float]], ...],
) -> Any:
    """The upsert that adds the visits of the calls `:call_ids` to their rows. Built once
    per dialect and thresholds (the arguments, hashable): it runs for every batch written."""
    thresholds = RollupThresholds(service_level_s, short_abandon_s, dict(overrides))
    names, counting = _counting(
        dialect, thresholds, QueueVisit.call_id.in_(bindparam("call_ids", expanding=True))
    )
    insert = _insert(dialect).from_select(names, counting)
    table, new = _rollups_table(), insert.excluded
    added: dict[str, Any] = {name: table.c[name] + new[name] for name in SUM_FIELDS}
    added["longest_wait_s"] = case(
        (new.longest_wait_s > table.c.longest_wait_s, new.longest_wait_s),
        else_=table.c.longest_wait_s,
    )
    return insert.on_conflict_do_update(index_elements=["queue", "interval_start"], set_=added)


def recount(session: Session, keys: Iterable[IntervalKey], thresholds: RollupThresholds) -> None:
    """Count the rows of `keys` again from their visits (a row with no visit left goes)."""
    ranges = _merged([(queue, start, start + ROLLUP) for queue, start in set(keys)])
    if not ranges:
        return
    dialect = _dialect(session)
    for chunk in _chunks(ranges, 100):
        rows = or_(
            *(
                and_(
                    QueueIntervalRollup.queue == queue,
                    QueueIntervalRollup.interval_start >= start,
                    QueueIntervalRollup.interval_start < end,
                )
                for queue, start, end in chunk
            )
        )
        visits = or_(
            *(
                and_(
                    QueueVisit.queue == queue,
                    QueueVisit.entered_at >= start,
                    QueueVisit.entered_at < end,
                )
                for queue, start, end in chunk
            )
        )
        session.execute(delete(QueueIntervalRollup).where(rows))
        names, counting = _counting(dialect, thresholds, visits)
        session.execute(_insert(dialect).from_select(names, counting))


def rebuild(session: Session, thresholds: RollupThresholds) -> int:
    """Count every row again from all visits, with `thresholds`; returns how many rows."""
    dialect = _dialect(session)
    session.execute(delete(QueueIntervalRollup))
    names, counting = _counting(dialect, thresholds, true())
    session.execute(_insert(dialect).from_select(names, counting))
    session.flush()
    return session.scalar(select(func.count()).select_from(QueueIntervalRollup)) or 0


def add_wrap_up(
    session: Session, added: Mapping[IntervalKey, float], thresholds: RollupThresholds
) -> None:
    """Add wrap-up seconds of answered visits to their rows (a missing row is counted)."""
    added = {key: seconds for key, seconds in added.items() if seconds}
    if not added:
        return
    present = _stored_thresholds(session, added)
    table = _rollups_table()
    changes = [
        {"key_queue": queue, "key_start": start, "seconds": seconds}
        for (queue, start), seconds in added.items()
        if (queue, start) in present
    ]
    if changes:
        session.execute(  # a Core statement: executemany with its own WHERE per row
            update(table)
            .where(
                table.c.queue == bindparam("key_queue"),
                table.c.interval_start == bindparam("key_start"),
            )
            .values(wrap_up_s=table.c.wrap_up_s + bindparam("seconds")),
            changes,
        )
    recount(session, [key for key in added if key not in present], thresholds)


def _stored_thresholds(
    session: Session, keys: Iterable[IntervalKey]
) -> dict[IntervalKey, tuple[float, float]]:
    """The thresholds stored on the existing rows among `keys`."""
    by_queue: dict[str, list[datetime]] = {}
    for queue, start in set(keys):
        by_queue.setdefault(queue, []).append(start)
    wanted = {(queue, start) for queue, starts in by_queue.items() for start in starts}
    found: dict[IntervalKey, tuple[float, float]] = {}
    for queue, starts in by_queue.items():
        rows = session.execute(
            select(
                QueueIntervalRollup.interval_start,
                QueueIntervalRollup.service_level_s,
                QueueIntervalRollup.short_abandon_s,
            ).where(
                QueueIntervalRollup.queue == queue,
                QueueIntervalRollup.interval_start >= min(starts),
                QueueIntervalRollup.interval_start <= max(starts),
            )
        )
        for start, level, short in rows:
            if (queue, start) in wanted:
                found[(queue, start)] = (level, short)
    return found


def _merged(
    ranges: Sequence[tuple[str, datetime, datetime]],
) -> list[tuple[str, datetime, datetime]]:
    """Adjacent intervals of one queue joined into one range (fewer, larger index reads)."""
    merged: list[tuple[str, datetime, datetime]] = []
    for queue, start, end in sorted(ranges):
        if merged and merged[-1][0] == queue and merged[-1][2] == start:
            merged[-1] = (queue, merged[-1][1], end)
        else:
            merged.append((queue, start, end))
    return merged


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for first in range(0, len(items), size):
        yield items[first : first + size]
