"""The reports page by agent and by team: table, chart data, CSV link, scope, escaping."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import AgentState as S
from callcenter.calls.records import AgentStateRecord
from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_agent_states, store_calls
from tests.console_app import Staff, sign_in_as
from tests.kpi.calls import ROLLUPS, at, call, visit
from tests.supervisor.test_pages_and_api import DAY

HOSTILE = "</script><script>alert(1)</script>"


def chart_data(page: str) -> dict[str, object]:
    found = re.search(r'<script id="agent-chart-data" type="application/json">(.*?)</script>', page)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


def table_rows(page: str) -> list[str]:
    """The text of the first cell of each agent-table row (an agent's name links to their
    page)."""
    cells = re.findall(r'<tr data-testid="agent-row">\s*<td>(.*?)</td>', page)
    return [re.sub(r"<[^>]+>", "", cell) for cell in cells]


@pytest.mark.usefixtures("stored")
def test_by_agent_shows_the_team_only(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "by": "agent", "interval": "30m"})
    assert page.status_code == 200
    assert table_rows(page.text) == ["agent1", "agent2"]  # agent3 is in team blue
    assert 'data-testid="agent-charts"' in page.text
    assert "/static/supervisor/agent_reports.js" in page.text


@pytest.mark.usefixtures("stored")
def test_chart_data_holds_every_interval_of_the_period(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "by": "agent", "interval": "60m"})
    data = chart_data(page.text)
    axis = data["t"]
    assert isinstance(axis, list) and len(axis) == 24  # every hour of the day
    nine = axis.index(at("09:00:00").timestamp())
    series = {s["name"]: s for s in data["series"]}  # type: ignore[attr-defined]
    assert series["agent1"]["answered"][nine] == 1
    assert series["agent1"]["aht_s"][nine] == 600
    assert series["agent1"]["occupancy"][nine] == pytest.approx(1 / 3)
    assert series["agent1"]["aht_s"][nine + 1] is None  # nothing at 10:00: a gap, not a zero
    hours = {band["state"]: band["hours"] for band in data["hours"]}  # type: ignore[attr-defined]
    assert list(hours) == ["available", "ringing and on call", "wrap-up", "paused"]
    assert hours["available"][nine] == pytest.approx(50 / 60)  # agent1 20 min, agent2 30


@pytest.mark.usefixtures("stored")
def test_csv_link_follows_the_choice(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "by": "team", "interval": "day"})
    link = re.search(r'href="([^"]*)" data-testid="csv-export"', page.text)
    assert link is not None
    url = link.group(1).replace("&amp;", "&")
    assert url.startswith("/api/kpi/agents?") and "by=team" in url and "interval=day" in url
    export = client.get(url)
    assert export.status_code == 200
    assert export.text.splitlines()[0].startswith("start,end,team,agents,")
    assert table_rows(page.text) == ["red"]


def test_an_unknown_choice_is_a_400(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "admin")
    page = client.get("/supervisor/reports", params={**DAY, "by": "floor"})
    assert page.status_code == 400
    assert "by must be queue, agent or team" in page.text


def test_agents_may_not_open_the_page(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    assert client.get("/supervisor/reports", params={"by": "agent"}).status_code == 403


def test_an_agent_name_cannot_run_script(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    answered = call("x1", visit("support", "09:00:00", V.ANSWERED, 5, 60, 0, HOSTILE))
    paused = AgentStateRecord(
        "pbx", HOSTILE, "PJSIP/9", S.PAUSED, at("09:00:00"), at("09:30:00"), reason=HOSTILE
    )
    with sessions() as session, session.begin():
        store_calls(session, [answered], after_store=ROLLUPS)
        store_agent_states(session, [paused])
    sign_in_as(client, staff, "admin")
    for by in ("agent", "team"):
        page = client.get("/supervisor/reports", params={**DAY, "by": by, "interval": "15m"})
        assert page.status_code == 200
        assert "<script>alert(1)" not in page.text
    page = client.get("/supervisor/reports", params={**DAY, "by": "agent", "interval": "15m"})
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page.text  # table and reason
    assert [s["name"] for s in chart_data(page.text)["series"]] == [HOSTILE]  # type: ignore[attr-defined]


@pytest.mark.usefixtures("stored")
def test_an_agents_row_opens_their_page_and_a_team_row_none(
    client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "by": "agent", "interval": "day"})
    links = re.findall(
        r'<a href="(/supervisor/agents/[^"]+)" data-testid="agent-page-link">', page.text
    )
    assert links == ["/supervisor/agents/agent1", "/supervisor/agents/agent2"]
    by_team = client.get("/supervisor/reports", params={**DAY, "by": "team", "interval": "day"})
    assert 'data-testid="agent-page-link"' not in by_team.text
