"""Keyboard shortcuts for the answer-side actions, listed on the console."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_stack import live_stack
from tests.browser.console_helpers import open_console_as_agent1

pytestmark = pytest.mark.browser


def test_shortcuts_are_shown_and_work(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        open_console_as_agent1(page, stack.base_url)
        shown = page.inner_text("[data-testid=shortcuts]")
        for key in ("Alt+A", "Alt+P", "Alt+W", "Alt+S"):
            assert key in shown
        page.click("[data-testid=queue-signin]")
        page.wait_for_selector("[data-testid=state][data-state=available]")

        page.keyboard.press("Alt+KeyP")
        page.wait_for_selector("[data-testid=state][data-state=paused]")
        page.keyboard.press("Alt+KeyA")
        page.wait_for_selector("[data-testid=state][data-state=available]")

        stack.call_in("+15551230001", "Ann Customer")
        page.wait_for_selector("[data-testid=state][data-state=on_call]")
        page.click("[data-testid=hangup]")
        page.wait_for_selector("[data-testid=state][data-state=wrap_up]")
        page.fill("[data-testid=notes]", "Saved from the keyboard")
        page.keyboard.press("Alt+KeyS")
        page.wait_for_selector("#notice:has-text('Notes saved.')")
        page.keyboard.press("Alt+KeyW")
        page.wait_for_selector("[data-testid=state][data-state=available]")
