"""Interval reports from the database on a hand-computed table of calls (SQL aggregation)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_calls
from kpi.reports import QueueReport, ReportQuery, queue_report
from kpi.summary import QueueThresholds, summarize_calls
from kpi.thresholds import ThresholdBook
from tests.kpi.calls import DAY, ROLLUPS, at, call, visit

# support: T = 20 s, short abandon 5 s; billing overrides T = 30 s.
#  linkedid  queue    entered    outcome      wait   talk  hold  agent  wrap-up  note
CALLS = [
    call("c1", visit("support", "09:00:10", V.ANSWERED, 3, 100, 10, "alice", 30)),
    call("c2", visit("support", "09:05:00", V.ANSWERED, 20, 200, 0, "bob")),  # exactly T
    call("c3", visit("support", "09:10:00", V.ANSWERED, 45, 300, 0, "alice")),  # late
    call("c4", visit("support", "09:11:00", V.ABANDONED, 4.9)),  # short abandon
    call("c5", visit("support", "09:12:00", V.ABANDONED, 5)),  # not short: threshold strict
    call("c6", visit("support", "09:13:00", V.ABANDONED, 20)),  # abandoned at exactly T
    call("c7", visit("support", "09:14:59", V.TIMEOUT, 60)),  # spans 09:15: counts at 09:00
    call(  # transferred support -> billing: one visit in each queue
        "c8",
        visit("support", "09:20:00", V.TRANSFERRED, 10, 40, 0, "alice", 15),
        visit("billing", "09:21:00", V.ANSWERED, 25, 60, 0, "carol"),
    ),
    call("c9", started="09:30:00"),  # outbound, no queue: in no queue report
]
BOOK = ThresholdBook(QueueThresholds(20, 5), {"billing": QueueThresholds(30, 5)})


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_calls(session, CALLS, after_store=ROLLUPS)


def report(sessions: sessionmaker[Session], interval_s: int | None = 900) -> QueueReport:
    query = ReportQuery(DAY, DAY + timedelta(days=1), None, interval_s)
    with sessions() as session:
        return queue_report(session, query, BOOK)


def test_support_over_the_day(stored: None, sessions: sessionmaker[Session]) -> None:
    s = report(sessions).queues["support"]
    assert (s.offered, s.answered, s.abandoned, s.short_abandoned, s.timeouts) == (8, 4, 3, 1, 1)
    assert s.service_level == pytest.approx(3 / 7)  # c1, c2, c8 within T / (8 - 1 short)
    assert s.service_level_asterisk == pytest.approx(3 / 4)  # within T / answered
    # (3 answered within T + c4, c5, c6 abandoned within T) / (4 answered + 4 left)
    assert s.service_level_asterisk2 == pytest.approx(6 / 8)
    assert s.abandon_rate == pytest.approx(2 / 7)
    assert s.asa_s == pytest.approx((3 + 20 + 45 + 10) / 4)
    assert s.avg_talk_s == pytest.approx((100 + 200 + 300 + 40) / 4)
    assert s.talk_hold_s == pytest.approx((100 + 200 + 300 + 40 + 10) / 4)
    # AHT now includes the wrap-up attributed to each answered visit (c1 30 s, c8 15 s).
    assert s.aht_s == pytest.approx((100 + 200 + 300 + 40 + 10 + 30 + 15) / 4)
    assert s.longest_wait_s == 60


def test_billing_uses_its_own_threshold(stored: None, sessions: sessionmaker[Session]) -> None:
    s = report(sessions).queues["billing"]
    assert (s.offered, s.answered, s.service_level_s, s.service_level) == (1, 1, 30, 1.0)


def test_a_visit_counts_in_the_interval_it_entered(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    rows = {(start, s.queue): s.offered for start, s in report(sessions).intervals}
    assert rows == {
        (at("09:00:00"), "support"): 7,  # c7 entered at 09:14:59 and waited past 09:15
        (at("09:15:00"), "support"): 1,
        (at("09:15:00"), "billing"): 1,
    }


def test_hourly_and_daily_intervals(stored: None, sessions: sessionmaker[Session]) -> None:
    hourly = report(sessions, 3600).intervals
    assert [(start, s.queue, s.offered) for start, s in hourly] == [
        (at("09:00:00"), "billing", 1),
        (at("09:00:00"), "support", 8),
    ]
    weekly = report(sessions, 604800).intervals
    assert {start for start, _ in weekly} == {DAY}  # 2026-03-02 is a Monday


def test_an_empty_period_gives_null_rates_not_zero(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    query = ReportQuery(DAY + timedelta(days=1), DAY + timedelta(days=2), ["support"], 900)
    with sessions() as session:
        result = queue_report(session, query, BOOK)
    s = result.queues["support"]
    assert s.offered == 0
    assert None is s.service_level is s.abandon_rate is s.asa_s is s.aht_s is s.longest_wait_s
    assert result.intervals == []


def test_only_short_abandons_leaves_service_level_null(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_calls(
            session, [call("s1", visit("support", "10:00:00", V.ABANDONED, 2))], after_store=ROLLUPS
        )
    s = report(sessions).queues["support"]
    assert (s.offered, s.short_abandoned, s.service_level, s.abandon_rate) == (1, 1, None, None)
    assert s.service_level_asterisk is None  # nothing answered


def test_sql_agrees_with_the_in_memory_summary(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    in_memory = summarize_calls(CALLS, {"support": QueueThresholds(20, 5)})["support"]
    from_sql = report(sessions, None).queues["support"]
    assert from_sql == in_memory
