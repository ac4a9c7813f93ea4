"""`/api/kpi/agents`: per-interval agent and team KPIs over HTTP, in each viewer's scope."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from tests.console_app import Staff
from tests.supervisor.test_pages_and_api import DAY, bearer


def get(client: TestClient, staff: Staff, viewer: str, **params: str) -> dict[str, object]:
    answer = client.get("/api/kpi/agents", params={**DAY, **params}, headers=bearer(staff, viewer))
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


@pytest.mark.parametrize(
    ("viewer", "agents"),
    [
        ("admin", ["agent1", "agent2", "agent3", "Stranger"]),
        ("supervisor1", ["agent1", "agent2"]),  # team red
        ("supervisor2", ["agent3"]),  # team blue
        ("agent1", ["agent1"]),  # an agent sees themself
        ("agent3", ["agent3"]),
    ],
)
def test_each_viewer_sees_their_scope(
    client: TestClient, staff: Staff, stored: None, viewer: str, agents: list[str]
) -> None:
    body = get(client, staff, viewer, interval="15m")
    rows = body["agents"]
    assert isinstance(rows, dict) and list(rows) == agents
    intervals = body["intervals"]
    assert isinstance(intervals, list)
    assert {row["agent"] for row in intervals} == set(agents)


@pytest.mark.parametrize(
    ("viewer", "teams"),
    [
        ("admin", {"red": 2, "blue": 1, "(no team)": 1}),
        ("supervisor1", {"red": 2}),
        ("supervisor2", {"blue": 1}),
    ],
)
def test_team_rows_sum_only_visible_agents(
    client: TestClient, staff: Staff, stored: None, viewer: str, teams: dict[str, int]
) -> None:
    rows = get(client, staff, viewer, by="team")["teams"]
    assert isinstance(rows, dict)
    assert {team: row["agents"] for team, row in rows.items()} == teams


def test_an_agent_may_not_read_team_rows(client: TestClient, staff: Staff, stored: None) -> None:
    params = {**DAY, "by": "team"}
    answer = client.get("/api/kpi/agents", params=params, headers=bearer(staff, "agent1"))
    assert answer.status_code == 403
    assert answer.json()["detail"] == "agents see their own figures only: ask by=agent"


def test_a_stranger_is_refused(client: TestClient, stored: None) -> None:
    assert client.get("/api/kpi/agents", params=DAY).status_code == 401


def test_an_agent_under_three_names_is_one_row(
    client: TestClient, staff: Staff, stored: None
) -> None:
    agent1 = get(client, staff, "admin")["agents"]["agent1"]  # type: ignore[index]
    assert (agent1["answered"], agent1["on_call_s"], agent1["occupancy"]) == (1, 600, 1 / 3)


def test_without_an_interval_only_the_period(
    client: TestClient, staff: Staff, stored: None
) -> None:
    body = get(client, staff, "admin")
    assert (body["interval"], body["intervals"]) == (None, [])


def test_intervals_carry_their_bounds_rates_and_nulls(
    client: TestClient, staff: Staff, stored: None
) -> None:
    body = get(client, staff, "supervisor1", interval="30m")
    rows = [
        (r["start"], r["end"], r["agent"], r["answered"], r["aht_s"], r["occupancy"])
        for r in body["intervals"]  # type: ignore[attr-defined]
    ]
    assert rows == [
        ("2026-03-02T09:00:00+00:00", "2026-03-02T09:30:00+00:00", "agent1", 1, 600, 1 / 3),
        ("2026-03-02T09:00:00+00:00", "2026-03-02T09:30:00+00:00", "agent2", 1, 60, 0.0),
    ]


def test_csv_export(client: TestClient, staff: Staff, stored: None) -> None:
    params = {**DAY, "interval": "60m", "format": "csv"}
    answer = client.get("/api/kpi/agents", params=params, headers=bearer(staff, "supervisor1"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="kpi-agents.csv"' in answer.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(answer.text)))
    # Interval rows, then one row per agent for the whole period.
    assert [(r["start"][11:16], r["agent"], r["answered"]) for r in table] == [
        ("09:00", "agent1", "1"),
        ("09:00", "agent2", "1"),
        ("00:00", "agent1", "1"),
        ("00:00", "agent2", "1"),
    ]
    assert (table[1]["transfer_rate"], table[1]["aht_s"]) == ("1", "60")
    assert table[0]["transfer_rate"] == "0"


def test_team_csv(client: TestClient, staff: Staff, stored: None) -> None:
    params = {**DAY, "by": "team", "format": "csv"}
    answer = client.get("/api/kpi/agents", params=params, headers=bearer(staff, "admin"))
    header, *rows = answer.text.splitlines()
    assert header.startswith("start,end,team,agents,answered,transferred,aht_s,")
    assert [row.split(",")[2] for row in rows] == ["blue", "red", "(no team)"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"interval": "5m"}, "unknown interval '5m': use 15m, 30m, 60m, day or week"),
        ({"by": "queue"}, "by must be agent or team"),
        ({"format": "xml"}, "format must be json or csv"),
        (
            {"from": DAY["to"], "to": DAY["from"]},
            "query parameter `to` must be after query parameter `from`",
        ),
        ({"from": "yesterday"}, "not an ISO date or date-time: 'yesterday'"),
    ],
)
def test_bad_input_is_a_400_with_a_sentence(
    client: TestClient, staff: Staff, params: dict[str, str], message: str
) -> None:
    answer = client.get("/api/kpi/agents", params={**DAY, **params}, headers=bearer(staff, "admin"))
    assert answer.status_code == 400
    assert answer.json()["detail"] == message
