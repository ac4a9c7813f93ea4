"""The agent's queues on the console, with the callers waiting in them."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_stack import live_stack
from tests.browser.console_helpers import open_console_as_agent1

pytestmark = pytest.mark.browser


def test_callers_waiting_in_my_queues_are_shown(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        open_console_as_agent1(page, stack.base_url)
        page.click("[data-testid=queue-signin]")
        page.wait_for_selector("[data-testid=state][data-state=available]")
        page.click("[data-testid=pause]")
        page.wait_for_selector("[data-testid=state][data-state=paused]")

        stack.call_in("+15551230001", "Ann Customer")
        page.wait_for_selector("[data-testid=queues]:has-text('support (1 waiting, longest')")
        page.reload()  # a fresh tab knows it too
        page.wait_for_selector("[data-testid=queues]:has-text('support (1 waiting, longest')")

        page.click("[data-testid=available]")
        page.wait_for_selector("[data-testid=state][data-state=on_call]")
        # Nobody waits once the call is answered (the count follows within a second).
        expect(page.locator("[data-testid=queues]")).to_have_text("support")
