"""Outbound reports from a real database filled with attempts, counted by hand."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kpi.outbound import UnknownCampaign, outbound_report
from kpi.reports import ReportQuery
from tests.kpi.calls import DAY, at
from tests.kpi.outbound_data import RENEWALS_DAY, store_outbound_day


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_outbound_day(session)


def report(
    sessions: sessionmaker[Session], interval_s: int | None = 3600, names: list[str] | None = None
) -> dict:
    query = ReportQuery(DAY, DAY + timedelta(days=1), None, interval_s)
    with sessions() as session:
        return outbound_report(session, query, names).as_json()


def test_the_day_of_a_campaign(stored: None, sessions: sessionmaker[Session]) -> None:
    renewals = report(sessions)["campaigns"]["renewals"]
    assert {k: renewals[k] for k in RENEWALS_DAY} == RENEWALS_DAY
    assert renewals["mode"] == "predictive"


def test_campaigns_shown_without_names(stored: None, sessions: sessionmaker[Session]) -> None:
    campaigns = report(sessions)["campaigns"]
    # survey is stopped and had no attempt; callbacks runs with none yet (rates null).
    assert sorted(campaigns) == ["callbacks", "renewals"]
    assert campaigns["callbacks"]["dials"] == 0
    assert campaigns["callbacks"]["contact_rate"] is None
    assert campaigns["callbacks"]["abandon_level"] == "none"
    named = report(sessions, names=["survey"])["campaigns"]
    assert list(named) == ["survey"]
    assert (named["survey"]["leads"], named["survey"]["list_penetration"]) == (1, 0.0)


def test_an_unknown_campaign_is_named(stored: None, sessions: sessionmaker[Session]) -> None:
    with pytest.raises(UnknownCampaign, match=r"'nope'.*known are callbacks, renewals, survey"):
        report(sessions, names=["nope"])


def test_an_attempt_counts_in_the_interval_it_was_reserved(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    rows = report(sessions, 900)["intervals"]
    got = {(r["start"], r["campaign"]): (r["attempts"], r["dials"], r["connects"]) for r in rows}
    assert got == {
        # L4's first try at 09:14:59 is in 09:00's quarter.
        (at("09:00:00").isoformat(), "renewals"): (4, 4, 2),
        (at("09:15:00").isoformat(), "renewals"): (2, 2, 1),
        (at("09:30:00").isoformat(), "renewals"): (1, 1, 1),
        (at("09:45:00").isoformat(), "renewals"): (1, 0, 0),  # closed unknown, never dialled
        (at("10:00:00").isoformat(), "renewals"): (1, 1, 0),  # under way
    }


def test_hourly_rows_and_the_rolling_day_at_each_end(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    rows = {r["start"]: r for r in report(sessions, 3600)["intervals"]}
    nine, ten = rows[at("09:00:00").isoformat()], rows[at("10:00:00").isoformat()]
    assert (nine["dials"], nine["connects"], nine["abandons"]) == (7, 4, 1)
    assert nine["abandon_rate"] == 0.25
    assert nine["dispositions"] == {"not_interested": 1, "sale": 2}
    assert (nine["conversions"], nine["talk_s"], nine["first_tries"]) == (2, 210.0, 6)
    # The day before 10:00 holds yesterday's 12:00 abandon and 12:30 answer too: 2 of 6.
    assert nine["abandon_rate_24h"] == pytest.approx(2 / 6)
    assert ten["abandon_rate_24h"] == pytest.approx(2 / 6)
    assert ten["abandon_rate"] is None  # nothing connected in it
    assert ten["abandon_level"] == "bad"


def test_day_rows_carry_no_rolling_day_but_the_period_does(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    answer = report(sessions, 86400)
    (row,) = [r for r in answer["intervals"] if r["campaign"] == "renewals"]
    assert row["abandon_rate_24h"] is None
    assert row["dials"] == RENEWALS_DAY["dials"]
    assert answer["campaigns"]["renewals"]["abandon_rate_24h"] == 0.25


def test_a_period_that_starts_mid_interval(stored: None, sessions: sessionmaker[Session]) -> None:
    query = ReportQuery(at("09:10:00"), at("12:15:00"), None, 3600)
    with sessions() as session:
        answer = outbound_report(session, query, ["renewals"]).as_json()
    nine, ten = answer["intervals"]
    assert nine["start"] == at("09:00:00").isoformat()
    assert (nine["attempts"], nine["dials"]) == (6, 5)  # from 09:10 on
    assert nine["abandon_rate_24h"] == pytest.approx(2 / 6)
    assert ten["attempts"] == 1
    # The rolling day at the period's end: yesterday's 12:00 abandon is out, 12:30 in.
    assert answer["campaigns"]["renewals"]["abandon_rate_24h"] == pytest.approx(1 / 5)


def test_intervals_are_cut_in_the_site_time_zone(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    query = ReportQuery(DAY - timedelta(hours=1), DAY + timedelta(hours=23), None, 86400, berlin)
    with sessions() as session:
        answer = outbound_report(session, query, ["renewals"]).as_json()
    (row,) = answer["intervals"]
    assert row["start"] == "2026-03-02T00:00:00+01:00"
    assert row["attempts"] == RENEWALS_DAY["attempts"]


def test_postgresql_counts_the_same(pg_database_url: str, database_url: str) -> None:
    """PostgreSQL buckets with width_bucket, SQLite by a table of pieces: same figures."""
    from callcenter.db import make_engine, make_sessionmaker

    answers = []
    for url in (pg_database_url, database_url):
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        with sessions() as session, session.begin():
            store_outbound_day(session)
        answers.append([report(sessions, step) for step in (900, 3600, 86400, None)])
        with sessions() as session:
            kolkata = ZoneInfo("Asia/Kolkata")
            query = ReportQuery(at("09:10:00"), at("12:15:00"), None, 1800, kolkata)
            answers[-1].append(outbound_report(session, query).as_json())
        engine.dispose()
    assert answers[0] == answers[1]
