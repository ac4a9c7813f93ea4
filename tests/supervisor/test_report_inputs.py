"""Report inputs: odd periods answer 400 in the HTTP words, odd queue names stay data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import VisitOutcome as V
from callcenter.calls.service import store_calls
from tests.console_app import Staff, sign_in_as
from tests.kpi.calls import ROLLUPS, call, visit
from tests.supervisor.test_pages_and_api import DAY, bearer

#  path                 extra query parameters
ENDPOINTS = [
    ("/api/kpi/report", {}),
    ("/api/kpi/explain", {"kpi": "service_level", "queue": "support"}),
    ("/api/kpi/quality", {}),
]


@pytest.mark.parametrize(("path", "extra"), ENDPOINTS)
def test_a_date_before_year_one_in_utc_is_a_bad_request(
    client: TestClient, staff: Staff, path: str, extra: dict[str, str]
) -> None:
    params = {**DAY, **extra, "from": "0001-01-01T00:00+01:00"}
    answer = client.get(path, params=params, headers=bearer(staff, "admin"))
    assert answer.status_code == 400
    assert "out of the range of dates" in answer.json()["detail"]


def test_the_reports_page_refuses_a_date_before_year_one(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={"from": "0001-01-01T00:00+01:00"})
    assert page.status_code == 400


def test_a_reversed_period_names_the_query_parameters(client: TestClient, staff: Staff) -> None:
    params = {"from": DAY["to"], "to": DAY["from"]}
    answer = client.get("/api/kpi/report", params=params, headers=bearer(staff, "admin"))
    assert answer.status_code == 400
    assert answer.json()["detail"] == "query parameter `to` must be after query parameter `from`"


def test_a_queue_name_cannot_close_the_chart_script(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    hostile = "</script><script>alert(1)</script>"
    with sessions() as session, session.begin():
        store_calls(
            session,
            [call("c1", visit(hostile, "09:00:00", V.ANSWERED, 5, 60))],
            after_store=ROLLUPS,
        )
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params=DAY)
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert "\\u003c/script\\u003e" in page.text  # still there, as JSON the chart can read
