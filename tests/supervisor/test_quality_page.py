"""The quality drill-down as a page (figures, and the tickets they count, linked) and as
JSON; the reports page links every drill-down to a page, not to raw JSON."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import VisitOutcome as V
from tests.console_app import Staff, sign_in_as
from tests.kpi.calls import call, visit
from tests.supervisor.test_pages_and_api import DAY
from tests.supervisor.test_quality import ANN, store

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_the_quality_page_lists_the_tickets_it_counts(
    client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    calls = [
        call("in1", visit("support", "09:00:00", V.ANSWERED, 5, 60, 0, "agent1"), number=ANN),
        call("in2", visit("support", "10:00:00", V.ANSWERED, 5, 60, 0, "agent1")),
    ]
    store(sessions, calls, [("complaint", ["in1"])])
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/quality", params=DAY, headers=BROWSER)
    assert page.status_code == 200
    assert "1 ticket opened from a call in the period is counted" in page.text
    assert '<a href="/desk/tickets/1">#1</a></td><td>complaint</td>' in page.text
    assert f'<a href="/desk/customers?q=%2B{ANN[1:]}">{ANN}</a>' in page.text
    assert "<td>50.0 %</td>" in page.text  # the complaint rate: 1 of 2 answered calls
    by_format = client.get("/supervisor/quality", params={**DAY, "format": "json"}).json()
    by_accept = client.get(
        "/supervisor/quality", params=DAY, headers={"Accept": "application/json"}
    ).json()
    assert by_format == by_accept
    assert by_format["complaint_rate"] == 0.5


def test_the_reports_page_links_drill_downs_to_pages(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports", params={**DAY, "interval": "day"}).text
    assert 'href="/supervisor/reports?by=agent&amp;interval=day&amp;from=' in page
    assert 'href="/supervisor/reports?by=team&amp;interval=day&amp;from=' in page
    assert 'href="/supervisor/quality?from=' in page
    assert 'href="/api/kpi/' not in page.replace('href="/api/kpi/report?', "")  # CSV only
