"""Click-to-dial takes numbers as people write them; the call pops, rings and wraps up."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.records import Direction
from tests.agent_ui.live_stack import live_stack
from tests.agent_ui.test_live_hangup_leg import stored_call
from tests.agent_ui.test_live_sign_in_and_dial import agent1
from tests.browser.console_helpers import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def dialler(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    """agent1 on a phone the simulated PBX rings through Local channels, as Asterisk does."""
    with sessions() as session, session.begin():
        agent1(session, "Local/1001@agents/n")


@pytest.mark.parametrize("typed", ["+1 555 123 0003", "(555) 123-0003"])
def test_click_to_dial_a_number_as_people_write_it(
    page: Any, database_url: str, sessions: sessionmaker[Session], dialler: None, typed: str
) -> None:
    with live_stack(database_url, sessions, local_channels=True, humans_logged_out=True) as stack:
        page.goto(stack.base_url + "/console")
        page.fill("input[name=username]", "agent1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=link]:has-text('live')")
        page.click("[data-testid=queue-signin]")
        page.wait_for_selector("[data-testid=state][data-state=available]")

        page.fill("[data-testid=dial-number]", typed)
        page.click("[data-testid=dial]")
        page.wait_for_selector("#notice:has-text('Calling +15551230003')")
        page.wait_for_selector("[data-testid=caller-number]:has-text('+15551230003')")
        assert "outbound call" in page.inner_text("[data-testid=pop]")
        page.wait_for_selector("[data-testid=pop-card]:has-text('No customer has this number')")
        page.wait_for_selector("[data-testid=state][data-state=on_call]")
        linkedid = str(page.get_attribute(".pop", "data-linkedid"))

        page.click("[data-testid=hangup]")
        page.wait_for_selector("[data-testid=state][data-state=wrap_up]")
        page.click("[data-testid=wrapup-done]")
        page.wait_for_selector("[data-testid=state][data-state=available]")

    record = stored_call(sessions, linkedid)
    assert record.direction is Direction.OUTBOUND
    assert record.dialed_number == "+15551230003"


def test_a_number_that_cannot_be_dialled_is_refused_with_a_reason(
    page: Any, database_url: str, sessions: sessionmaker[Session], dialler: None
) -> None:
    with live_stack(database_url, sessions, local_channels=True, humans_logged_out=True) as stack:
        page.goto(stack.base_url + "/console")
        page.fill("input[name=username]", "agent1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=link]:has-text('live')")
        page.fill("[data-testid=dial-number]", "call me maybe")
        page.click("[data-testid=dial]")
        page.wait_for_selector("#notice .error:has-text('is not a phone number')")
