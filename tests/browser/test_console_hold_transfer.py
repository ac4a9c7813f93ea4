"""Hold, resume, and cancelling then completing an attended transfer, from the console's buttons."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_stack import live_stack
from tests.browser.console_helpers import open_console_as_agent1

pytestmark = pytest.mark.browser


def test_hold_resume_then_a_consultation_cancelled_and_one_completed(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with live_stack(database_url, sessions) as stack:
        open_console_as_agent1(page, stack.base_url)
        hold, resume = page.locator("[data-testid=hold]"), page.locator("[data-testid=resume]")
        complete = page.locator("[data-testid=transfer-complete]")
        cancel = page.locator("[data-testid=transfer-cancel]")
        status = page.locator("[data-testid=call-status]")
        # No call: none of them can work.
        for button in (hold, resume, complete, cancel):
            expect(button).to_be_disabled()

        stack.call_in("+15551230001", "Ann Customer")
        expect(page.locator("[data-testid=state][data-state=on_call]")).to_be_visible()
        expect(hold).to_be_enabled()
        expect(resume).to_be_disabled()
        hold.click()
        expect(status).to_have_text("caller on hold")
        expect(page.locator("#notice")).to_contain_text("on hold")
        expect(resume).to_be_enabled()
        expect(hold).to_be_disabled()

        page.reload()  # the hold is the PBX's: a reload still shows it
        expect(page.locator("[data-testid=call-status]")).to_have_text("caller on hold")
        page.locator("[data-testid=resume]").click()
        expect(page.locator("[data-testid=call-status]")).to_have_text("")
        expect(page.locator("[data-testid=hold]")).to_be_enabled()

        page.select_option("select[name=kind]", "attended")
        page.fill("input[name=target]", "5551234")
        page.click("[data-testid=transfer]")
        expect(status).to_contain_text("consulting 5551234")
        expect(complete).to_be_enabled()
        expect(cancel).to_be_enabled()
        expect(page.locator("[data-testid=hold]")).to_be_disabled()
        cancel.click()
        expect(page.locator("#notice")).to_contain_text("back with the caller")
        expect(status).to_have_text("")
        expect(complete).to_be_disabled()

        page.click("[data-testid=transfer]")
        expect(status).to_contain_text("consulting 5551234")
        complete.click()
        expect(page.locator("#notice")).to_contain_text("Transferred")
        expect(page.locator("[data-testid=state][data-state=wrap_up]")).to_be_visible()
