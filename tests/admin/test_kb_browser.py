"""The admin writes a knowledge-base article in a real browser; an agent finds it from the
console's search, then it is changed and removed."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session, sessionmaker

from tests.admin.conftest import ADMIN_PASSWORD, sign_in
from tests.agent_ui.live_stack import live_stack
from tests.browser.console_helpers import open_console_as_agent1

pytestmark = pytest.mark.browser


def test_an_article_written_by_the_admin_is_found_on_the_console(
    page: Any, browser: Any, database_url: str, sessions: sessionmaker[Session], floor: None
) -> None:
    with live_stack(database_url, sessions) as stack:
        sign_in(page, stack.base_url, "/admin/kb", "root", ADMIN_PASSWORD)
        page.click("[data-testid=kb-new]")
        page.fill("[data-testid=field-title]", "Headset crackles")
        page.fill("[data-testid=field-problem]", "The caller hears crackling on the line.")
        page.fill("[data-testid=field-solution]", "")
        page.click("[data-testid=article-save]")
        # The browser's own check stops an empty solution before it is sent.
        expect(page.locator("[data-testid=field-title]")).to_have_value("Headset crackles")
        page.fill("[data-testid=field-solution]", "Unplug the headset and plug it in again.")
        page.fill("[data-testid=field-tags]", "headset, audio")
        page.click("[data-testid=article-save]")
        expect(page.locator("[data-testid=article-title]")).to_have_text("Headset crackles")

        page.click("[data-testid=admin-tabs] >> text=Knowledge base")
        page.fill("[data-testid=kb-search]", "crackling")
        page.click("[data-testid=kb-find]")
        expect(page.locator("[data-testid=kb-link]")).to_have_text("Headset crackles")

        agent = browser.new_context().new_page()
        open_console_as_agent1(agent, stack.base_url)
        agent.fill("[data-testid=kb-query]", "crackling headset")
        agent.press("[data-testid=kb-query]", "Enter")
        expect(agent.locator("#kb-results summary")).to_have_text("Headset crackles")
        agent.click("#kb-results summary")
        expect(agent.locator("#kb-results")).to_contain_text("plug it in again")

        page.click("[data-testid=kb-link]")
        page.fill("[data-testid=field-solution]", "Swap the headset for a spare.")
        page.click("[data-testid=article-save]")
        expect(page.locator("[data-testid=field-solution]")).to_have_value(
            "Swap the headset for a spare."
        )
        agent.press("[data-testid=kb-query]", "Enter")
        agent.click("#kb-results summary")
        expect(agent.locator("#kb-results")).to_contain_text("spare")

        page.click("[data-testid=article-delete]")
        expect(page.locator("[data-testid=kb-count]")).to_have_text("0 articles")
        agent.press("[data-testid=kb-query]", "Enter")
        expect(agent.locator("#kb-results")).to_contain_text("No article matches")
