"""Agent and team reports: per interval (15/30/60 minutes, day, week) and for the whole period.

Where each number comes from, and the choices:
- answered, transferred, talk and hold come from the queue visits an agent answered (a
  transferred visit was answered first). Like the queue report (`kpi.reports`), a visit
  counts in the interval in which it *entered the queue*, even when the talk runs on.
- Time by state comes from the agent-state intervals, clipped to each interval: a 40-minute
  call from 09:10 counts 5 minutes in 09:00-09:15, 15 in 09:15-09:30 and so on. Wrap-up is
  time in state `wrap_up`; pauses are split by reason (no reason: "(no reason)").
  Intervals an older tracker recorded once per queue are counted once.
- AHT = (talk + hold + wrap-up) / answered; average talk, hold and wrap-up per answered
  visit. In an interval, talk and hold follow the visits' entry and wrap-up the clock, so a
  single interval's AHT is approximate; over the period both agree.
- occupancy = busy / (busy + available), utilisation = busy / logged-in, busy = ringing +
  on call + wrap-up, logged-in = every state but logged out (pauses included); calls per
  agent-hour = answered per logged-in hour; transfer rate = transferred / answered.
- A rate or average with an empty denominator is None (null), never 0.
- The database sums the time of the spans that lie inside one interval (nearly all); the
  few across an edge are clipped here. Time is kept to the millisecond.
- An agent is every name the PBX gives them (see `kpi.team_roster`); a team is the sum of
  its agents, agents in no team under "(no team)". Rows appear for an agent (or team) and
  interval with any call or logged-in time; intervals with neither are left out.
- Intervals are cut in the site's time zone, as queue reports' (`kpi.intervals`). The
  database buckets by epoch arithmetic, which needs one offset from UTC: the period is
  read in pieces between the zone's offset changes (one piece in UTC and most periods).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from kpi import definitions as kpi
from kpi.agent_reports_sql import SUMMED_STATES, HandledCalls, handled_calls, state_time
from kpi.intervals import bucket_start, constant_offsets, origin_s
from kpi.reports import ReportQuery
from kpi.team_roster import NO_TEAM, Person, Viewer, can_see, load_roster

By = Literal["agent", "team"]
BUSY = frozenset({"ringing", "on_call", "wrap_up"})
NO_REASON = "(no reason)"
INTERVAL_NAMES = {900: "15m", 1800: "30m", 3600: "60m", 86400: "day", 604800: "week"}

# One row's fields, in order (rates 0-1, times in seconds), then `paused_by_reason`.
AGENT_FIELDS = (
    "answered",
    "transferred",
    "aht_s",
    "avg_talk_s",
    "avg_hold_s",
    "avg_wrap_up_s",
    "occupancy",
    "utilisation",
    "calls_per_agent_hour",
    "transfer_rate",
    "available_s",
    "ringing_s",
    "on_call_s",
    "wrap_up_s",
    "paused_s",
    "logged_in_s",
)


def _seconds(value: float) -> float:
    # Sums of float seconds carry noise (e.g. 899.9999999); time is kept to the millisecond.
    return round(value, 6)


@dataclass(slots=True)
class AgentTotals:
    """What one agent (or a team) did in one interval or the period: sums, not KPIs."""

    answered: int = 0
    transferred: int = 0
    agents: int = 0  # in a team row: its agents with a call or logged-in time
    talk_s: float = 0.0
    hold_s: float = 0.0
    state_s: dict[str, float] = field(default_factory=dict)
    paused_by_reason_s: dict[str, float] = field(default_factory=dict)

    def add(self, other: AgentTotals) -> None:
        self.agents += other.agents
        self.answered += other.answered
        self.transferred += other.transferred
        self.talk_s += other.talk_s
        self.hold_s += other.hold_s
        for state, seconds in other.state_s.items():
            self.state_s[state] = self.state_s.get(state, 0.0) + seconds
        for reason, seconds in other.paused_by_reason_s.items():
            by_reason = self.paused_by_reason_s
            by_reason[reason] = by_reason.get(reason, 0.0) + seconds

    def add_calls(self, calls: HandledCalls) -> None:
        self.answered += calls.answered
        self.transferred += calls.transferred
        self.talk_s += calls.talk_s
        self.hold_s += calls.hold_s

    def add_state(self, state: str, reason: str | None, seconds: float) -> None:
        self.state_s[state] = self.state_s.get(state, 0.0) + seconds
        if state == "paused":
            key = reason or NO_REASON
            self.paused_by_reason_s[key] = self.paused_by_reason_s.get(key, 0.0) + seconds

    def add_states(self, seconds: tuple[float, ...]) -> None:
        """Seconds in each of SUMMED_STATES, in that order."""
        states = self.state_s
        for state, part in zip(SUMMED_STATES, seconds, strict=True):
            if part:
                states[state] = states.get(state, 0.0) + part

    @property
    def logged_in_s(self) -> float:
        return sum(s for state, s in self.state_s.items() if state != "logged_out")

    def has_activity(self) -> bool:
        """Any answered call or logged-in time (a logged-out agent is not a row)."""
        return self.answered > 0 or self.logged_in_s > 0

    def kpis(self) -> dict[str, Any]:
        """The row: AGENT_FIELDS then `paused_by_reason` (reason -> seconds)."""
        # Every ratio divides rounded sums: float sums depend on the order the rows came in,
        # which differs between databases, and a report must not change with it.
        states = self.state_s
        busy = _seconds(sum(states.get(s, 0.0) for s in BUSY))
        available = _seconds(states.get("available", 0.0))
        logged_in = _seconds(self.logged_in_s)
        wrap = _seconds(states.get("wrap_up", 0.0))
        talk, hold = _seconds(self.talk_s), _seconds(self.hold_s)
        return {
            "answered": self.answered,
            "transferred": self.transferred,
            "aht_s": kpi.average_handle_time(talk, hold, wrap, self.answered),
            "avg_talk_s": kpi.average_talk_time(talk, self.answered),
            "avg_hold_s": kpi.average_hold_time(hold, self.answered),
            "avg_wrap_up_s": kpi.average_wrap_up(wrap, self.answered),
            "occupancy": kpi.occupancy(busy, available),
            "utilisation": kpi.utilisation(busy, logged_in),
            "calls_per_agent_hour": kpi.calls_per_agent_hour(self.answered, logged_in),
            "transfer_rate": kpi.transfer_rate(self.transferred, self.answered),
            "available_s": available,
            "ringing_s": _seconds(states.get("ringing", 0.0)),
            "on_call_s": _seconds(states.get("on_call", 0.0)),
            "wrap_up_s": wrap,
            "paused_s": _seconds(states.get("paused", 0.0)),
            "logged_in_s": logged_in,
            "paused_by_reason": {
                reason: _seconds(seconds)
                for reason, seconds in sorted(self.paused_by_reason_s.items())
            },
        }


@dataclass(slots=True)
class AgentReport:
    """Whole-period rows by agent (or team), and one row per (interval, agent or team)."""

    query: ReportQuery
    by: By
    # An agent row's person (display name, team); empty for team rows.
    people: dict[str, Person] = field(default_factory=dict)
    totals: dict[str, AgentTotals] = field(default_factory=dict)
    intervals: list[tuple[datetime, str, AgentTotals]] = field(default_factory=list)

    def head(self, name: str, totals: AgentTotals) -> dict[str, Any]:
        """What labels a row besides its key: an agent's name and team, a team's agents."""
        if self.by == "team":
            return {"agents": totals.agents}
        person = self.people[name]
        return {"display_name": person.display_name, "team": person.team}

    def as_json(self) -> dict[str, Any]:
        """The API's document: rates 0-1, times in seconds, null for an empty denominator."""
        query = self.query
        interval_s = query.interval_s
        return {
            "from": query.shown(query.start),
            "to": query.shown(query.end),
            "interval": INTERVAL_NAMES.get(interval_s) if interval_s else None,
            "by": self.by,
            f"{self.by}s": {
                name: {**self.head(name, totals), **totals.kpis()}
                for name, totals in self.totals.items()
            },
            "intervals": [
                {
                    "start": query.shown(start),
                    "end": query.shown(query.interval_end(start)),
                    self.by: name,
                    **self.head(name, totals),
                    **totals.kpis(),
                }
                for start, name, totals in self.intervals
            ],
        }


def _row_order(report: AgentReport) -> list[str]:
    """Agents by the name people read; teams by name with "(no team)" last."""
    if report.by == "team":
        return sorted(report.totals, key=lambda team: (team == NO_TEAM, team.casefold(), team))
    people = report.people
    return sorted(report.totals, key=lambda key: (people[key].display_name.casefold(), key))


class _Collector:
    """Sums per agent key, for the period and per interval, of the people a viewer may see."""

    def __init__(self, session: Session, query: ReportQuery, viewer: Viewer | None) -> None:
        self.query = query
        self.roster = load_roster(session)
        self.viewer = viewer
        self.people: dict[str, Person | None] = {}
        self.whole: dict[str, AgentTotals] = defaultdict(AgentTotals)
        self.buckets: dict[tuple[float, str], AgentTotals] = defaultdict(AgentTotals)
        self._keys: dict[tuple[float, float], float] = {}

    def person(self, name: str) -> Person | None:
        """The person behind a record's agent name, None when the viewer may not see them."""
        if name not in self.people:
            person = self.roster.person(name)
            visible = self.viewer is None or can_see(self.viewer, person)
            self.people[name] = person if visible else None
        return self.people[name]

    def interval_of(self, at: float, piece_start: float) -> float:
        """The report interval (epoch s) of a bucket the database cut at `at` with one
        piece's offset: the interval holding the bucket's first instant inside the piece."""
        key = (at, piece_start)
        if key not in self._keys:
            first = max(at, piece_start)
            step = self.query.interval_s or 0
            self._keys[key] = bucket_start(first, step, self.query.zone).timestamp()
        return self._keys[key]

    def add_calls(self, rows: list[HandledCalls], piece_start: float) -> None:
        for row in rows:
            person = self.person(row.agent)
            if person is None:
                continue
            self.whole[person.key].add_calls(row)
            if row.bucket_s is not None:
                at = self.interval_of(row.bucket_s, piece_start)
                self.buckets[(at, person.key)].add_calls(row)

    def add_states(self, session: Session, start: datetime, end: datetime, shift: int) -> None:
        """Agent-state time inside [start, end) (a piece of the period with one offset
        `shift` from UTC) and each interval: sums from SQL, and the spans across an edge
        clipped here."""
        step = self.query.interval_s
        inside, crossing = state_time(session, start, end, step, shift)
        low, high = start.timestamp(), end.timestamp()
        for agent, at, seconds in inside:
            person = self.person(agent)
            if person is None:
                continue
            self.whole[person.key].add_states(seconds)
            if at is not None:
                self.buckets[(self.interval_of(at, low), person.key)].add_states(seconds)
        origin = origin_s(step) - shift if step else 0
        for agent, state, reason, began, ended in crossing:
            person = self.person(agent)
            if person is None:
                continue
            began, ended = max(began, low), min(ended, high)
            if ended <= began:
                continue
            self.whole[person.key].add_state(state, reason, ended - began)
            if not step:
                continue
            at = origin + math.floor((began - origin) / step) * step
            while at < ended:
                part = min(ended, at + step) - max(began, at)
                cell = (self.interval_of(at, low), person.key)
                self.buckets[cell].add_state(state, reason, part)
                at += step


def _join(team: AgentTotals, agent: AgentTotals) -> None:
    """Add an agent's row to their team's, counting the agent when they did anything."""
    if agent.has_activity():
        team.add(agent)
        team.agents += 1


def agent_report(
    session: Session, query: ReportQuery, by: By = "agent", viewer: Viewer | None = None
) -> AgentReport:
    """Agent (or team) KPIs for [query.start, query.end), per interval when the query has
    one. With a `viewer`, only the agents they may see (`kpi.team_roster.can_see`) count,
    also in team rows; queue filters do not apply (an agent serves several queues)."""
    collector = _Collector(session, query, viewer)
    for start, end, shift in constant_offsets(query.start, query.end, query.zone):
        calls = handled_calls(session, start, end, query.interval_s, shift)
        collector.add_calls(calls, start.timestamp())
        collector.add_states(session, start, end, shift)
    people = {p.key: p for p in collector.people.values() if p is not None}
    report = AgentReport(query, by)
    cells: dict[tuple[float, str], AgentTotals]
    if by == "agent":
        report.totals = {k: t for k, t in collector.whole.items() if t.has_activity()}
        report.people = {key: people[key] for key in report.totals}
        cells = collector.buckets
    else:
        teams: dict[str, AgentTotals] = defaultdict(AgentTotals)
        for key, totals in collector.whole.items():
            _join(teams[people[key].team], totals)
        report.totals = {team: t for team, t in teams.items() if t.has_activity()}
        cells = defaultdict(AgentTotals)
        for (at, key), totals in collector.buckets.items():
            _join(cells[(at, people[key].team)], totals)
    rank = {name: i for i, name in enumerate(_row_order(report))}
    report.totals = {name: report.totals[name] for name in rank}
    active = [(at, name, totals) for (at, name), totals in cells.items() if totals.has_activity()]
    active.sort(key=lambda cell: (cell[0], rank[cell[1]]))
    report.intervals = [
        (datetime.fromtimestamp(at, UTC), name, totals) for at, name, totals in active
    ]
    return report
