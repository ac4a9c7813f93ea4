"""Queue visit totals read from the visits themselves, per piece of a 15-minute interval.

Reports read whole intervals from the rollups; what the rollups cannot answer (the partial
intervals at the ends of a period, intervals counted with other thresholds, a report that
asks for the visits on purpose) is read here, with the same SQL aggregates that keep the
rollups (`kpi.rollups.counting.visit_totals_columns`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, cast, func, literal_column, select, text
from sqlalchemy.orm import Session

from callcenter.calls.models import QueueVisit
from kpi.rollups.counting import ROLLUP_S, RollupThresholds, interval_of, visit_totals_columns

RawTotals = dict[tuple[str, datetime], tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Piece:
    """Visits of `queue` that entered in [start, end), all inside the 15-minute interval
    beginning at `interval`."""

    queue: str
    start: datetime
    end: datetime
    interval: datetime


def pieces_of(queue: str, start: datetime, end: datetime) -> list[Piece]:
    """[start, end) for one queue, cut at the 15-minute boundaries."""
    pieces = []
    interval = interval_of(start)
    while interval < end:
        following = datetime.fromtimestamp(interval.timestamp() + ROLLUP_S, UTC)
        pieces.append(Piece(queue, max(start, interval), min(end, following), interval))
        interval = following
    return pieces


def raw_totals(
    session: Session, pieces: Sequence[Piece], thresholds: RollupThresholds
) -> RawTotals:
    """Totals (in `TOTAL_FIELDS` order) per (queue, interval) of the visits in `pieces`.

    Pieces of one (queue, interval) add up; an interval with no visit is left out."""
    if not pieces:
        return {}
    if session.get_bind().dialect.name == "sqlite":
        return _sqlite_totals(session, pieces, thresholds)
    return _grouped_totals(session, pieces, thresholds)


def _stamp(at: datetime) -> str:
    """A UTC timestamp as SQLite stores it (text that sorts in time order)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_totals(
    session: Session, pieces: Sequence[Piece], thresholds: RollupThresholds
) -> RawTotals:
    """SQLite has no hash aggregation: grouping many rows by a computed interval sorts them
    all. Instead the pieces go into a small temporary table keyed in order, and each piece
    reads its own range of the (queue, entered_at) covering index, so rows arrive already
    grouped and nothing is sorted."""
    session.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS kpi_visit_pieces (queue TEXT, i INTEGER, s TEXT,"
            " e TEXT, PRIMARY KEY (queue, i)) WITHOUT ROWID"
        )
    )
    session.execute(text("DELETE FROM kpi_visit_pieces"))
    session.execute(
        text("INSERT INTO kpi_visit_pieces VALUES (:queue, :i, :s, :e)"),
        [
            {"queue": p.queue, "i": i, "s": _stamp(p.start), "e": _stamp(p.end)}
            for i, p in enumerate(pieces)
        ],
    )
    dialect = session.get_bind().dialect
    aggregates = ", ".join(
        str(column.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        for column in visit_totals_columns(thresholds)
    )
    statement = text(
        f"SELECT b.i, {aggregates} FROM kpi_visit_pieces AS b CROSS JOIN queue_visits"
        " INDEXED BY ix_queue_visits_queue_entered_at ON queue_visits.queue = b.queue"
        " AND queue_visits.entered_at >= b.s AND queue_visits.entered_at < b.e"
        " GROUP BY b.queue, b.i"
    )
    result: RawTotals = {}
    for row in session.execute(statement):
        piece = pieces[row[0]]
        _add(result, (piece.queue, piece.interval), tuple(row[1:]))
    session.execute(text("DELETE FROM kpi_visit_pieces"))
    return result


def _grouped_totals(
    session: Session, pieces: Sequence[Piece], thresholds: RollupThresholds
) -> RawTotals:
    """Elsewhere (PostgreSQL): one grouped query per run of adjacent pieces of a queue."""
    runs: list[tuple[str, datetime, datetime]] = []
    for piece in sorted(pieces, key=lambda p: (p.queue, p.start)):
        if runs and runs[-1][0] == piece.queue and runs[-1][2] == piece.start:
            runs[-1] = (piece.queue, runs[-1][1], piece.end)
        else:
            runs.append((piece.queue, piece.start, piece.end))
    # No bound parameters in the grouped expression: PostgreSQL matches it to the selected
    # one by its text.
    epoch = func.extract("epoch", QueueVisit.entered_at)
    index = cast(func.floor(epoch / literal_column(str(ROLLUP_S), Integer)), Integer)
    result: RawTotals = {}
    for queue, start, end in runs:
        statement = (
            select(index, *visit_totals_columns(thresholds))
            .where(
                QueueVisit.queue == queue,
                QueueVisit.entered_at >= start,
                QueueVisit.entered_at < end,
            )
            .group_by(index)
        )
        for row in session.execute(statement):
            interval = datetime.fromtimestamp(row[0] * ROLLUP_S, UTC)
            _add(result, (queue, interval), tuple(row[1:]))
    return result


def _add(result: RawTotals, key: tuple[str, datetime], values: tuple[Any, ...]) -> None:
    """Pieces of one interval add up (the last figure, the longest wait, is a maximum)."""
    found = result.get(key)
    if found is None:
        result[key] = values
        return
    result[key] = (
        *(a + b for a, b in zip(found[:-1], values[:-1], strict=True)),
        max(found[-1], values[-1]),
    )
