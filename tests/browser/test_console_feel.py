"""The console's small things: each fact shown once, buttons off when they cannot work,
readable text boxes, a colour per state."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_stack import live_stack
from tests.browser.console_helpers import open_console_as_agent1

pytestmark = pytest.mark.browser


def state_colour(page: Any) -> str:
    return str(page.eval_on_selector("#state", "el => getComputedStyle(el).backgroundColor"))


def test_a_known_callers_call_from_ring_to_wrap_up(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        open_console_as_agent1(page, stack.base_url)
        assert page.is_disabled("[data-testid=hangup]")
        assert page.is_disabled("[data-testid=transfer]")
        assert page.is_disabled("[data-testid=wrapup-done]")
        logged_out = state_colour(page)

        page.click("[data-testid=queue-signin]")
        page.wait_for_selector("[data-testid=state][data-state=available]")
        stack.call_in("+15551230001", "Ann Customer")
        page.wait_for_selector("[data-testid=state][data-state=on_call]")
        page.wait_for_selector("[data-testid=customer-name]:has-text('Ann Customer')")
        assert page.inner_text("[data-testid=pop]").lower().count("vip") == 1
        assert page.is_enabled("[data-testid=hangup]")
        assert page.is_enabled("[data-testid=transfer]")
        assert page.is_disabled("[data-testid=wrapup-done]")
        assert page.is_disabled("[data-testid=available]")
        on_call = state_colour(page)

        page.click("[data-testid=hangup]")
        page.wait_for_selector("[data-testid=state][data-state=wrap_up]")
        assert page.inner_text("#reason") == ""  # not "Wrap-up (Wrap-up)"
        expect(page.locator("[data-testid=hangup]")).to_be_disabled()
        assert page.is_enabled("[data-testid=wrapup-done]")
        wrap_up = state_colour(page)
        assert len({logged_out, on_call, wrap_up}) == 3

        font = page.eval_on_selector(
            "[data-testid=notes]",
            "el => [getComputedStyle(el).fontFamily, parseFloat(getComputedStyle(el).fontSize)]",
        )
        assert "monospace" not in font[0]
        assert font[1] >= 14


def test_an_unknown_callers_number_is_shown_once(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        open_console_as_agent1(page, stack.base_url)
        page.click("[data-testid=queue-signin]")
        page.wait_for_selector("[data-testid=state][data-state=available]")
        stack.call_in("+15551239999", "+15551239999")  # no name: the PBX repeats the number
        page.wait_for_selector("[data-testid=pop-card]:has-text('No customer has this number')")
        assert page.inner_text("[data-testid=pop]").count("+15551239999") == 1
