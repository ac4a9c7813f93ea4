"""KPI API and supervisor pages: reports, explain, CSV, staffing; supervisors and admins only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.service import store_calls
from tests.agent_ui.conftest import Staff, sign_in_as
from tests.kpi.test_reports import CALLS

DAY = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}


@pytest.fixture
def stored(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        store_calls(session, CALLS)


def bearer(staff: Staff, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {staff.tokens[name]}"}


def test_report_api(client: TestClient, staff: Staff, stored: None) -> None:
    answer = client.get(
        "/api/kpi/report", params={**DAY, "interval": "60m"}, headers=bearer(staff, "supervisor1")
    )
    assert answer.status_code == 200
    assert answer.json()["queues"]["support"]["offered"] == 8


def test_csv_export(client: TestClient, staff: Staff, stored: None) -> None:
    answer = client.get(
        "/api/kpi/report", params={**DAY, "format": "csv"}, headers=bearer(staff, "admin")
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.text.splitlines()[0].startswith("start,end,queue,")


def test_explain_lists_numerator_and_denominator(
    client: TestClient, staff: Staff, stored: None
) -> None:
    params = {**DAY, "kpi": "service_level", "queue": "support"}
    answer = client.get("/api/kpi/explain", params=params, headers=bearer(staff, "supervisor1"))
    body = answer.json()
    assert answer.status_code == 200
    assert [row["linkedid"] for row in body["numerator"]] == ["c1", "c2", "c8"]
    # Everything offered but the short abandon c4.
    assert [row["linkedid"] for row in body["denominator"]] == [
        "c1",
        "c2",
        "c3",
        "c5",
        "c6",
        "c7",
        "c8",
    ]
    assert body["value"] == pytest.approx(3 / 7)


def test_explain_refuses_an_unknown_kpi(client: TestClient, staff: Staff) -> None:
    params = {**DAY, "kpi": "happiness", "queue": "support"}
    answer = client.get("/api/kpi/explain", params=params, headers=bearer(staff, "admin"))
    assert answer.status_code == 400
    assert "unknown kpi" in answer.json()["detail"]


def test_staffing_api(client: TestClient, staff: Staff) -> None:
    params = {"calls_per_hour": 1000, "aht": 180, "target": "0.8/20", "patience": 120}
    answer = client.get("/api/kpi/staff", params=params, headers=bearer(staff, "admin"))
    assert (answer.json()["agents_erlang_c"], answer.json()["agents_erlang_a"]) == (56, 50)


def test_agents_may_not_read_kpis(client: TestClient, staff: Staff) -> None:
    answer = client.get("/api/kpi/report", headers=bearer(staff, "agent1"))
    assert answer.status_code == 403


def test_reports_page_has_table_chart_csv_and_explain_links(
    client: TestClient, staff: Staff, stored: None
) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "interval": "15m"})
    assert page.status_code == 200
    assert 'data-testid="report-table"' in page.text
    assert "/api/kpi/explain?kpi=service_level&amp;queue=support" in page.text
    assert "format=csv" in page.text
    assert "uPlot.iife.min.js" in page.text
    assert client.get("/static/supervisor/uPlot.iife.min.js").status_code == 200


def test_staffing_page(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "admin")
    page = client.get("/supervisor/staffing", params={"calls_per_hour": 1000, "aht": 180})
    assert page.status_code == 200
    assert "Erlang C <strong>56</strong>" in page.text


def test_wallboard_page_for_supervisors_only(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    assert client.get("/supervisor/wallboard").status_code == 403
    sign_in_as(client, staff, "supervisor2")
    page = client.get("/supervisor/wallboard")
    assert page.status_code == 200
    assert "/static/supervisor/wallboard.js" in page.text
