"""Queue totals per 15-minute interval for reports: from the rollups where they can answer,
from the visits where they cannot.

The rollups (table `queue_interval_rollups`, kept by `kpi.rollups.keeping`) hold one row per
(queue, 15-minute interval, UTC) with every additive figure of the visits that entered in
it, kept in the transaction that stores them. A report over [start, end) reads:
- every whole interval inside the period from its rollup row, when the row was counted
  with the thresholds the queue is judged by now (T and short-abandon seconds);
- from the visits: the partial intervals at either end of a period that does not start or
  end on a quarter hour, and every interval whose row was counted with other thresholds
  (after a settings change; `callcenter kpi rollup rebuild` counts them all again).
Longer intervals (30, 60 minutes, days, weeks) are sums of these 15-minute totals.

The rollups are complete by construction: migration 0007 counted the visits stored before
it, `store_calls` and `store_wrap_ups` keep them (every writer hands them `rollup_listener`),
and a rebuild counts everything again. A visit written by other means (raw SQL) is not in
them until a rebuild.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.calls.models import QueueIntervalRollup, QueueVisit
from kpi.rollups.counting import ROLLUP, TOTAL_FIELDS, RollupThresholds, interval_of
from kpi.rollups.raw import Piece, pieces_of, raw_totals
from kpi.summary import QueueTotals
from kpi.thresholds import ThresholdBook

# Per (queue, 15-minute interval start): the totals in `TOTAL_FIELDS` order (counts as int,
# seconds as float). Plain tuples: a month has thousands of intervals to add up.
IntervalTotals = dict[tuple[str, datetime], tuple[Any, ...]]


def interval_totals(
    session: Session,
    start: datetime,
    end: datetime,
    queues: Sequence[str] | None,
    book: ThresholdBook,
    *,
    use_rollups: bool = True,
) -> IntervalTotals:
    """Totals of the visits that entered in [start, end), per (queue, 15-minute interval
    start); `queues` None means every queue. Without `use_rollups`, everything is read
    from the visits (what the rollups must always agree with)."""
    thresholds = RollupThresholds.of(book)
    if not use_rollups:
        names = list(queues) if queues is not None else _queues_with_visits(session, start, end)
        everything = [piece for name in names for piece in pieces_of(name, start, end)]
        return _numbers(raw_totals(session, everything, thresholds))
    # Whole intervals: from the first quarter hour at or after start to the last before end.
    first = interval_of(start)
    if first < start:
        first += ROLLUP
    last = interval_of(end)
    result: IntervalTotals = {}
    pieces: list[Piece] = []
    if first < last:
        result, pieces = _whole_intervals(session, first, last, queues, thresholds)
    if first > last:  # start and end within one interval
        edges = [(start, end)]
    else:
        edges = [(start, first)] if start < first else []
        edges += [(last, end)] if last < end else []
    if edges:
        names = list(queues) if queues is not None else _queues_at(session, edges)
        for name in names:
            for edge_start, edge_end in edges:
                pieces += pieces_of(name, edge_start, edge_end)
    result.update(_numbers(raw_totals(session, pieces, thresholds)))
    return result


def _whole_intervals(
    session: Session,
    first: datetime,
    last: datetime,
    queues: Sequence[str] | None,
    thresholds: RollupThresholds,
) -> tuple[IntervalTotals, list[Piece]]:
    """The rollup rows of the intervals in [first, last) counted with `thresholds`, and the
    intervals counted with others, as pieces to read from the visits."""
    table = QueueIntervalRollup.__table__
    statement = select(
        table.c.queue,
        table.c.interval_start,
        table.c.service_level_s,
        table.c.short_abandon_s,
        *(table.c[name] for name in TOTAL_FIELDS),
    ).where(table.c.interval_start >= first, table.c.interval_start < last)
    if queues is not None:
        statement = statement.where(table.c.queue.in_(list(queues)))
    result: IntervalTotals = {}
    pieces: list[Piece] = []
    judged: dict[str, tuple[float, float]] = {}
    for row in session.execute(statement):
        queue, interval, level, short = row[0], row[1], row[2], row[3]
        if queue not in judged:
            judged[queue] = thresholds.for_queue(queue)
        if (level, short) == judged[queue]:
            result[(queue, interval)] = tuple(row[4:])
        else:  # counted with other thresholds: count this interval from its visits
            pieces.append(Piece(queue, interval, interval + ROLLUP, interval))
    return result, pieces


def _queues_at(session: Session, edges: list[tuple[datetime, datetime]]) -> list[str]:
    """Queues with visits in the intervals holding the period's ends (their rollup rows)."""
    intervals = {interval_of(edge_start) for edge_start, _ in edges}
    found = session.scalars(
        select(QueueIntervalRollup.queue)
        .where(QueueIntervalRollup.interval_start.in_(sorted(intervals)))
        .distinct()
    )
    return sorted(found)


def _queues_with_visits(session: Session, start: datetime, end: datetime) -> list[str]:
    window = (QueueVisit.entered_at >= start, QueueVisit.entered_at < end)
    return sorted(session.scalars(select(QueueVisit.queue).where(*window).distinct()))


def _numbers(raw: dict[tuple[str, datetime], tuple[Any, ...]]) -> IntervalTotals:
    """SQL sums as the rollup columns hold them: counts as int, seconds as float."""
    return {
        key: tuple(
            float(value or 0.0) if name.endswith("_s") else int(value or 0)
            for name, value in zip(TOTAL_FIELDS, values, strict=True)
        )
        for key, values in raw.items()
    }


def totals_of(book: ThresholdBook, queue: str, values: Sequence[Any]) -> QueueTotals:
    """The QueueTotals of one queue from values in `TOTAL_FIELDS` order (QueueTotals lists
    its fields in that order after the thresholds; positional, as this runs per interval)."""
    return QueueTotals(book.for_queue(queue), *values)
