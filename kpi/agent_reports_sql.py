"""What agent reports read: answered visits per agent and interval, and agent-state time per
agent and interval, summed in SQL; pauses and spans across an interval edge come back
whole, to be clipped in Python (see `kpi.agent_reports`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callcenter.calls.models import AgentStateInterval, QueueVisit
from callcenter.calls.records import VisitOutcome
from kpi.definitions import ANSWERED_OUTCOMES
from kpi.intervals import origin_s

# The states most spans are in, summed in SQL; the others (pauses with their reasons, any
# state a newer tracker adds) are few and come back as spans.
SUMMED_STATES = ("available", "ringing", "on_call", "wrap_up")


class HandledCalls(NamedTuple):
    """Answered visits of one agent name that entered the queue in one interval starting at
    `bucket_s` (epoch seconds; None: the whole period): counts, talk and hold seconds."""

    agent: str
    bucket_s: int | None
    answered: int
    transferred: int
    talk_s: float
    hold_s: float


class StateTime(NamedTuple):
    """Seconds one agent name spent in each of SUMMED_STATES inside one interval starting
    at `bucket_s` (epoch seconds; None: the whole period)."""

    agent: str
    bucket_s: int | None
    seconds: tuple[float, ...]


class StateSpan(NamedTuple):
    """One agent-state interval not summed in SQL (a pause, another state, or one across an
    interval edge or the period's), its ends as epoch seconds."""

    agent: str
    state: str
    reason: str | None
    start_s: float
    end_s: float


def _entry_epoch_s(session: Session) -> ColumnElement[Any]:
    """Whole epoch seconds of a visit's entry. Interval edges are whole seconds, so the
    floor never moves a visit into another interval."""
    if session.get_bind().dialect.name == "sqlite":
        # strftime('%s') would give the same whole seconds (both round to SQLite's
        # milliseconds first); julianday is the cheaper function.
        return _epoch_ms(session, QueueVisit.entered_at) // 1000
    return cast(func.floor(func.extract("epoch", QueueVisit.entered_at)), Integer)


def handled_calls(
    session: Session, start: datetime, end: datetime, interval_s: int | None, shift_s: int = 0
) -> list[HandledCalls]:
    """Answered (and transferred) visits that entered the queue in [start, end), grouped by
    agent name and, with an interval, by the interval of their entry (as queue reports do),
    on a clock `shift_s` seconds ahead of UTC (the site's offset, constant over the period)."""
    columns: list[Any] = [
        QueueVisit.agent,
        func.count(),
        func.sum(case((QueueVisit.outcome == VisitOutcome.TRANSFERRED, 1), else_=0)),
        func.sum(func.coalesce(QueueVisit.talk_s, 0.0)),
        func.sum(func.coalesce(QueueVisit.hold_s, 0.0)),
    ]
    group: list[Any] = [QueueVisit.agent]
    if interval_s:
        origin = origin_s(interval_s) - shift_s
        bucket = ((_entry_epoch_s(session) - origin) // interval_s).label("bucket")
        columns.append(bucket)
        group.append(bucket)
    statement = (
        select(*columns)
        .where(
            QueueVisit.outcome.in_(ANSWERED_OUTCOMES),
            QueueVisit.agent.is_not(None),
            QueueVisit.entered_at >= start,
            QueueVisit.entered_at < end,
        )
        .group_by(*group)
    )
    step = interval_s or 0
    origin = origin_s(step) - shift_s if step else 0
    return [
        HandledCalls(
            row[0],
            origin + row[5] * step if step else None,
            row[1],
            int(row[2] or 0),
            float(row[3]),
            float(row[4]),
        )
        for row in session.execute(statement)
    ]


def _epoch_ms(session: Session, column: Any) -> ColumnElement[Any]:
    """A timestamp as whole epoch milliseconds, in the database's own dialect.

    SQLite's date functions keep milliseconds, so state time is summed to the millisecond
    (rounded, never drifting across a whole-second interval edge)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.round((func.julianday(column) - 2440587.5) * 86400000.0), BigInteger)
    return cast(func.round(func.extract("epoch", column) * 1000), BigInteger)


def _spans(session: Session, start: datetime, end: datetime) -> Any:
    """The agent-state intervals overlapping [start, end) but logged-out ones, their ends
    as epoch milliseconds `b` and `e`: a CTE the database computes once.

    Older trackers wrote one interval per queue for the same span: when the table holds
    any such row, spans are taken once per (agent, state, start)."""
    asi = AgentStateInterval
    # Logged-out time is in no KPI: leaving it out spares the long overnight spans.
    overlap = (asi.started_at < end, asi.ended_at > start, asi.state != "logged_out")
    # `> ""` rather than `!= ""`: SQLite answers it from the unique index in a few seeks.
    per_queue = session.scalar(select(exists().where(asi.queue > "")))
    began = _epoch_ms(session, asi.started_at).label("b")
    if not per_queue:
        ended = _epoch_ms(session, asi.ended_at).label("e")
        spans = select(asi.agent, asi.state, asi.reason, began, ended).where(*overlap)
    else:
        ended = _epoch_ms(session, func.max(asi.ended_at)).label("e")
        reason = func.max(asi.reason).label("reason")
        spans = (
            select(asi.agent, asi.state, reason, began, ended)
            .where(*overlap)
            .group_by(asi.agent, asi.state, asi.started_at)
        )
    cte = spans.cte("spans")
    if session.get_bind().dialect.name in ("sqlite", "postgresql"):
        # Read by both halves of the query below: computed once, not once per half.
        cte = cte.prefix_with("MATERIALIZED")
    return cte


def state_time(
    session: Session, start: datetime, end: datetime, interval_s: int | None, shift_s: int = 0
) -> tuple[list[StateTime], list[StateSpan]]:
    """Agent-state time for [start, end), in one query: summed in SQL, one row per agent and
    interval, for the spans of the busy states (SUMMED_STATES) that lie inside the period
    and inside one interval, which is nearly all of them; every other span (pauses, which
    carry a reason; spans across an edge) comes back whole, to be clipped.

    A span inside an interval has its start and its last millisecond in the same interval,
    so one ending exactly on an interval edge still counts as inside. Intervals are cut on
    a clock `shift_s` seconds ahead of UTC (the site's offset, constant over the period)."""
    spans = _spans(session, start, end)
    began, ended = spans.c.b, spans.c.e
    low, high = round(start.timestamp() * 1000), round(end.timestamp() * 1000)
    inside: ColumnElement[bool] = and_(
        spans.c.state.in_(SUMMED_STATES), began >= low, ended <= high
    )
    step = interval_s or 0
    origin = origin_s(step) - shift_s if step else 0
    bucket: ColumnElement[Any] = literal(0)
    if step:
        bucket = (began - origin * 1000) // (step * 1000)
        inside = and_(inside, bucket == (ended - 1 - origin * 1000) // (step * 1000))
    # One CASE per state: only the matching branch computes the span's length.
    sums = [func.sum(case((spans.c.state == s, ended - began), else_=0)) for s in SUMMED_STATES]
    blank = [null()] * len(SUMMED_STATES)
    summed = (
        select(spans.c.agent, bucket, *sums, null(), null(), null(), null())
        .where(inside)
        .group_by(spans.c.agent, bucket)
    )
    rest = select(spans.c.agent, null(), *blank, spans.c.state, spans.c.reason, began, ended).where(
        ~inside
    )
    times, crossing = [], []
    width = len(SUMMED_STATES)
    for row in session.execute(union_all(summed, rest)):
        agent, index, state = row[0], row[1], row[2 + width]
        if state is None:
            at = origin + index * step if step else None
            # int(): PostgreSQL sums bigint into numeric, which the driver reads as Decimal.
            times.append(StateTime(agent, at, tuple(int(t) / 1000 for t in row[2 : 2 + width])))
        else:
            reason, first, last = row[3 + width :]
            crossing.append(StateSpan(agent, state, reason, first / 1000, last / 1000))
    return times, crossing
