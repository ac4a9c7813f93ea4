"""Agent and team reports on a hand-computed day: states clipped to intervals, visits counted
where they entered the queue, wrap-up, pauses by reason, teams, and nulls for no data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import AgentState as S
from callcenter.calls.records import AgentStateRecord
from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_agent_states, store_calls
from kpi.agent_reports import By, agent_report
from kpi.reports import ReportQuery
from tests.kpi.calls import DAY, ROLLUPS, at, call, visit


def report(
    sessions: sessionmaker[Session],
    interval_s: int | None = 900,
    by: By = "agent",
    start: str = "00:00:00",
    end: str | None = None,
) -> dict[str, Any]:
    finish = at(end) if end else DAY + timedelta(days=1)
    with sessions() as session:
        return agent_report(session, ReportQuery(at(start), finish, None, interval_s), by).as_json()


def rows(document: dict[str, Any], name: str, *fields: str) -> list[tuple[Any, ...]]:
    key = document["by"]
    return [
        (row["start"][11:16], *(row[f] for f in fields))
        for row in document["intervals"]
        if row[key] == name
    ]


def test_ann_over_the_day(stored: None, sessions: sessionmaker[Session]) -> None:
    ann = report(sessions)["agents"]["ann"]
    assert (ann["display_name"], ann["team"]) == ("Ann", "red")
    assert (ann["answered"], ann["transferred"]) == (2, 1)  # v2 under her interface name
    assert ann["aht_s"] == pytest.approx((2390 + 60 + 10 + 60) / 2)  # talk + hold + wrap-up
    assert (ann["avg_talk_s"], ann["avg_hold_s"], ann["avg_wrap_up_s"]) == (1225, 5, 30)
    states = [ann[f"{s}_s"] for s in ("available", "ringing", "on_call", "wrap_up", "paused")]
    assert states == [300 + 600 + 240, 10, 2400 + 60, 60, 830]
    assert ann["logged_in_s"] == 4500  # 09:00-10:00 and 10:30-10:45
    assert ann["paused_by_reason"] == {"Lunch": 830}
    assert ann["occupancy"] == pytest.approx(2530 / (2530 + 1140))  # busy / (busy + available)
    assert ann["utilisation"] == pytest.approx(2530 / 4500)
    assert ann["calls_per_agent_hour"] == pytest.approx(2 / 1.25)
    assert ann["transfer_rate"] == 0.5


def test_an_on_call_span_is_clipped_to_each_quarter_hour(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    fields = ("on_call_s", "wrap_up_s", "paused_s", "answered", "aht_s", "occupancy")
    assert rows(report(sessions), "ann", *fields) == [
        # v1 entered 09:04:58: its talk and hold count here; the call runs on to 09:45:10
        ("09:00", 590, 0, 0, 1, 2400, pytest.approx(600 / 900)),
        ("09:15", 900, 0, 0, 0, None, 1.0),
        ("09:30", 900, 0, 0, 0, None, 1.0),
        ("09:45", 10, 60, 830, 0, None, 1.0),  # wrap-up after the call, then Lunch
        ("10:30", 60, 0, 0, 1, 60, pytest.approx(60 / 900)),  # logged out 10:00-10:30
    ]


def test_hourly_intervals(stored: None, sessions: sessionmaker[Session]) -> None:
    fields = ("available_s", "on_call_s", "logged_in_s", "answered", "utilisation")
    assert rows(report(sessions, 3600), "ann", *fields) == [
        ("09:00", 300, 2400, 3600, 1, pytest.approx(2470 / 3600)),
        ("10:00", 840, 60, 900, 1, pytest.approx(60 / 900)),
    ]


def test_no_denominator_gives_null_not_zero(stored: None, sessions: sessionmaker[Session]) -> None:
    document = report(sessions)
    # Bob only paused 09:00-09:15: no busy or available time, no calls.
    fields = ("paused_s", "answered", "aht_s", "occupancy", "utilisation", "transfer_rate")
    assert rows(document, "bob", *fields) == [
        ("09:00", 900, 0, None, None, 0.0, None),
        ("09:15", 300, 0, None, 0.0, 0.0, None),  # 600 s available, never busy
    ]
    # Cy answered but has no state intervals: time-based KPIs have no denominator.
    cy = document["agents"]["cy"]
    assert (cy["answered"], cy["aht_s"], cy["team"]) == (1, 100, "(no team)")
    assert (cy["occupancy"], cy["utilisation"], cy["calls_per_agent_hour"]) == (None,) * 3


def test_a_span_recorded_per_queue_counts_once(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    bob = report(sessions, None)["agents"]["bob"]
    assert (bob["paused_s"], bob["paused_by_reason"]) == (1200, {"(no reason)": 1200})


def test_names_without_a_user_are_rows_of_their_own(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    agents = report(sessions, None)["agents"]
    assert list(agents) == ["ann", "bob", "cy", "Zed"]
    assert (agents["Zed"]["available_s"], agents["Zed"]["team"]) == (600, "(no team)")


def test_teams_sum_their_agents(stored: None, sessions: sessionmaker[Session]) -> None:
    document = report(sessions, None, "team")
    assert list(document["teams"]) == ["red", "(no team)"]
    red, loose = document["teams"]["red"], document["teams"]["(no team)"]
    assert (red["agents"], red["answered"], red["transferred"]) == (2, 2, 1)
    assert red["aht_s"] == pytest.approx(1260)
    assert red["paused_by_reason"] == {"(no reason)": 1200, "Lunch": 830}
    assert red["logged_in_s"] == 4500 + 1800
    assert red["occupancy"] == pytest.approx(2530 / (2530 + 1140 + 600))
    assert red["calls_per_agent_hour"] == pytest.approx(2 * 3600 / 6300)
    # Cy (no team) and Zed (no user): one answered call over Zed's 10 minutes logged in.
    assert (loose["agents"], loose["answered"], loose["aht_s"]) == (2, 1, 100)
    assert (loose["occupancy"], loose["calls_per_agent_hour"]) == (0.0, 6.0)


def test_team_intervals(stored: None, sessions: sessionmaker[Session]) -> None:
    document = report(sessions, 900, "team")
    fields = ("agents", "answered", "logged_in_s", "occupancy", "utilisation")
    assert rows(document, "red", *fields)[:2] == [
        ("09:00", 2, 1, 1800, pytest.approx(600 / 900), pytest.approx(600 / 1800)),
        ("09:15", 2, 0, 1800, pytest.approx(900 / 1500), pytest.approx(900 / 1800)),
    ]
    assert rows(document, "(no team)", *fields) == [
        ("09:00", 1, 0, 600, 0.0, 0.0),  # Zed, available
        ("09:15", 1, 1, 0, None, None),  # Cy's call, no state time
    ]


def test_a_period_clips_states_and_filters_visits_by_entry(
    stored: None, sessions: sessionmaker[Session]
) -> None:
    ann = report(sessions, None, start="09:10:00", end="09:40:00")["agents"]["ann"]
    assert (ann["on_call_s"], ann["logged_in_s"]) == (1800, 1800)
    assert (ann["answered"], ann["aht_s"], ann["occupancy"]) == (0, None, 1.0)  # v1 entered 09:04


def test_an_empty_period_has_no_rows(stored: None, sessions: sessionmaker[Session]) -> None:
    document = report(sessions, 900, start="12:00:00", end="13:00:00")
    assert (document["agents"], document["intervals"]) == ({}, [])


def test_fractions_of_a_second_are_kept_to_the_millisecond(
    sessions: sessionmaker[Session],
) -> None:
    ms = timedelta(milliseconds=1)
    #  state        from                       to                        (Eve is no user)
    spans = [
        (S.ON_CALL, at("09:14:59") + 250 * ms, at("09:15:00") + 750 * ms),  # across 09:15
        (S.AVAILABLE, at("09:20:00"), at("09:20:01") + 500 * ms),
    ]
    with sessions() as session, session.begin():
        store_agent_states(
            session, [AgentStateRecord("pbx", "Eve", "PJSIP/9", s, a, b) for s, a, b in spans]
        )
    assert rows(report(sessions), "Eve", "on_call_s", "available_s") == [
        ("09:00", 0.75, 0),
        ("09:15", 0.75, 1.5),
    ]


def test_a_visit_counts_in_the_interval_it_entered_to_the_edge(
    sessions: sessionmaker[Session],
) -> None:
    #  call  entered       (agent Eve is no user)
    calls = [
        call("e1", visit("support", "09:14:59", V.ANSWERED, 2, 60, 0, "Eve")),
        call("e2", visit("support", "09:15:00", V.ANSWERED, 2, 60, 0, "Eve")),
    ]
    with sessions() as session, session.begin():
        store_calls(session, calls, after_store=ROLLUPS)
    assert rows(report(sessions), "Eve", "answered") == [("09:00", 1), ("09:15", 1)]
