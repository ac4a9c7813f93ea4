"""The PostgreSQL branches on a real server: migrations, rollups, reports, a replayed capture,
agent reports, CRM search and phone lookup (skipped when CALLCENTER_TEST_POSTGRES_URL is unset).
"""

from __future__ import annotations

import gc
import json
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.models import AgentStateInterval, Call, QueueIntervalRollup
from callcenter.calls.service import store_calls
from callcenter.cli import main
from callcenter.db import alembic_config, make_engine, upgrade
from callcenter.pbx_cli import replay_into_database
from callcenter.settings import Settings
from kpi.reports import ReportQuery, queue_report
from tests.conftest import FIXTURES, POSTGRES_URL_VARIABLE

# Tests of the SQLite suite collected here too, so they run on PostgreSQL as they are: the
# hand-computed agent-report day, the CRM search table and caller lookup.
from tests.crm.conftest import session  # noqa: F401
from tests.crm.test_phones import (  # noqa: F401
    test_a_contact_number_shows_its_customer_and_the_contact,
    test_a_number_shared_by_two_customers_shows_both,
    test_ambiguous_digits_show_every_reading_that_matches,
    test_presented_number_finds_the_stored_one,
    test_unknown_number_answers_no_match,
)
from tests.crm.test_search import (  # noqa: F401
    directory,
    test_best_match_first,
    test_customer_search,
    test_kb_search,
    test_search_follows_renames_and_deletes,
)
from tests.cti.test_stop_start import (  # noqa: F401
    test_calls_in_flight_at_a_stop_get_one_record_each_finished_by_the_next_start,
    test_saved_calls_in_flight_are_kept_per_pbx_and_a_damaged_row_is_ignored,
)
from tests.kpi import test_reports
from tests.kpi.calls import DAY, ROLLUPS, at
from tests.kpi.conftest import stored  # noqa: F401
from tests.kpi.test_agent_report import (  # noqa: F401
    test_a_period_clips_states_and_filters_visits_by_entry,
    test_a_span_recorded_per_queue_counts_once,
    test_a_visit_counts_in_the_interval_it_entered_to_the_edge,
    test_an_empty_period_has_no_rows,
    test_an_on_call_span_is_clipped_to_each_quarter_hour,
    test_ann_over_the_day,
    test_fractions_of_a_second_are_kept_to_the_millisecond,
    test_hourly_intervals,
    test_names_without_a_user_are_rows_of_their_own,
    test_no_denominator_gives_null_not_zero,
    test_team_intervals,
    test_teams_sum_their_agents,
)
from tests.kpi.test_agent_report_cli import test_agent_json, test_team_csv  # noqa: F401
from tests.kpi.test_rollup import OLD_VISITS
from tests.kpi.test_rollup_property import (
    EXAMPLE_SETTINGS,
    EXAMPLES,
    VisitSpec,
    check_rollups_agree,
)
from tests.kpi.test_rollup_property import ThresholdBook as Book
from tests.queues.test_pbx_service_levels import (  # noqa: F401
    replayed,
    test_a_replay_stores_each_queues_pbx_threshold_with_when_it_was_seen,
    test_after_a_restart_the_board_judges_by_the_stored_pbx_threshold,
    test_reports_use_the_pbx_threshold_and_agree_with_asterisk,
)
from tests.users.test_cli import test_create_list_token_revoke  # noqa: F401

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get(POSTGRES_URL_VARIABLE),
        reason=f"{POSTGRES_URL_VARIABLE} is not set: no PostgreSQL server to test against",
    ),
]


@pytest.fixture
def database_url(pg_database_url: str) -> str:
    """Every database of this module is PostgreSQL: `engine`, `sessions` and the fixtures and
    tests reused below from the SQLite suite read this URL."""
    return pg_database_url


def test_the_migrations_build_the_models_schema(pg_database_url: str, engine: Engine) -> None:
    assert engine.dialect.name == "postgresql"
    assert {"calls", "queue_visits", "queue_interval_rollups", "crm_fts_customers"} <= set(
        inspect(engine).get_table_names()
    )
    command.check(alembic_config(pg_database_url))  # raises when models and migrations disagree


def test_downgrade_to_base_and_back(pg_database_url: str) -> None:
    command.downgrade(alembic_config(pg_database_url), "base")
    upgrade(pg_database_url)
    command.check(alembic_config(pg_database_url))


def test_the_rollup_migration_counts_the_visits_already_stored(
    pg_database_url: str, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    command.downgrade(alembic_config(pg_database_url), "0006")
    with engine.begin() as connection:
        for n, (queue, entered, outcome, wait, talk) in enumerate(OLD_VISITS, start=1):
            connection.execute(
                text(
                    "INSERT INTO calls (id, server, linkedid, direction, started_at, ended_at,"
                    " hold_s, outcome, data_gap) VALUES (:n, 'pbx', :linkedid, 'inbound', :at,"
                    " :at, 0, :outcome, false)"
                ),
                {"n": n, "linkedid": str(n), "at": at(entered), "outcome": outcome},
            )
            connection.execute(
                text(
                    "INSERT INTO queue_visits (call_id, seq, queue, uniqueid, entered_at,"
                    " outcome, wait_s, talk_s, hold_s, ring_no_answer) VALUES (:n, 1, :queue,"
                    " :uniqueid, :at, :outcome, :wait, :talk, 0, 0)"
                ),
                {"n": n, "queue": queue, "uniqueid": str(n), "at": at(entered),
                 "outcome": outcome, "wait": wait, "talk": talk},
            )  # fmt: skip
    upgrade(pg_database_url)
    with sessions() as db:
        rows = db.execute(
            select(
                QueueIntervalRollup.queue,
                QueueIntervalRollup.interval_start,
                QueueIntervalRollup.offered,
                QueueIntervalRollup.longest_wait_s,
            ).order_by(QueueIntervalRollup.interval_start)
        ).all()
        assert rows == [("support", at("09:00:00"), 2, 10.0), ("billing", at("09:15:00"), 1, 60.0)]
        query = ReportQuery(DAY, DAY + timedelta(days=1), None, 900)
        rolled = queue_report(db, query, test_reports.BOOK).as_json()
        assert rolled == queue_report(db, query, test_reports.BOOK, use_rollups=False).as_json()


def test_storing_calls_keeps_the_rollups(sessions: sessionmaker[Session]) -> None:
    with sessions() as db, db.begin():
        store_calls(db, test_reports.CALLS, after_store=ROLLUPS)
    with sessions() as db, db.begin():
        store_calls(db, test_reports.CALLS, after_store=ROLLUPS)  # stored again: counted once
    with sessions() as db:
        offered = db.execute(
            select(QueueIntervalRollup.queue, QueueIntervalRollup.interval_start,
                   QueueIntervalRollup.offered)
        ).all()  # fmt: skip
    assert sorted(offered) == [
        ("billing", at("09:15:00"), 1),
        ("support", at("09:00:00"), 7),
        ("support", at("09:15:00"), 1),
    ]


@pytest.mark.parametrize("interval_s", [900, 3600, 86400, 604800, None])
def test_the_report_from_rollups_is_the_report_from_visits(
    sessions: sessionmaker[Session], interval_s: int | None
) -> None:
    with sessions() as db, db.begin():
        store_calls(db, test_reports.CALLS, after_store=ROLLUPS)
    # Off the quarter hours: the ends of the period are read from the visits.
    query = ReportQuery(at("09:05:00"), DAY + timedelta(days=1), None, interval_s)
    with sessions() as db:
        rolled = queue_report(db, query, test_reports.BOOK).as_json()
        raw = queue_report(db, query, test_reports.BOOK, use_rollups=False).as_json()
    assert rolled == raw
    assert rolled["queues"]["support"]["offered"] == 7  # c1 entered at 09:00:10


@EXAMPLE_SETTINGS
@EXAMPLES
def test_rollups_agree_with_the_visits(
    sessions: sessionmaker[Session],
    calls: list[list[VisitSpec]],
    batches: int,
    again: list[tuple[int, VisitSpec]],
    written_with: Book,
    judged_by: Book,
    period: tuple[int, int],
    interval_s: int,
    queues: list[str] | None,
) -> None:
    check_rollups_agree(
        sessions, calls, batches, again, written_with, judged_by, period, interval_s, queues
    )


def _report(capsys: pytest.CaptureFixture[str], url: str, *argv: str) -> Any:
    code = main(["kpi", "report", *argv, "--json", "--database", url])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("capture", ["load_realistic", "blind_transfer", "agent_states"])
def test_a_replayed_capture_reports_as_on_sqlite(
    capture: str, pg_database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = next((FIXTURES / "ami" / capture).glob("ami.raw*"))
    sqlite_url = f"sqlite:///{tmp_path / 'replay.db'}"
    on_sqlite = replay_into_database(
        str(source), server="pbx", settings=Settings(database_url=sqlite_url)
    )
    on_postgres = replay_into_database(
        str(source), server="pbx", settings=Settings(database_url=pg_database_url)
    )
    assert on_postgres == on_sqlite
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        first, last = connection.execute(
            select(func.min(AgentStateInterval.started_at), func.max(AgentStateInterval.ended_at))
        ).one()
        calls = connection.execute(select(func.min(Call.started_at), func.max(Call.ended_at))).one()
    engine.dispose()
    first, last = min(first, calls[0] or first), max(last, calls[1] or last)
    period = ("--from", first.date().isoformat(),
              "--to", (last.date() + timedelta(days=1)).isoformat())  # fmt: skip
    for argv in (("--interval", "15m"), ("--interval", "day"), ("--by", "agent"),
                 ("--by", "team", "--interval", "60m")):  # fmt: skip
        expected = _report(capsys, sqlite_url, *period, *argv)
        assert _report(capsys, pg_database_url, *period, *argv) == expected, argv
    if capture == "load_realistic":
        assert expected["teams"]  # the figures compared are not empty


@pytest.mark.parametrize(
    "argv",
    [
        ["users", "list"],
        ["kpi", "report", "--from", "2026-03-02", "--to", "2026-03-03", "--json"],
        ["kpi", "report", "--from", "2026-03-02", "--to", "2026-03-03", "--by", "agent"],
    ],
)
def test_a_command_leaves_no_connection_open(
    argv: list[str], database_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--database", database_url]) == 0
    # Only clients count: an autovacuum worker visits each database now and then. A backend
    # whose client has closed its socket takes a moment to leave the list; the collector is
    # held off meanwhile, so no connection the command forgot is closed behind its back.
    gc.disable()
    try:
        others = _other_clients(engine)
        deadline = time.monotonic() + 5.0
        while others and time.monotonic() < deadline:
            time.sleep(0.05)
            others = _other_clients(engine)
    finally:
        gc.enable()
    assert others == []


def _other_clients(engine: Engine) -> list[tuple[Any, ...]]:
    """The client connections to this test's database besides the one asking."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT pid, application_name, state, query FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"
            )
        )
        return [tuple(row) for row in rows]
