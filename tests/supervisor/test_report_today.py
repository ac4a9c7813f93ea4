"""Today's report charts span today's hours so far: from the site's midnight to now, not a
whole day with every figure at its left and nothing after."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.service import store_calls
from tests.console_app import Staff, sign_in_as
from tests.kpi.calls import ROLLUPS
from tests.kpi.test_reports import CALLS

# The test day's calls run 09:00-09:30 UTC; "now" is 10:20 that day.
NOW = datetime(2026, 3, 2, 10, 20, tzinfo=UTC)


@pytest.fixture
def today(sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> datetime:
    with sessions() as session, session.begin():
        store_calls(session, CALLS, after_store=ROLLUPS)
    monkeypatch.setattr("kpi.periods.utc_now", lambda: NOW)
    monkeypatch.setattr("agent_ui.supervisor.pages.utc_now", lambda: NOW)
    return NOW


def axis(page: str, queue: str = "support") -> list[float]:
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page)
    assert found is not None
    return list(json.loads(found.group(1))[queue]["t"])


def hours(points: list[float]) -> list[int]:
    return [datetime.fromtimestamp(t, UTC).hour for t in points]


def test_todays_chart_runs_from_midnight_to_now(
    client: TestClient, staff: Staff, today: datetime
) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={"interval": "60m"}).text
    assert hours(axis(page)) == list(range(11))  # 00:00 .. 10:00, the hour now running


def test_a_period_reaching_past_now_is_charted_up_to_now(
    client: TestClient, staff: Staff, today: datetime
) -> None:
    sign_in_as(client, staff, "supervisor1")
    period = {"from": "2026-03-02", "to": "2026-03-03", "interval": "15m"}
    points = axis(client.get("/supervisor/reports", params=period).text)
    assert len(points) == 10 * 4 + 2  # 00:00 .. 10:15
    assert points[-1] == datetime(2026, 3, 2, 10, 15, tzinfo=UTC).timestamp()
    # A period wholly past keeps every interval.
    past = {"from": "2026-03-01", "to": "2026-03-02T10:00", "interval": "60m"}
    assert len(axis(client.get("/supervisor/reports", params=past).text)) == 34


def test_agent_charts_of_today_run_to_now(
    client: TestClient, staff: Staff, today: datetime, sessions: sessionmaker[Session]
) -> None:
    sign_in_as(client, staff, "admin")
    page = client.get("/supervisor/reports", params={"interval": "60m", "by": "agent"}).text
    found = re.search(r'<script id="agent-chart-data" type="application/json">(.*?)</script>', page)
    assert found is not None
    assert hours(json.loads(found.group(1))["t"]) == list(range(11))
