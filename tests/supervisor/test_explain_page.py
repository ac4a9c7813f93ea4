"""The explain drill-down as a page (calls as a table with links, what was counted, what
scope hides), and as JSON with `Accept: application/json` or `?format=json`."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.console_app import Staff, sign_in_as
from tests.supervisor.test_explain_scope import stored
from tests.supervisor.test_pages_and_api import DAY

__all__ = ["stored"]
PARAMS = {**DAY, "kpi": "service_level", "queue": "support"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_a_supervisor_sees_the_calls_and_why_some_are_hidden(
    client: TestClient, staff: Staff, stored: None
) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/explain", params=PARAMS, headers=BROWSER)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "4 calls counted in the denominator, 3 of them in the numerator." in page.text
    assert "1 call outside your team: counted in the figure, not listed here." in page.text
    assert '<a href="/desk/customers?q=%2B1555001">+1555001</a>' in page.text
    assert "+1555003" not in page.text  # agent3's call is blue, not this supervisor's
    assert 'class="site-nav"' in page.text


def test_an_admin_sees_every_call_and_no_hidden_sentence(
    client: TestClient, staff: Staff, stored: None
) -> None:
    sign_in_as(client, staff, "admin")
    page = client.get("/supervisor/explain", params=PARAMS, headers=BROWSER).text
    assert "+1555003" in page
    assert "outside your" not in page


def test_json_by_accept_or_format(client: TestClient, staff: Staff, stored: None) -> None:
    sign_in_as(client, staff, "supervisor2")
    by_accept = client.get(
        "/supervisor/explain", params=PARAMS, headers={"Accept": "application/json"}
    )
    by_format = client.get("/supervisor/explain", params={**PARAMS, "format": "json"})
    assert by_accept.json() == by_format.json()
    assert by_accept.json()["hidden"] == {"numerator": 2, "denominator": 2}
    assert [row["linkedid"] for row in by_accept.json()["denominator"]] == ["blue", "gone"]


def test_a_bad_kpi_is_said_on_the_page_and_in_json(
    client: TestClient, staff: Staff, stored: None
) -> None:
    sign_in_as(client, staff, "admin")
    params = {**PARAMS, "kpi": "happiness"}
    page = client.get("/supervisor/explain", params=params, headers=BROWSER)
    assert page.status_code == 400
    assert "unknown kpi &#39;happiness&#39;" in page.text
    answer = client.get("/supervisor/explain", params={**params, "format": "json"})
    assert answer.status_code == 400
    assert "unknown kpi" in answer.json()["detail"]


def test_agents_get_the_403_page(client: TestClient, staff: Staff, stored: None) -> None:
    sign_in_as(client, staff, "agent1")
    page = client.get("/supervisor/explain", params=PARAMS, headers=BROWSER)
    assert page.status_code == 403
    assert "supervisors and admins" in page.text
