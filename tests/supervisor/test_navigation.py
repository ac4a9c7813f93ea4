"""The navigation bar on every page, each role's entries, and where sign-in lands."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from agent_ui.nav import NAV_ENTRIES, nav_entries
from tests.console_app import PASSWORD, Staff, sign_in_as

LEADS = ["/console", "/supervisor/wallboard", "/supervisor/reports", "/supervisor/staffing"]
DESK = ["/desk/tickets", "/desk/customers", "/desk/callbacks"]
PAGES = {"agent1": ["/console", *DESK], "supervisor1": LEADS + DESK, "admin": LEADS + DESK}


def nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert nav, "no navigation bar"
    return re.findall(r'<a href="([^"]+)"', nav.group(0))


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_page_shows_the_roles_entries(client: TestClient, staff: Staff, name: str) -> None:
    sign_in_as(client, staff, name)
    role = {"agent1": "agent", "supervisor1": "supervisor", "admin": "admin"}[name]
    expected = [entry.href for entry in nav_entries(role)]
    for path in PAGES[name]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert nav_links(page.text) == expected, path


def test_agents_see_no_supervisor_entries_and_everyone_sees_the_desk() -> None:
    agent = {entry.href for entry in nav_entries("agent")}
    assert "/supervisor/wallboard" not in agent
    assert {"/console", "/desk/tickets", "/desk/customers", "/desk/callbacks"} <= agent
    supervisor = {entry.href for entry in nav_entries("supervisor")}
    assert {"/supervisor/wallboard", "/supervisor/reports", "/supervisor/staffing"} <= supervisor
    assert "/docs" not in supervisor
    assert {entry.href for entry in nav_entries("admin")} == {e.href for e in NAV_ENTRIES}
    assert nav_entries("stranger") == []


def test_the_current_page_is_marked(client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor1")
    page = client.get("/supervisor/reports").text
    assert '<a href="/supervisor/reports" data-testid="nav-reports" aria-current="page">' in page
    assert 'href="/supervisor/wallboard" data-testid="nav-wallboard">' in page


def test_the_sign_in_page_has_no_navigation(client: TestClient) -> None:
    assert 'class="site-nav"' not in client.get("/signin").text


def _sign_in(client: TestClient, name: str, next_path: str | None = None) -> str:
    form = client.get("/signin", params={"next": next_path} if next_path else None).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    data = {"username": name, "password": PASSWORD, "csrf_token": token.group(1)}
    if next_path:
        data["next"] = next_path
    answer = client.post("/signin", data=data, follow_redirects=False)
    assert answer.status_code == 303
    return answer.headers["location"]


@pytest.mark.parametrize(
    ("name", "landing"),
    [
        ("agent1", "/console"),
        ("supervisor1", "/supervisor/wallboard"),
        ("admin", "/supervisor/wallboard"),
    ],
)
def test_sign_in_lands_by_role(client: TestClient, staff: Staff, name: str, landing: str) -> None:
    assert _sign_in(client, name) == landing


@pytest.mark.parametrize(
    ("name", "landing"),
    [("agent1", "/console"), ("supervisor1", "/supervisor/wallboard")],
)
def test_the_root_leads_a_signed_in_user_to_their_page(
    client: TestClient, staff: Staff, name: str, landing: str
) -> None:
    sign_in_as(client, staff, name)
    answer = client.get("/", follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, landing)


def test_sign_in_from_the_root_lands_by_role(client: TestClient, staff: Staff) -> None:
    assert _sign_in(client, "supervisor1", "/") == "/supervisor/wallboard"


def test_sign_in_still_goes_where_it_was_asked(client: TestClient, staff: Staff) -> None:
    assert _sign_in(client, "supervisor1", "/supervisor/reports") == "/supervisor/reports"
    client.cookies.clear()
    assert _sign_in(client, "admin", "/console") == "/console"


@pytest.mark.parametrize(
    ("name", "scope"),
    [
        ("supervisor1", "Team red only. Queue figures cover every agent."),
        ("supervisor2", "Team blue only."),
        ("admin", "All agents."),
    ],
)
def test_the_wallboard_says_whose_agents_its_grid_lists(
    client: TestClient, staff: Staff, name: str, scope: str
) -> None:
    sign_in_as(client, staff, name)
    page = client.get("/supervisor/wallboard").text
    said = re.search(r'data-testid="grid-scope">([^<]*)<', page)
    assert said
    assert said.group(1).startswith(scope)
