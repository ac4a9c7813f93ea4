"""Property: a report read from the rollups equals the same report read from every visit, for
random calls stored in random batches (some stored again), random periods (on or off the
quarter hours), any interval, and thresholds that changed between writing and reading."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.models import Call, QueueIntervalRollup
from callcenter.calls.records import (
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)
from callcenter.calls.service import store_calls
from callcenter.db import make_engine, make_sessionmaker, transaction
from kpi.reports import ReportQuery, queue_report
from kpi.rollups.keeping import RollupListener, rollup_listener
from kpi.summary import QueueThresholds
from kpi.thresholds import ThresholdBook

START = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday
SPAN_MS = 2 * 86400 * 1000
QUEUES = ("support", "billing", "sales")
INTERVALS = (900, 1800, 3600, 86400, 604800)
# Waits on and next to the thresholds the books below use, and anything else.
WAITS = st.one_of(
    st.sampled_from([0.0, 3.999, 4.0, 5.0, 19.999, 20.0, 20.001, 30.0, 45.0]),
    st.floats(0, 300, allow_nan=False),
    st.none(),
)
THRESHOLDS = st.sampled_from([(20.0, 5.0), (30.0, 4.0), (20.0, 4.0), (45.0, 5.0)])
MOMENTS_MS = st.one_of(
    st.integers(0, SPAN_MS),
    st.integers(0, SPAN_MS // 900_000).map(lambda i: i * 900_000),  # on a quarter hour
)


@dataclass(frozen=True)
class VisitSpec:
    queue: str
    entered_ms: int
    outcome: VisitOutcome
    wait: float | None
    talk: float
    hold: float
    wrap_up: float | None


VISITS = st.builds(
    VisitSpec,
    st.sampled_from(QUEUES),
    MOMENTS_MS,
    st.sampled_from(list(VisitOutcome)),
    WAITS,
    st.floats(0, 900, allow_nan=False),
    st.floats(0, 60, allow_nan=False),
    st.one_of(st.none(), st.floats(0, 120, allow_nan=False)),
)


def _call(number: int, specs: list[VisitSpec]) -> CallRecord:
    visits = []
    for seq, spec in enumerate(specs):
        answered = spec.outcome in (VisitOutcome.ANSWERED, VisitOutcome.TRANSFERRED)
        entered = START + timedelta(milliseconds=spec.entered_ms)
        visits.append(
            QueueVisitRecord(
                queue=spec.queue,
                uniqueid=f"{number}.{seq}",
                entered_at=entered,
                outcome=spec.outcome,
                ended_at=entered + timedelta(seconds=(spec.wait or 0) + spec.talk),
                agent="alice" if answered else None,
                wait_s=spec.wait,
                talk_s=spec.talk if answered else None,
                hold_s=spec.hold if answered else 0.0,
                wrap_up_s=spec.wrap_up if answered else None,
            )
        )
    first = min(v.entered_at for v in visits)
    return CallRecord(
        server="pbx",
        linkedid=f"{number}.0",
        direction=Direction.INBOUND,
        started_at=first,
        ended_at=max(v.ended_at or first for v in visits) + timedelta(seconds=1),
        outcome=CallOutcome(visits[-1].outcome.value),
        queue_visits=tuple(visits),
    )


def _book(default: tuple[float, float], override: tuple[str, float, float] | None) -> Any:
    overrides = {override[0]: QueueThresholds(*override[1:])} if override else {}
    return ThresholdBook(QueueThresholds(*default), overrides)


def _write_thresholds(book: ThresholdBook) -> list[RollupListener]:
    return [rollup_listener(book)]


BOOKS = st.builds(
    _book,
    THRESHOLDS,
    st.one_of(
        st.none(), st.tuples(st.sampled_from(QUEUES), *[st.sampled_from([20.0, 30.0, 4.0])] * 2)
    ),
)


@pytest.fixture(scope="module")
def module_sessions(
    migrated_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sessionmaker[Session]]:
    """One migrated database for every example (emptied before each)."""
    target = tmp_path_factory.mktemp("rollup_property") / "callcenter.db"
    target.write_bytes(migrated_template.read_bytes())
    engine = make_engine(f"sqlite:///{target}")
    yield make_sessionmaker(engine)
    engine.dispose()


def _same(rolled: Any, raw: Any, where: str = "") -> None:
    """Equal documents; seconds summed in another order may differ in the last bits."""
    if isinstance(rolled, dict):
        assert set(rolled) == set(raw), where
        for key in rolled:
            _same(rolled[key], raw[key], f"{where}.{key}")
    elif isinstance(rolled, list):
        assert len(rolled) == len(raw), where
        for index, (a, b) in enumerate(zip(rolled, raw, strict=True)):
            _same(a, b, f"{where}[{index}]")
    elif isinstance(rolled, float) and isinstance(raw, float):
        assert math.isclose(rolled, raw, rel_tol=1e-9, abs_tol=1e-6), where
    else:
        assert rolled == raw, where


# The examples and their settings, shared with the PostgreSQL run of the same property.
EXAMPLE_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EXAMPLES = given(
    calls=st.lists(st.lists(VISITS, min_size=1, max_size=2), min_size=0, max_size=40),
    batches=st.integers(1, 4),
    again=st.lists(st.tuples(st.integers(0, 39), VISITS), max_size=5),
    written_with=BOOKS,
    judged_by=BOOKS,
    period=st.tuples(MOMENTS_MS, MOMENTS_MS),
    interval_s=st.sampled_from(INTERVALS),
    queues=st.one_of(st.none(), st.lists(st.sampled_from(QUEUES), min_size=1, unique=True)),
)


@EXAMPLE_SETTINGS
@EXAMPLES
def test_rollups_agree_with_the_visits(
    module_sessions: sessionmaker[Session],
    calls: list[list[VisitSpec]],
    batches: int,
    again: list[tuple[int, VisitSpec]],
    written_with: ThresholdBook,
    judged_by: ThresholdBook,
    period: tuple[int, int],
    interval_s: int,
    queues: list[str] | None,
) -> None:
    check_rollups_agree(
        module_sessions, calls, batches, again, written_with, judged_by, period, interval_s, queues
    )


def check_rollups_agree(
    module_sessions: sessionmaker[Session],
    calls: list[list[VisitSpec]],
    batches: int,
    again: list[tuple[int, VisitSpec]],
    written_with: ThresholdBook,
    judged_by: ThresholdBook,
    period: tuple[int, int],
    interval_s: int,
    queues: list[str] | None,
) -> None:
    """One example, on any database: the calls stored, then both reports compared (also run
    against PostgreSQL by tests/test_postgres.py)."""
    with transaction(module_sessions) as session:
        session.execute(delete(Call))
        session.execute(delete(QueueIntervalRollup))
    records = [_call(n, specs) for n, specs in enumerate(calls)]
    thresholds = _write_thresholds(written_with)
    for batch in range(batches):
        with transaction(module_sessions) as session:
            store_calls(session, records[batch::batches], after_store=thresholds)
    # Some calls stored again, changed (a replay with different facts replaces the old rows).
    changed = [_call(n, [spec]) for n, spec in again if n < len(records)]
    with transaction(module_sessions) as session:
        store_calls(session, changed, after_store=thresholds)
    start_ms, end_ms = sorted(period)
    start = START + timedelta(milliseconds=start_ms)
    end = START + timedelta(milliseconds=end_ms + 1)
    query = ReportQuery(start, end, queues, interval_s)
    with module_sessions() as session:
        rolled = queue_report(session, query, judged_by).as_json()
        raw = queue_report(session, query, judged_by, use_rollups=False).as_json()
    _same(rolled, raw)
