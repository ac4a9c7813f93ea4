"""The reports page by agent in a real browser (Debian's chromium): uPlot draws the agent
charts from the page's data, with no script errors, and a hostile agent name stays text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

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

pytestmark = pytest.mark.browser

ORIGIN = "http://reports.test"
CHARTS = ["chart-answered", "chart-aht", "chart-occupancy", "chart-hours"]


def served_by(client: TestClient) -> Callable[[Any], None]:
    """Every request of the page answered by the app itself, with the client's sign-in."""

    def handle(route: Any) -> None:
        answer = client.get(route.request.url.removeprefix(ORIGIN))
        route.fulfill(
            status=answer.status_code,
            body=answer.content,
            content_type=answer.headers.get("content-type", "text/plain"),
        )

    return handle


def open_report(page: Any, client: TestClient, **params: str) -> list[str]:
    """Open the reports page; returns the script errors the page raised."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route(f"{ORIGIN}/**", served_by(client))
    page.goto(f"{ORIGIN}/supervisor/reports?{urlencode({**DAY, **params})}")
    page.wait_for_selector("[data-testid=chart-hours] canvas")
    return errors


def plotted(page: Any, chart: str) -> list[list[float | None]]:
    """The series a chart plots (x first), read back from its uPlot instance."""
    data: list[list[float | None]] = page.evaluate(
        f"document.querySelector('[data-testid={chart}]').uplot.data"
    )
    return data


@pytest.mark.usefixtures("stored")
def test_agent_charts_are_drawn(page: Any, client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor1")
    errors = open_report(page, client, by="agent", interval="60m")
    assert errors == []
    for chart in CHARTS:
        assert page.locator(f"[data-testid={chart}] canvas").count() == 1
    legend = page.locator("[data-testid=chart-aht] .u-legend .u-label").all_inner_texts()
    assert legend[1:] == ["agent1", "agent2"]
    nine = plotted(page, "chart-aht")[0].index(at("09:00:00").timestamp())
    assert [row[nine] for row in plotted(page, "chart-aht")[1:]] == [600, 60]
    assert [row[nine] for row in plotted(page, "chart-occupancy")[1:]] == [
        pytest.approx(100 / 3),
        0,
    ]
    # Answered is stacked: agent2's band ends at agent1's call plus agent2's.
    assert [row[nine] for row in plotted(page, "chart-answered")[1:]] == [1, 2]


def test_a_hostile_agent_name_is_shown_as_text(
    page: Any, client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    hostile = "<img src=x onerror=window.__ran=1>"
    answered = call("x1", visit("support", "09:00:00", V.ANSWERED, 5, 60, 0, hostile))
    talking = AgentStateRecord("pbx", hostile, "PJSIP/9", S.ON_CALL, at("09:00:00"), at("09:01:00"))
    with sessions() as session, session.begin():
        store_calls(session, [answered], after_store=ROLLUPS)
        store_agent_states(session, [talking])
    sign_in_as(client, staff, "admin")
    errors = open_report(page, client, by="agent", interval="15m")
    assert errors == []
    assert page.evaluate("window.__ran") is None
    assert page.locator("[data-testid=agent-row] td").first.inner_text() == hostile
    legend = page.locator("[data-testid=chart-aht] .u-legend .u-label").all_inner_texts()
    assert legend[1:] == [hostile]
