"""Agent and team reports over a period: answered calls and handle times from the queue
visits (SQL), agent time by state from the agent-state intervals (clipped to the period).

Per agent: answered, transferred, AHT = (talk + hold + wrap-up) / answered, average talk and
hold, occupancy = busy / (busy + available), utilisation = busy / logged-in, calls per
agent-hour (answered per logged-in hour), transfer rate. Busy = ringing + on call + wrap-up;
logged-in = every state but logged out (pauses included). Agent-state intervals recorded
per queue are counted once per agent (the same span in two queues is one span of time).
A team is the sum of its agents (names matched on the user's member name or username).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from callcenter.calls.models import AgentStateInterval, QueueVisit
from kpi import definitions as kpi

BUSY = frozenset({"ringing", "on_call", "wrap_up"})


@dataclass(slots=True)
class AgentTotals:
    """What one agent (or a team) did in the period."""

    answered: int = 0
    transferred: int = 0
    talk_s: float = 0.0
    hold_s: float = 0.0
    state_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, other: AgentTotals) -> None:
        self.answered += other.answered
        self.transferred += other.transferred
        self.talk_s += other.talk_s
        self.hold_s += other.hold_s
        for state, seconds in other.state_s.items():
            self.state_s[state] += seconds

    def as_json(self) -> dict[str, Any]:
        """The KPIs; rates 0-1, times in seconds, null when there is no denominator."""
        busy = sum(self.state_s.get(s, 0.0) for s in BUSY)
        available = self.state_s.get("available", 0.0)
        logged_in = sum(s for state, s in self.state_s.items() if state != "logged_out")
        wrap = self.state_s.get("wrap_up", 0.0)
        return {
            "answered": self.answered,
            "transferred": self.transferred,
            "aht_s": kpi.average_handle_time(self.talk_s, self.hold_s, wrap, self.answered),
            "avg_talk_s": kpi.average_talk_time(self.talk_s, self.answered),
            "avg_hold_s": kpi.average_hold_time(self.hold_s, self.answered),
            "avg_wrap_up_s": kpi.average_wrap_up(wrap, self.answered),
            "occupancy": kpi.occupancy(busy, available),
            "utilisation": kpi.utilisation(busy, logged_in),
            "calls_per_agent_hour": kpi.calls_per_agent_hour(self.answered, logged_in),
            "transfer_rate": kpi.transfer_rate(self.transferred, self.answered),
            "logged_in_s": logged_in,
            "paused_s": self.state_s.get("paused", 0.0),
        }


def agent_totals(session: Session, start: datetime, end: datetime) -> dict[str, AgentTotals]:
    """Totals per agent for visits that entered in [start, end) and state time inside it."""
    totals: dict[str, AgentTotals] = defaultdict(AgentTotals)
    answered = QueueVisit.outcome.in_(("answered", "transferred"))
    calls = (
        select(
            QueueVisit.agent,
            func.count(),
            func.sum(case((QueueVisit.outcome == "transferred", 1), else_=0)),
            func.sum(func.coalesce(QueueVisit.talk_s, 0.0)),
            func.sum(QueueVisit.hold_s),
        )
        .where(
            answered,
            QueueVisit.agent.is_not(None),
            QueueVisit.entered_at >= start,
            QueueVisit.entered_at < end,
        )
        .group_by(QueueVisit.agent)
    )
    for agent, count, transferred, talk, hold in session.execute(calls):
        row = totals[agent]
        row.answered, row.transferred = count, int(transferred or 0)
        row.talk_s, row.hold_s = float(talk or 0.0), float(hold or 0.0)
    intervals = select(
        AgentStateInterval.agent,
        AgentStateInterval.state,
        AgentStateInterval.started_at,
        AgentStateInterval.ended_at,
    ).where(AgentStateInterval.started_at < end, AgentStateInterval.ended_at > start)
    seen: set[tuple[str, str, datetime]] = set()
    for agent, state, began, ended in session.execute(intervals):
        if (agent, state, began) in seen:
            continue  # the same span recorded for another queue
        seen.add((agent, state, began))
        span = (min(ended, end) - max(began, start)).total_seconds()
        if span > 0:
            totals[agent].state_s[state] += span
    return dict(totals)


def team_totals(
    agents: Mapping[str, AgentTotals], team_of: Mapping[str, str]
) -> dict[str, AgentTotals]:
    """Agents summed by team; agents with no known team go under "(no team)"."""
    teams: dict[str, AgentTotals] = defaultdict(AgentTotals)
    for name, row in agents.items():
        teams[team_of.get(name, "(no team)")].add(row)
    return dict(teams)
