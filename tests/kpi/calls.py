"""Hand-written calls for KPI tests: one line per queue visit, stored like real records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from callcenter.calls.records import (
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)
from kpi.rollups.keeping import rollup_listener
from kpi.thresholds import ThresholdBook

DAY = datetime(2026, 3, 2, tzinfo=UTC)
# What every writer hands `store_calls`: kpi's queue rollups, with the default thresholds.
ROLLUPS = (rollup_listener(ThresholdBook()),)


def at(clock: str) -> datetime:
    """`09:14:30` on the test day."""
    hours, minutes, seconds = (int(part) for part in clock.split(":"))
    return DAY + timedelta(hours=hours, minutes=minutes, seconds=seconds)


def visit(
    queue: str,
    entered: str,
    outcome: VisitOutcome,
    wait: float,
    talk: float | None = None,
    hold: float = 0.0,
    agent: str | None = None,
    wrap_up: float | None = None,
) -> QueueVisitRecord:
    return QueueVisitRecord(
        queue=queue,
        uniqueid=f"{queue}-{entered}",
        entered_at=at(entered),
        outcome=outcome,
        ended_at=at(entered) + timedelta(seconds=wait + (talk or 0)),
        wait_s=wait,
        talk_s=talk,
        hold_s=hold,
        agent=agent,
        wrap_up_s=wrap_up,
    )


def call(
    linkedid: str,
    *visits: QueueVisitRecord,
    number: str | None = "+15551230001",
    started: str | None = None,
) -> CallRecord:
    first = visits[0].entered_at if visits else at(started or "09:00:00")
    last = max((v.ended_at or first for v in visits), default=first)
    outcomes = {v.outcome for v in visits}
    answered = bool(outcomes & {VisitOutcome.ANSWERED, VisitOutcome.TRANSFERRED})
    return CallRecord(
        server="pbx",
        linkedid=linkedid,
        direction=Direction.INBOUND if visits else Direction.OUTBOUND,
        started_at=first,
        ended_at=last + timedelta(seconds=1),
        outcome=CallOutcome.ANSWERED if answered or not visits else CallOutcome.ABANDONED,
        caller_number=number,
        queue_visits=tuple(visits),
    )
