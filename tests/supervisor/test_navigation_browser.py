"""The navigation bar in a real browser: a supervisor lands on the wallboard and moves
between pages by it; an agent lands on the console and sees only the agent's entries."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.users.service import Role, create_user
from tests.agent_ui.live_stack import live_stack

pytestmark = pytest.mark.browser

PASSWORD = "supervisor-password"


@pytest.fixture
def people(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    with sessions() as session, session.begin():
        create_user(session, "boss", role=Role.SUPERVISOR, password=PASSWORD, team="red")
        create_user(
            session, "agent1", role=Role.AGENT, password=PASSWORD, team="red",
            interface="PJSIP/1001", member_name="agent1", queues=[("support", 0)],
        )  # fmt: skip


def sign_in(page: Any, base_url: str, name: str) -> None:
    page.goto(base_url + "/signin")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_a_supervisor_lands_on_the_wallboard_and_navigates(
    page: Any, database_url: str, sessions: sessionmaker[Session], people: None
) -> None:
    with live_stack(database_url, sessions) as stack:
        sign_in(page, stack.base_url, "boss")
        page.wait_for_selector("[data-testid=wallboard]")
        assert page.url.endswith("/supervisor/wallboard")
        assert page.inner_text("[data-testid=grid-scope]").startswith("Team red only.")
        nav = page.locator("[data-testid=nav]")
        assert nav.locator("[aria-current=page]").inner_text() == "Wallboard"
        labels = nav.locator("a").all_inner_texts()
        assert labels[:4] == ["Console", "Tickets", "Customers", "Callbacks"]
        assert {"Wallboard", "Reports", "Staffing"} <= set(labels)

        page.click("[data-testid=nav-reports]")
        page.wait_for_url("**/supervisor/reports")
        assert page.locator("[data-testid=nav] [aria-current=page]").inner_text() == "Reports"
        page.click("[data-testid=nav-staffing]")
        page.wait_for_url("**/supervisor/staffing")
        page.click("[data-testid=nav-console]")
        page.wait_for_url("**/console")
        page.click("[data-testid=nav-wallboard]")
        page.wait_for_selector("[data-testid=wb-link]:has-text('live')")

        page.click("[data-testid=nav] button:has-text('Sign out')")
        # The wallboard's socket closes with the session and sends the page to sign-in too.
        page.wait_for_url(lambda url: "/signin" in url)
        page.wait_for_selector("input[name=username]")


def test_an_agent_lands_on_the_console_without_supervisor_entries(
    page: Any, database_url: str, sessions: sessionmaker[Session], people: None
) -> None:
    with live_stack(database_url, sessions) as stack:
        sign_in(page, stack.base_url, "agent1")
        page.wait_for_selector("[data-testid=state]")
        assert page.url.endswith("/console")
        labels = page.locator("[data-testid=nav] a").all_inner_texts()
        assert labels == ["Console", "Tickets", "Customers", "Callbacks"]
        assert page.locator("[data-testid=nav-user]").inner_text() == "agent1 (agent)"
