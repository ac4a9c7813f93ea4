"""KPI speed: a month's report by queue and 15-minute interval over 1M stored calls (SQLite),
and the live aggregator's events per second.

The calls are written straight into a database built by the migrations (one queue visit
each, 3 queues, spread over 30 days). That bulk fill bypasses `store_calls`, which in
production keeps the 15-minute queue rollups in the transaction that stores the calls, so
here the rollups are built once afterwards (timed on its own, as `callcenter kpi rollup
rebuild` would). Then `queue_report` runs as `callcenter kpi report` does. Target: the
report in under 1 s.

Run: .venv/bin/python bench/kpi_report.py [--calls N] [--events N]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import (
    AgentState,
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)
from callcenter.db import make_engine, make_sessionmaker, transaction, upgrade
from callcenter.events import AgentStateChanged, CallAnswered, CallEnded, CallQueued, DomainEvent
from callcenter.queues.presence import Presence
from kpi.aggregator import LiveKpis
from kpi.reports import QueueReport, ReportQuery, queue_report
from kpi.rollups.keeping import rebuild_rollups
from kpi.thresholds import ThresholdBook

MONTH_START = datetime(2026, 3, 1, tzinfo=UTC)
QUEUES = ("support", "billing", "sales")
OUTCOMES = ("answered",) * 8 + ("abandoned", "abandoned", "timeout", "transferred")


def _stamps(epoch_us: np.ndarray) -> list[str]:
    """SQLAlchemy's SQLite DATETIME text (UTC) for epoch microseconds."""
    text = np.datetime_as_string(epoch_us.astype("datetime64[us]"), unit="us")
    return [value.replace("T", " ") for value in text.tolist()]


def fill(path: Path, calls: int, seed: int = 1) -> None:
    """`calls` calls with one queue visit each, uniformly random over 30 days, in time order."""
    rng = np.random.default_rng(seed)
    connection = sqlite3.connect(path)
    month_us = 30 * 86400 * 1_000_000
    origin_us = int(MONTH_START.timestamp() * 1_000_000)
    batch = 100_000
    # Calls are stored as they end, so rows arrive roughly in time order, as here.
    all_entered = np.sort(origin_us + rng.integers(0, month_us, calls))
    for first in range(0, calls, batch):
        size = min(calls, first + batch) - first
        entered = all_entered[first : first + size]
        outcomes = [OUTCOMES[i] for i in rng.integers(0, len(OUTCOMES), size).tolist()]
        waits = rng.exponential(25.0, size)
        talks = rng.exponential(180.0, size)
        wrap_ups = rng.exponential(20.0, size)
        queues = [QUEUES[i] for i in rng.integers(0, len(QUEUES), size).tolist()]
        answered = [o in ("answered", "transferred") for o in outcomes]
        talk = [float(t) if a else None for t, a in zip(talks.tolist(), answered, strict=True)]
        ended = entered + ((waits + np.where(answered, talks, 0.0)) * 1_000_000).astype(np.int64)
        entered_text, ended_text = _stamps(entered), _stamps(ended)
        ids = range(first + 1, first + size + 1)
        call_rows = [
            (i, "bench", f"{i}.1", "inbound", f"+1555{i % 50_000:07d}", e, x, t, 0.0, o, 0)
            for i, e, x, t, o in zip(ids, entered_text, ended_text, talk, outcomes, strict=True)
        ]
        wrap = [float(u) if a else None for u, a in zip(wrap_ups.tolist(), answered, strict=True)]
        visit_rows = [
            (i, i, 0, q, f"{i}.1", e, x, o, "agent" if t is not None else None, w, t, 0.0, 0, u)
            for i, q, e, x, o, w, t, u in zip(
                ids, queues, entered_text, ended_text, outcomes, waits.tolist(), talk, wrap,
                strict=True,
            )
        ]  # fmt: skip
        connection.executemany(
            "INSERT INTO calls (id, server, linkedid, direction, caller_number, started_at,"
            " ended_at, talk_s, hold_s, outcome, data_gap) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            call_rows,
        )
        connection.executemany(
            "INSERT INTO queue_visits (id, call_id, seq, queue, uniqueid, entered_at, ended_at,"
            " outcome, agent, wait_s, talk_s, hold_s, ring_no_answer, wrap_up_s)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            visit_rows,
        )
        connection.commit()
    connection.execute("ANALYZE")
    connection.commit()
    connection.close()


def bench_report(calls: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kpi.db"
        url = f"sqlite:///{path}"
        upgrade(url)
        started = time.perf_counter()
        fill(path, calls)
        print(f"  wrote {calls:,} calls in {time.perf_counter() - started:.1f} s")
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        started = time.perf_counter()
        with transaction(sessions) as session:
            rows = rebuild_rollups(session, ThresholdBook())
        print(
            f"  built the 15-minute queue rollups once ({rows:,} rows) in "
            f"{time.perf_counter() - started:.2f} s (in production store_calls keeps them "
            "at write time, in the same transaction)"
        )
        month = ReportQuery(MONTH_START, MONTH_START + timedelta(days=30), None, 900)
        best, report = _best_of(sessions, month, 3)
        offered = sum(s.offered for s in report.queues.values())
        print(
            f"  month report by queue x 15 min: {len(report.intervals):,} rows, "
            f"{offered:,} visits, best of 3: {best:.3f} s (target < 1 s: "
            f"{'met' if best < 1 else 'NOT met'})"
        )
        # A period off the quarter hours: its two partial intervals are read from the visits.
        ragged = ReportQuery(
            MONTH_START + timedelta(minutes=7), MONTH_START + timedelta(days=30, minutes=-8)
        )
        best, _ = _best_of(sessions, ragged, 3)
        print(f"  the same month from 00:07 to 23:52 (ends read from the visits): {best:.3f} s")
        best, _ = _best_of(sessions, month, 1, use_rollups=False)
        print(f"  for comparison, the month report from every visit (no rollups): {best:.3f} s")
        engine.dispose()


def _best_of(
    sessions: sessionmaker[Session], query: ReportQuery, runs: int, *, use_rollups: bool = True
) -> tuple[float, QueueReport]:
    best = float("inf")
    for _ in range(runs):
        with sessions() as session:
            started = time.perf_counter()
            report = queue_report(session, query, ThresholdBook(), use_rollups=use_rollups)
            best = min(best, time.perf_counter() - started)
    return best, report


def bench_live(events: int) -> None:
    """Events per second through the bus into the live aggregator (queued, answered, ended,
    agent state: the mix of a busy floor), plus the cost of one snapshot."""
    bus = Bus()
    presence = Presence()
    presence.subscribe(bus)
    kpis = LiveKpis(ThresholdBook(), presence)
    kpis.subscribe(bus)
    now = datetime.now(UTC)
    stream: list[DomainEvent] = []
    for n in range(events // 4):
        linkedid, queue, agent = f"{n}.1", QUEUES[n % 3], f"agent{n % 50}"
        entered = now - timedelta(seconds=(events // 4 - n) * 0.5)
        record = CallRecord(
            server="bench", linkedid=linkedid, direction=Direction.INBOUND, started_at=entered,
            ended_at=entered + timedelta(seconds=200), outcome=CallOutcome.ANSWERED,
            queue_visits=(QueueVisitRecord(queue=queue, uniqueid=linkedid, entered_at=entered,
                outcome=VisitOutcome.ANSWERED, agent=agent, wait_s=12.0, talk_s=180.0),),
        )  # fmt: skip
        stream += [
            CallQueued(at=entered, server="bench", linkedid=linkedid, uniqueid=linkedid,
                       queue=queue, position=1, caller_number=None, caller_name=None),
            CallAnswered(at=entered, server="bench", linkedid=linkedid, queue=queue,
                         agent=agent, interface=agent, wait_s=12.0),
            AgentStateChanged(at=entered, server="bench", agent=agent, interface=agent,
                              state=AgentState.ON_CALL, reason=None, queue=None,
                              queues=(queue,)),
            CallEnded(at=entered, server="bench", record=record),
        ]  # fmt: skip
    started = time.perf_counter()
    for event in stream:
        bus.publish(event)
    elapsed = time.perf_counter() - started
    print(f"  live aggregator: {len(stream):,} events in {elapsed:.2f} s = "
          f"{len(stream) / elapsed:,.0f} events/s")  # fmt: skip
    started = time.perf_counter()
    snapshot = kpis.snapshot()
    took_ms = (time.perf_counter() - started) * 1000
    print(
        f"  one wallboard snapshot ({len(snapshot['queues'])} queues, "
        f"{len(snapshot['agents'])} agents): {took_ms:.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    bench_report(args.calls)
    bench_live(args.events)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
