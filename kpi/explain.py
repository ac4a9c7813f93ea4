"""A KPI explained: the queue visits in its numerator and in its denominator.

Uses the same predicates as `kpi.definitions`, so what is listed is what was counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.calls.models import Call, QueueVisit
from callcenter.calls.records import VisitOutcome
from callcenter.queues.routing.store import decisions_for_calls
from kpi import definitions as kpi
from kpi.summary import QueueThresholds
from kpi.team_roster import is_visible


@dataclass(frozen=True, slots=True)
class VisitRow:
    """A queue visit as listed by an explanation."""

    linkedid: str
    uniqueid: str
    queue: str
    entered_at: datetime
    outcome: VisitOutcome
    wait_s: float | None
    talk_s: float | None
    hold_s: float
    agent: str | None
    caller_number: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "linkedid": self.linkedid,
            "uniqueid": self.uniqueid,
            "queue": self.queue,
            "entered_at": self.entered_at.isoformat(),
            "outcome": self.outcome.value,
            "wait_s": self.wait_s,
            "talk_s": self.talk_s,
            "agent": self.agent,
            "caller_number": self.caller_number,
        }


Rule = Callable[[VisitRow, QueueThresholds], bool]


def _answered_within(v: VisitRow, t: QueueThresholds) -> bool:
    return kpi.is_answered_within(v, t.service_level_s)


def _not_short(v: VisitRow, t: QueueThresholds) -> bool:
    return not kpi.is_short_abandon(v, t.short_abandon_s)


def _within_any(v: VisitRow, t: QueueThresholds) -> bool:
    return kpi.is_answered_within(v, t.service_level_s) or kpi.is_left_within(v, t.service_level_s)


def _long_abandon(v: VisitRow, t: QueueThresholds) -> bool:
    return kpi.is_abandoned(v) and not kpi.is_short_abandon(v, t.short_abandon_s)


# kpi -> (formula, numerator rule, denominator rule). Averages list the calls averaged.
EXPLAINED: dict[str, tuple[str, Rule, Rule]] = {
    "service_level": (
        "answered within T / (offered - short abandons)",
        _answered_within,
        _not_short,
    ),
    "service_level_asterisk": (
        "answered within T / answered (app_queue ServicelevelPerf)",
        _answered_within,
        lambda v, t: kpi.is_answered(v),
    ),
    "service_level_asterisk2": (
        "(answered within T + left within T) / (answered + left) (app_queue ServicelevelPerf2)",
        _within_any,
        lambda v, t: True,
    ),
    "abandon_rate": (
        "(abandoned - short abandons) / (offered - short abandons)",
        _long_abandon,
        _not_short,
    ),
    "asa_s": (
        "sum of waits of answered visits / answered",
        lambda v, t: kpi.is_answered(v),
        lambda v, t: kpi.is_answered(v),
    ),
    "talk_hold_s": (
        "(talk + hold) / answered (wrap-up is not part of a queue visit)",
        lambda v, t: kpi.is_answered(v),
        lambda v, t: kpi.is_answered(v),
    ),
    "transfer_rate": (
        "transferred / answered",
        lambda v, t: v.outcome is VisitOutcome.TRANSFERRED,
        lambda v, t: kpi.is_answered(v),
    ),
}


def explain(
    session: Session,
    name: str,
    queue: str,
    start: datetime,
    end: datetime,
    thresholds: QueueThresholds,
    *,
    visible: frozenset[str] | None = None,
) -> dict[str, Any]:
    """The visits of `queue` entered in [start, end) in the numerator and denominator of
    KPI `name`. Raises ValueError for a KPI that cannot be explained.

    The value and the counts cover the whole queue; the lists leave out visits taken by
    agents not in `visible` (None: everyone), counted in `hidden` (numerator, denominator).
    """
    if name not in EXPLAINED:
        raise ValueError(f"unknown kpi {name!r}: choose one of {', '.join(sorted(EXPLAINED))}")
    formula, in_numerator, in_denominator = EXPLAINED[name]
    numerator: list[dict[str, Any]] = []
    denominator: list[dict[str, Any]] = []
    counts = [0, 0]  # numerator, denominator
    hidden = [0, 0]
    for row in _visit_rows(session, queue, start, end):
        if not in_denominator(row, thresholds):
            continue
        shown = is_visible(row.agent, visible)
        sides = [(0, numerator)] if in_numerator(row, thresholds) else []
        for index, listed in [*sides, (1, denominator)]:
            counts[index] += 1
            if shown:
                listed.append(row.as_json())
            else:
                hidden[index] += 1
    _add_routing(session, numerator + denominator)
    return {
        "kpi": name,
        "queue": queue,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "formula": formula,
        "service_level_s": thresholds.service_level_s,
        "short_abandon_s": thresholds.short_abandon_s,
        "value": kpi.ratio(counts[0], counts[1]) if name not in ("asa_s", "talk_hold_s") else None,
        "numerator_count": counts[0],
        "denominator_count": counts[1],
        "hidden": {"numerator": hidden[0], "denominator": hidden[1]},
        "numerator": numerator,
        "denominator": denominator,
    }


def _visit_rows(session: Session, queue: str, start: datetime, end: datetime) -> Iterator[VisitRow]:
    """The visits of `queue` entered in [start, end), in order of entry."""
    statement = (
        select(QueueVisit, Call.linkedid, Call.caller_number)
        .join(Call, Call.id == QueueVisit.call_id)
        .where(
            QueueVisit.queue == queue,
            QueueVisit.entered_at >= start,
            QueueVisit.entered_at < end,
        )
        .order_by(QueueVisit.entered_at, QueueVisit.id)
    )
    for visit, linkedid, number in session.execute(statement):
        yield VisitRow(
            linkedid=linkedid,
            uniqueid=visit.uniqueid,
            queue=visit.queue,
            entered_at=visit.entered_at,
            outcome=VisitOutcome(visit.outcome),
            wait_s=visit.wait_s,
            talk_s=visit.talk_s,
            hold_s=visit.hold_s,
            agent=visit.agent,
            caller_number=number,
        )


def _add_routing(session: Session, rows: list[dict[str, Any]]) -> None:
    """Each listed visit's routing decision (`routed`: reason, rule, priority; None when the
    call was not routed by the CRM), read for all of them at once."""
    decisions = decisions_for_calls(session, {row["linkedid"] for row in rows})
    for row in rows:
        decision = decisions.get(row["linkedid"])
        row["routed"] = (
            None
            if decision is None
            else {"reason": decision.reason, "rule": decision.rule, "priority": decision.priority}
        )
