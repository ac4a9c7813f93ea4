"""Queue interval rollups: kept as calls and wrap-ups are stored, counted once, read by reports
for whole intervals (the rest from the visits), rebuilt when the thresholds change."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.models import QueueIntervalRollup
from callcenter.calls.records import CallRecord, WrapUpRecord
from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import list_calls, store_calls
from callcenter.calls.wrap_up_seconds import store_wrap_ups
from callcenter.cli import main
from callcenter.db import make_engine, make_sessionmaker, upgrade
from callcenter.settings import get_settings
from kpi.reports import QueueReport, ReportQuery, queue_report
from kpi.rollups.counting import TOTAL_FIELDS
from kpi.rollups.keeping import rebuild_rollups, rollup_listener
from kpi.summary import QueueThresholds, QueueTotals
from kpi.thresholds import ThresholdBook
from tests.kpi.calls import DAY, at, call, visit

BOOK = ThresholdBook(QueueThresholds(20, 5))
DEFAULTS = [rollup_listener(BOOK)]

#  linkedid  queue      entered     outcome      wait  talk  hold  agent    wrap-up
CALLS = [
    call("a1", visit("support", "09:01:00", V.ANSWERED, 10, 100, 5, "alice", 20)),
    call("a2", visit("support", "09:07:00", V.ANSWERED, 25, 200, 0, "bob")),
    call("a3", visit("support", "09:14:00", V.ABANDONED, 3)),
    call("a4", visit("support", "09:16:00", V.ABANDONED, 50)),
    call("a5", visit("billing", "09:20:00", V.TIMEOUT, 60)),
]


def rows(sessions: sessionmaker[Session]) -> dict[tuple[str, str], tuple[int, int, float, float]]:
    """(queue, HH:MM) -> (offered, answered, wrap-up sum, longest wait) of every rollup row."""
    with sessions() as session:
        found = session.scalars(select(QueueIntervalRollup))
        return {
            (r.queue, r.interval_start.strftime("%H:%M")): (
                r.offered, r.answered, r.wrap_up_s, r.longest_wait_s
            )
            for r in found
        }  # fmt: skip


def store(sessions: sessionmaker[Session], calls: list[CallRecord]) -> None:
    with sessions() as session, session.begin():
        store_calls(session, calls, after_store=DEFAULTS)


def report(
    sessions: sessionmaker[Session],
    start: str = "00:00:00",
    end: str | None = None,
    book: ThresholdBook = BOOK,
    *,
    use_rollups: bool = True,
) -> QueueReport:
    finish = at(end) if end else DAY + timedelta(days=1)
    with sessions() as session:
        query = ReportQuery(at(start), finish, None, 900)
        return queue_report(session, query, book, use_rollups=use_rollups)


def test_storing_calls_fills_one_row_per_queue_and_quarter_hour(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, CALLS)
    assert rows(sessions) == {
        ("support", "09:00"): (3, 2, 20.0, 25.0),
        ("support", "09:15"): (1, 0, 0.0, 50.0),
        ("billing", "09:15"): (1, 0, 0.0, 60.0),
    }


def test_storing_the_same_calls_twice_counts_them_once(sessions: sessionmaker[Session]) -> None:
    store(sessions, CALLS)
    store(sessions, CALLS)
    store(sessions, CALLS[:2])
    assert rows(sessions)[("support", "09:00")] == (3, 2, 20.0, 25.0)
    assert report(sessions).queues["support"].offered == 4


def test_a_call_stored_again_replaces_its_counts_longest_wait_included(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, CALLS)
    shorter = call("a2", visit("support", "09:07:00", V.ANSWERED, 12, 200, 0, "bob"))
    store(sessions, [shorter])
    assert rows(sessions)[("support", "09:00")] == (3, 2, 20.0, 12.0)


def test_wrap_ups_arriving_later_add_to_the_row_once(sessions: sessionmaker[Session]) -> None:
    store(sessions, CALLS)
    late = WrapUpRecord(
        server="pbx", linkedid="a2", seq=1, queue="support", uniqueid="support-09:07:00",
        entered_at=at("09:07:00"), agent="bob", wrap_up_s=40.0, added_s=40.0,
    )  # fmt: skip
    for _ in range(2):  # the same wrap-up stored twice
        with sessions() as session, session.begin():
            store_wrap_ups(session, [late], after_store=DEFAULTS)
    assert rows(sessions)[("support", "09:00")] == (3, 2, 60.0, 25.0)
    support = report(sessions).queues["support"]
    assert support.aht_s == pytest.approx((100 + 5 + 20 + 200 + 40) / 2)
    with sessions() as session:
        assert {c.linkedid: c.wrap_up_s for c in list_calls(session)}["a2"] == 40.0


def test_a_call_stored_again_keeps_the_wrap_up_that_came_after_it(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, CALLS)
    late = WrapUpRecord(
        server="pbx", linkedid="a2", seq=1, queue="support", uniqueid="support-09:07:00",
        entered_at=at("09:07:00"), agent="bob", wrap_up_s=40.0, added_s=40.0,
    )  # fmt: skip
    with sessions() as session, session.begin():
        store_wrap_ups(session, [late], after_store=DEFAULTS)
    store(sessions, CALLS)  # a replay: its records were written at hang-up, before the wrap-up
    assert rows(sessions)[("support", "09:00")] == (3, 2, 60.0, 25.0)
    with sessions() as session:
        (a2,) = [c for c in list_calls(session) if c.linkedid == "a2"]
    assert a2.queue_visits[0].wrap_up_s == a2.wrap_up_s == 40.0


def test_a_period_off_the_quarter_hours_reads_its_ends_from_the_visits(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, CALLS)
    partial = report(sessions, "09:05:00", "09:17:00")
    assert partial.queues["support"].offered == 3  # a2, a3 (09:05-09:15), a4 (09:15-09:17)
    assert "billing" not in partial.queues  # a5 entered at 09:20
    assert [(start.strftime("%H:%M"), s.queue, s.offered) for start, s in partial.intervals] == [
        ("09:00", "support", 2),
        ("09:15", "support", 1),
    ]


def test_rows_counted_with_other_thresholds_are_read_from_the_visits(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, CALLS)
    # support now judged with T = 30 s and short abandons under 4 s: a2 (25 s) is within
    # T, a3 (3 s) still short.
    stricter = ThresholdBook(QueueThresholds(20, 5), {"support": QueueThresholds(30, 4)})
    from_rows = report(sessions, book=stricter)
    from_visits = report(sessions, book=stricter, use_rollups=False)
    assert from_rows.as_json() == from_visits.as_json()
    assert from_rows.queues["support"].service_level == pytest.approx(2 / 3)


def test_a_rebuild_counts_every_row_with_the_thresholds_of_now(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, CALLS)
    stricter = ThresholdBook(QueueThresholds(20, 5), {"support": QueueThresholds(30, 4)})
    with sessions() as session, session.begin():
        assert rebuild_rollups(session, stricter) == 3
    with sessions() as session:
        stored = {
            (r.queue, r.service_level_s, r.short_abandon_s)
            for r in session.scalars(select(QueueIntervalRollup))
        }
    assert stored == {("support", 30, 4), ("billing", 20, 5)}


def test_visits_written_under_new_thresholds_recount_their_interval(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, CALLS[:2])  # support 09:00 counted with T = 20 s: a2 (25 s) is late
    later = call("a6", visit("support", "09:10:00", V.ANSWERED, 28, 60, 0, "carol"))
    with sessions() as session, session.begin():
        support_t30 = ThresholdBook(QueueThresholds(20, 5), {"support": QueueThresholds(30, 5)})
        store_calls(session, [later], after_store=[rollup_listener(support_t30)])
    with sessions() as session:
        row = session.get(QueueIntervalRollup, ("support", at("09:00:00")))
        assert row is not None
        assert (row.service_level_s, row.offered, row.answered_within) == (30, 3, 3)


@pytest.fixture
def support_t30(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLCENTER_QUEUE_THRESHOLDS", '{"support": {"service_level_s": 30}}')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_rebuild_command(
    sessions: sessionmaker[Session],
    database_url: str,
    support_t30: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store(sessions, CALLS)
    assert main(["kpi", "rollup", "rebuild", "--database", database_url]) == 0
    assert "3 queue intervals" in capsys.readouterr().out
    with sessions() as session:
        row = session.get(QueueIntervalRollup, ("support", at("09:00:00")))
        assert row is not None and row.service_level_s == 30


def test_the_report_is_the_same_from_rows_and_from_visits(
    sessions: sessionmaker[Session],
) -> None:
    store(sessions, [*CALLS, replace(CALLS[0], linkedid="a1b")])
    for start, end in [("00:00:00", None), ("09:03:30", "09:20:00"), ("09:15:00", "09:15:01")]:
        rolled = report(sessions, start, end).as_json()
        assert rolled == report(sessions, start, end, use_rollups=False).as_json()


def test_queue_totals_list_the_rollup_figures_in_their_order() -> None:
    # kpi.rollups.reading.totals_of builds QueueTotals positionally from rollup rows.
    assert [f.name for f in fields(QueueTotals)] == ["thresholds", *TOTAL_FIELDS]


# Visits stored before the rollups existed: the migration counts them.
#  queue      entered     outcome      wait  talk
OLD_VISITS = [
    ("support", "09:01:00", "answered", 10.0, 100.0),
    ("support", "09:14:59", "abandoned", 3.0, None),
    ("billing", "09:15:00", "timeout", 60.0, None),
]


def test_the_migration_counts_the_visits_already_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0006")
    engine = make_engine(url)
    with engine.begin() as connection:
        for n, (queue, entered, outcome, wait, talk) in enumerate(OLD_VISITS, start=1):
            stamp = at(entered).strftime("%Y-%m-%d %H:%M:%S.%f")
            connection.execute(
                text(
                    "INSERT INTO calls (id, server, linkedid, direction, started_at, ended_at,"
                    " hold_s, outcome, data_gap) VALUES (:n, 'pbx', :n, 'inbound', :at, :at, 0,"
                    " :outcome, 0)"
                ),
                {"n": n, "at": stamp, "outcome": outcome},
            )
            connection.execute(
                text(
                    "INSERT INTO queue_visits (call_id, seq, queue, uniqueid, entered_at,"
                    " outcome, wait_s, talk_s, hold_s, ring_no_answer) VALUES (:n, 1, :queue,"
                    " :n, :at, :outcome, :wait, :talk, 0, 0)"
                ),
                {"n": n, "queue": queue, "at": stamp, "outcome": outcome, "wait": wait,
                 "talk": talk},
            )  # fmt: skip
    upgrade(url)
    sessions = make_sessionmaker(engine)
    assert rows(sessions) == {
        ("support", "09:00"): (2, 1, 0.0, 10.0),
        ("billing", "09:15"): (1, 0, 0.0, 60.0),
    }
    assert report(sessions).as_json() == report(sessions, use_rollups=False).as_json()
    engine.dispose()
