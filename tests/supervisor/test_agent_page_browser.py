"""The supervisor's agent page in Chromium over the simulated PBX: reached from the
wallboard, a force pause confirmed by the PBX, logged, and told on the agent's console."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_stack import live_stack
from tests.browser.console_helpers import open_console_as_agent1
from tests.supervisor.live_supervisor import PASSWORD, seed_team

pytestmark = pytest.mark.browser


def sign_in(page: Any, url: str, username: str) -> None:
    page.goto(url)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def contrast(page: Any, selector: str) -> float:
    """The WCAG contrast ratio of an element's text on its own background."""
    return float(
        page.locator(selector).evaluate(
            """(node) => {
              const rgb = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
              const lum = (c) => {
                const [r, g, b] = rgb(c).map((v) => {
                  v /= 255;
                  return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
                });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
              };
              const style = getComputedStyle(node);
              const [a, b] = [lum(style.color), lum(style.backgroundColor)].sort((x, y) => y - x);
              return (a + 0.05) / (b + 0.05);
            }"""
        )
    )


def test_force_pause_from_the_wallboard_reaches_the_agents_console(
    browser: Any, database_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    from playwright.sync_api import expect

    with sessions() as session, session.begin():
        seed_team(session)
    with live_stack(database_url, sessions) as stack:
        agent_tab = browser.new_context().new_page()
        sue = browser.new_context().new_page()
        refused: list[str] = []
        for tab in (agent_tab, sue):
            tab.set_default_timeout(20_000)
            tab.on("console", lambda m: refused.append(m.text) if "Content Sec" in m.text else None)
        open_console_as_agent1(agent_tab, stack.base_url)
        expect(agent_tab.get_by_test_id("state")).to_have_text("Available")

        sign_in(sue, stack.base_url + "/supervisor/wallboard", "sue")
        sue.get_by_test_id("name-agent1").get_by_role("link").click()
        expect(sue.get_by_test_id("agent-state")).to_have_text("Available")
        expect(sue.get_by_test_id("queue-paused-support")).to_have_text("no")

        # A pause without a reason typed is refused and the field marked.
        sue.get_by_test_id("pause-reason").select_option("Meeting")
        sue.get_by_test_id("pause-note").fill("ok")
        sue.get_by_test_id("force-pause").click()
        expect(sue.get_by_test_id("pause-note")).to_have_attribute("aria-invalid", "true")
        sue.get_by_test_id("pause-note").fill("Team huddle at 10")
        sue.get_by_test_id("force-pause").click()
        expect(sue.get_by_test_id("action-result")).to_contain_text("The PBX confirmed it")
        expect(sue.get_by_test_id("agent-state")).to_have_text("Paused")
        expect(sue.get_by_test_id("queue-paused-support")).to_have_text("paused (Meeting)")
        expect(sue.get_by_test_id("action-log")).to_contain_text("Team huddle at 10")
        expect(sue.get_by_test_id("action-log")).to_contain_text("sue")

        expect(agent_tab.get_by_test_id("state")).to_have_text("Paused")
        told = agent_tab.get_by_test_id("supervised")
        expect(told).to_have_text("Paused by supervisor Sue Lead: Team huddle at 10")
        agent_tab.reload()
        expect(told).to_have_text("Paused by supervisor Sue Lead: Team huddle at 10")

        # Unpause, then sign out of the queue: each confirmed and told.
        sue.get_by_test_id("unpause-note").fill("Huddle is over")
        sue.get_by_test_id("force-unpause").click()
        expect(agent_tab.get_by_test_id("state")).to_have_text("Available")
        expect(told).to_have_text("Made available by supervisor Sue Lead: Huddle is over")
        sue.get_by_test_id("signout-note").fill("Shift ended")
        sue.get_by_test_id("force-signout").click()
        expect(sue.get_by_test_id("agent-state")).to_have_text("Logged out")
        expect(agent_tab.get_by_test_id("state")).to_have_text("Logged out")
        expect(told).to_have_text("Signed out of support by supervisor Sue Lead: Shift ended")
        assert refused == [], "a page broke its own security policy"


def test_the_read_only_console_says_whose_it_is_and_reads_well(
    page: Any, database_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    from playwright.sync_api import expect

    with sessions() as session, session.begin():
        seed_team(session)
    with live_stack(database_url, sessions) as stack:
        sign_in(page, stack.base_url + "/console/agents/agent1", "sue")
        badge = page.get_by_test_id("viewing")
        expect(badge).to_have_text("You are viewing agent1's console (read-only)")
        assert contrast(page, "[data-testid=viewing]") >= 4.5
