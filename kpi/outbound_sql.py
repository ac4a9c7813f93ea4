"""What outbound reports read: dial attempts summed in SQL per campaign and piece of time,
dispositions counted per code, and the state of the campaigns' lists.

A report's time is cut into contiguous pieces `[edges[i], edges[i+1])` (its intervals, cut
in the site's zone by `kpi.intervals`); every figure is a sum over the attempts reserved in a
piece, read through the (campaign_id, reserved_at) index. SQLite sums each piece's own index
range (a small temporary table of pieces joined by range, so rows arrive grouped and nothing
is sorted, as `kpi.rollups.raw` does for queue visits); PostgreSQL groups one range scan by
`width_bucket` over the edges.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import DateTime, case, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callcenter.campaigns.enums import Outcome
from callcenter.campaigns.models import DialAttempt, Lead
from kpi.outbound_definitions import DIALLED_OUTCOMES, LEFT_STATES

# The sums of one campaign's attempts in one piece, in this order (counts, then seconds).
OUTCOME_FIELDS = tuple(outcome.value for outcome in Outcome)
ATTEMPT_FIELDS = ("attempts", "dials", *OUTCOME_FIELDS, "pending", "first_tries", "talk_s")
PieceTotals = dict[tuple[int, int], tuple[Any, ...]]
PieceDispositions = dict[tuple[int, int], dict[str, int]]


class ListState(NamedTuple):
    """One call list now: its leads, those tried at least once, those still to dial."""

    leads: int
    tried: int
    left: int


def _aggregates(columns: Any) -> list[ColumnElement[Any]]:
    """The sums of ATTEMPT_FIELDS over attempt rows whose columns are `columns` (the table's
    own, or a subquery's of the same names)."""
    outcome = columns.outcome

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((condition, 1), else_=0))

    dialled = columns.dialed_at.is_not(None) | outcome.in_([o.value for o in DIALLED_OUTCOMES])
    return [
        func.count(),
        count_if(dialled),
        *(count_if(outcome == value) for value in OUTCOME_FIELDS),
        count_if(outcome.is_(None)),
        count_if(columns.number == 1),
        func.sum(case((outcome == Outcome.ANSWERED.value, func.coalesce(columns.talk_s, 0.0)))),
    ]


def _numbers(values: Sequence[Any]) -> tuple[Any, ...]:
    """SQL sums as plain numbers: counts as int, seconds as float (None: 0)."""
    *counts, talk = values
    return (*(int(v or 0) for v in counts), float(talk or 0.0))


def attempt_totals(
    session: Session, campaign_ids: Sequence[int], edges: Sequence[datetime]
) -> PieceTotals:
    """ATTEMPT_FIELDS per (campaign id, piece index) of the attempts reserved in each piece
    `[edges[i], edges[i+1])`; a piece with no attempt is left out."""
    if not campaign_ids or len(edges) < 2:
        return {}
    if session.get_bind().dialect.name == "sqlite":
        rows = _sqlite_rows(session, campaign_ids, edges, _aggregates(DialAttempt.__table__.c))
    else:
        rows = _bucketed_rows(session, campaign_ids, edges, None)
    return {(row[0], row[1]): _numbers(row[2:]) for row in rows}


def disposition_totals(
    session: Session, campaign_ids: Sequence[int], edges: Sequence[datetime]
) -> PieceDispositions:
    """Attempts per disposition code, per (campaign id, piece index), as `attempt_totals`."""
    if not campaign_ids or len(edges) < 2:
        return {}
    if session.get_bind().dialect.name == "sqlite":
        code = DialAttempt.__table__.c.disposition
        rows = _sqlite_rows(session, campaign_ids, edges, [code, func.count()], by=code)
    else:
        rows = _bucketed_rows(session, campaign_ids, edges, "disposition")
    result: PieceDispositions = {}
    for campaign, index, disposition, count in rows:
        result.setdefault((campaign, index), {})[disposition] = int(count)
    return result


def _stamp(at: datetime) -> str:
    """A UTC timestamp as SQLite stores it (text that sorts in time order)."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_rows(
    session: Session,
    campaign_ids: Sequence[int],
    edges: Sequence[datetime],
    columns: list[ColumnElement[Any]],
    by: ColumnElement[Any] | None = None,
) -> list[Any]:
    """(campaign, piece, *columns) rows: each piece of each campaign reads its own range of
    the (campaign_id, reserved_at) index, in the order of the pieces' primary key."""
    session.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS kpi_dial_pieces (c INTEGER, i INTEGER, s TEXT,"
            " e TEXT, PRIMARY KEY (c, i)) WITHOUT ROWID"
        )
    )
    session.execute(text("DELETE FROM kpi_dial_pieces"))
    stamps = [_stamp(at) for at in edges]
    session.execute(
        text("INSERT INTO kpi_dial_pieces VALUES (:c, :i, :s, :e)"),
        [
            {"c": campaign, "i": i, "s": stamps[i], "e": stamps[i + 1]}
            for campaign in sorted(set(campaign_ids))
            for i in range(len(stamps) - 1)
        ],
    )
    dialect = session.get_bind().dialect
    selected = ", ".join(
        str(column.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        for column in columns
    )
    where, group = "", ""
    if by is not None:
        name = str(by.compile(dialect=dialect))
        where, group = f" WHERE {name} IS NOT NULL", f", {name}"
    statement = text(
        f"SELECT b.c, b.i, {selected} FROM kpi_dial_pieces AS b CROSS JOIN dial_attempts"
        " INDEXED BY ix_dial_attempts_campaign_started ON dial_attempts.campaign_id = b.c"
        " AND dial_attempts.reserved_at >= b.s AND dial_attempts.reserved_at < b.e"
        f"{where} GROUP BY b.c, b.i{group}"
    )
    rows = list(session.execute(statement))
    session.execute(text("DELETE FROM kpi_dial_pieces"))
    return rows


def _bucketed_rows(
    session: Session, campaign_ids: Sequence[int], edges: Sequence[datetime], by: str | None
) -> list[Any]:
    """PostgreSQL: one range scan, each attempt put in its piece by `width_bucket` over the
    edges (1 for the first piece), grouped; `by` a column to group by too (non-null only)."""
    attempts = DialAttempt.__table__.c
    bounds = literal([at.astimezone(UTC) for at in edges], ARRAY(DateTime(timezone=True)))
    piece = (func.width_bucket(attempts.reserved_at, bounds) - 1).label("piece")
    conditions = [
        attempts.campaign_id.in_(sorted(set(campaign_ids))),
        attempts.reserved_at >= edges[0],
        attempts.reserved_at < edges[-1],
    ]
    if by is not None:
        conditions.append(attempts[by].is_not(None))
    # Bucketed in a subquery: the edges are bound once, and the grouping names its column.
    rows = select(*attempts, piece).where(*conditions).subquery()
    keys: list[Any] = [rows.c.campaign_id, rows.c.piece]
    if by is None:
        statement = select(*keys, *_aggregates(rows.c)).group_by(*keys)
    else:
        statement = select(*keys, rows.c[by], func.count()).group_by(*keys, rows.c[by])
    return list(session.execute(statement))


def list_states(session: Session, list_ids: Sequence[int]) -> dict[int, ListState]:
    """Each list's leads now: all of them, tried at least once, still to be dialled."""
    if not list_ids:
        return {}
    left = [state.value for state in LEFT_STATES]
    statement = (
        select(
            Lead.list_id,
            func.count(),
            func.sum(case((Lead.attempts > 0, 1), else_=0)),
            func.sum(case((Lead.state.in_(left), 1), else_=0)),
        )
        .where(Lead.list_id.in_(sorted(set(list_ids))))
        .group_by(Lead.list_id)
    )
    found = {
        row[0]: ListState(int(row[1]), int(row[2] or 0), int(row[3] or 0))
        for row in session.execute(statement)
    }
    return {list_id: found.get(list_id, ListState(0, 0, 0)) for list_id in list_ids}
