"""Errors for people are pages (403 names who may see it, 422 marks the fields); the API,
scripts and htmx keep their JSON."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.console_app import Staff, sign_in_as

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_403_is_a_page_saying_who_may_see_it(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    page = client.get("/supervisor/reports", headers=BROWSER)
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "This page is for <strong>supervisors and admins</strong>." in page.text
    assert "You are signed in as agent1 (agent)." in page.text
    assert 'class="site-nav"' in page.text  # the agent can go on from here
    assert 'href="/supervisor/wallboard"' not in page.text


def test_a_403_stays_json_for_scripts_and_htmx(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    script = client.get("/supervisor/wallboard", headers={"Accept": "application/json"})
    assert (script.status_code, script.json()) == (403, {"detail": "supervisors and admins only"})
    swap = client.get("/supervisor/wallboard", headers={**BROWSER, "HX-Request": "true"})
    assert swap.status_code == 403
    assert swap.json()["detail"] == "supervisors and admins only"


def test_the_api_keeps_json_even_for_a_browser(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    answer = client.get(
        "/api/kpi/report", params={"queue": "x", "from": "nonsense"}, headers=BROWSER
    )
    assert answer.headers["content-type"].startswith("application/json")
    assert client.get("/api/nowhere", headers=BROWSER).json() == {"detail": "Not Found"}


def test_a_404_is_a_page_for_a_browser(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "agent1")
    page = client.get("/nowhere", headers=BROWSER)
    assert page.status_code == 404
    assert "<h1>Not found</h1>" in page.text
    assert client.get("/nowhere").json() == {"detail": "Not Found"}


def test_a_missing_ticket_or_customer_is_a_page_for_a_browser(
    client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "agent1")
    for path in ("/desk/tickets/999999", "/desk/customers/999999"):
        page = client.get(path, headers=BROWSER)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "<h1>Not found</h1>" in page.text
    bearer = {"Authorization": f"Bearer {staff.tokens['agent1']}"}
    script = client.get("/api/tickets/999999", headers={**bearer, **BROWSER})
    assert script.status_code == 404
    assert script.headers["content-type"].startswith("application/json")


def test_a_422_on_a_page_form_names_the_fields(client: TestClient, staff: Staff) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    # A form post a browser makes without htmx: a page listing the field, not raw JSON.
    page = client.post("/console/pause", data={}, headers={**BROWSER, "X-CSRF-Token": csrf})
    assert page.status_code == 422
    assert "<strong>reason</strong>: Field required" in page.text
    fetched = client.post("/console/pause", data={}, headers={"X-CSRF-Token": csrf})
    assert fetched.json()["errors"][0]["field"] == "reason"


def test_the_staffing_form_marks_the_field_that_is_not_a_number(
    client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get(
        "/supervisor/staffing", params={"calls_per_hour": "lots", "aht": "180"}, headers=BROWSER
    )
    assert page.status_code == 422
    assert 'name="calls_per_hour" value="lots" required aria-invalid="true"' in page.text
    assert "&#39;lots&#39; is not a number" in page.text
    assert 'name="aht" value="180" required>' in page.text  # the good field is not marked
    bad_target = client.get(
        "/supervisor/staffing", params={"calls_per_hour": "100", "aht": "180", "target": "x"}
    )
    assert bad_target.status_code == 422
    assert 'data-testid="target-error">target must look like 0.8/20' in bad_target.text
