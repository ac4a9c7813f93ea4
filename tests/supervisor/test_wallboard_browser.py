"""The wallboard in a real browser: its numbers change without a reload as the simulated PBX
puts callers in the queue."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.users.service import Role, create_user
from tests.agent_ui.live_stack import live_stack

pytestmark = pytest.mark.browser

PASSWORD = "supervisor-password"


@pytest.fixture
def supervisor(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    with sessions() as session, session.begin():
        create_user(session, "boss", role=Role.SUPERVISOR, password=PASSWORD, team="red")
        create_user(
            session, "agent1", role=Role.AGENT, password=PASSWORD, team="red",
            interface="PJSIP/1001", member_name="agent1", queues=[("support", 0)],
        )  # fmt: skip


def test_wallboard_numbers_change_without_a_reload(
    page: Any, database_url: str, sessions: sessionmaker[Session], supervisor: None
) -> None:
    with live_stack(database_url, sessions) as stack:
        page.goto(stack.base_url + "/supervisor/wallboard")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=wb-link]:has-text('live')")
        page.evaluate("window.__sameDocument = true")  # gone if the page reloads

        # The simulated PBX lists support with servicelevel 20: the tile says whose it is.
        page.wait_for_selector("[data-testid=threshold-support]:has-text('SL 20 s (PBX)')")
        stack.call_in("+15551230001", "Ann Customer")
        page.wait_for_selector("[data-testid=waiting-support]:has-text('1')")
        stack.call_in("+15551230002", "Bob Customer")
        page.wait_for_selector("[data-testid=waiting-support]:has-text('2')")

        assert page.evaluate("window.__sameDocument") is True
        assert page.inner_text("[data-testid=wb-link]") == "live"
