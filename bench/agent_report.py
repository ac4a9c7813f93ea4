"""Agent report speed: a month of 50 agents (SQLite), by agent and by team, per 15 minutes,
per day and for the whole month.

Each agent works an 8-hour shift a day for 30 days: ring, talk, wrap-up, available, over and
over, with a lunch and a short break (paused with a reason), logged out the rest of the day.
That is about 150,000 answered calls and 700,000 agent-state intervals, written straight
into a database built by the migrations. Target: each report well under a few seconds.

Run: .venv/bin/python bench/agent_report.py [--agents N] [--days N]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from callcenter.db import make_engine, make_sessionmaker, upgrade
from kpi.agent_reports import By, agent_report
from kpi.reports import ReportQuery

MONTH_START = datetime(2026, 3, 1, tzinfo=UTC)
TEAMS = ("red", "blue", "green", "amber", "violet")
SHIFT_S = 8 * 3600


def _stamp(epoch_s: float) -> str:
    """SQLAlchemy's SQLite DATETIME text (UTC)."""
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _agent_day(
    rng: np.random.Generator, name: str, start: float
) -> tuple[list[tuple[str, str | None, float, float]], list[tuple[float, float, float]]]:
    """One agent's shift from `start`: state spans, and answered calls (entered, wait, talk)."""
    spans: list[tuple[str, str | None, float, float]] = []
    calls: list[tuple[float, float, float]] = []
    end = start + SHIFT_S
    pauses = [(start + 4 * 3600, "Lunch", 1800.0), (start + 2 * 3600, "Break", 900.0)]
    pauses.sort()
    at = start
    while at < end:
        if pauses and at >= pauses[0][0]:
            _, reason, length = pauses.pop(0)
            spans.append(("paused", reason, at, at + length))
            at += length
            continue
        idle = float(rng.exponential(60.0))
        ring = float(rng.uniform(3.0, 15.0))
        talk = float(rng.exponential(180.0)) + 10.0
        wrap = float(rng.uniform(10.0, 60.0))
        for state, length in (("available", idle), ("ringing", ring), ("on_call", talk)):
            spans.append((state, None, at, at + length))
            at += length
        wait = float(rng.exponential(20.0)) + ring
        calls.append((at - talk - wait, wait, talk))
        spans.append(("wrap_up", None, at, at + wrap))
        at += wrap
    spans.append(("logged_out", None, at, start + 86400))
    return spans, calls


def fill(path: Path, agents: int, days: int, seed: int = 7) -> tuple[int, int]:
    """Users in five teams, and their month of states and calls; returns (calls, spans)."""
    rng = np.random.default_rng(seed)
    connection = sqlite3.connect(path)
    now = _stamp(MONTH_START.timestamp())
    connection.executemany(
        "INSERT INTO teams (id, name) VALUES (?, ?)", list(enumerate(TEAMS, start=1))
    )
    users = [(i, f"agent{i}", f"Agent {i}", "agent", i % len(TEAMS) + 1, "-", 1,
              f"PJSIP/{1000 + i}", f"Agent {i}", now)
             for i in range(1, agents + 1)]  # fmt: skip
    connection.executemany(
        "INSERT INTO users (id, username, display_name, role, team_id, password_hash, active,"
        " interface, member_name, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        users,
    )
    call_id = span_id = 0
    for day in range(days):
        call_rows, visit_rows, span_rows = [], [], []
        for i in range(1, agents + 1):
            name = f"Agent {i}"
            # Shifts start between 07:00 and 12:00 UTC, staggered by agent.
            start = MONTH_START.timestamp() + day * 86400 + 7 * 3600 + (i % 10) * 1800
            spans, calls = _agent_day(rng, name, start)
            for state, reason, began, ended in spans:
                span_id += 1
                span_rows.append(
                    (span_id, "bench", name, f"PJSIP/{1000 + i}", "", state, reason,
                     _stamp(began), _stamp(ended), 0)
                )  # fmt: skip
            for entered, wait, talk in calls:
                call_id += 1
                e, x = _stamp(entered), _stamp(entered + wait + talk)
                call_rows.append((call_id, "bench", f"{call_id}.1", "inbound", e, x, talk, 0.0,
                                  "answered", 0))  # fmt: skip
                visit_rows.append((call_id, call_id, 1, "support", f"{call_id}.1", e, x,
                                   "answered", name, wait, talk, 0.0, 0))  # fmt: skip
        connection.executemany(
            "INSERT INTO calls (id, server, linkedid, direction, started_at, ended_at, talk_s,"
            " hold_s, outcome, data_gap) VALUES (?,?,?,?,?,?,?,?,?,?)",
            call_rows,
        )
        connection.executemany(
            "INSERT INTO queue_visits (id, call_id, seq, queue, uniqueid, entered_at, ended_at,"
            " outcome, agent, wait_s, talk_s, hold_s, ring_no_answer)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            visit_rows,
        )
        connection.executemany(
            "INSERT INTO agent_state_intervals (id, server, agent, interface, queue, state,"
            " reason, started_at, ended_at, data_gap) VALUES (?,?,?,?,?,?,?,?,?,?)",
            span_rows,
        )
        connection.commit()
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()
    return call_id, span_id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "agents.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        started = time.perf_counter()
        calls, spans = fill(path, args.agents, args.days)
        print(
            f"  wrote {args.agents} agents x {args.days} days: {calls:,} calls, "
            f"{spans:,} state intervals in {time.perf_counter() - started:.1f} s"
        )
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        month = (MONTH_START, MONTH_START + timedelta(days=args.days))
        cases: list[tuple[str, By, int | None]] = [
            ("by agent x 15 min", "agent", 900),
            ("by team x 15 min", "team", 900),
            ("by agent x day", "agent", 86400),
            ("by agent, whole month", "agent", None),
        ]
        for label, by, interval_s in cases:
            best = float("inf")
            for _ in range(3):
                with sessions() as session:
                    started = time.perf_counter()
                    report = agent_report(session, ReportQuery(*month, None, interval_s), by)
                    best = min(best, time.perf_counter() - started)
            answered = sum(t.answered for t in report.totals.values())
            print(
                f"  month report {label}: {len(report.totals)} rows, "
                f"{len(report.intervals):,} interval rows, {answered:,} answered, "
                f"best of 3: {best:.2f} s (target: well under a few seconds)"
            )
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
