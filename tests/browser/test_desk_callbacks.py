"""The desk's callback list in a real browser: overdue first, dial in one click (the
console's click-to-dial, with the session's CSRF token), mark a callback done."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.browser.desk_origin import open_desk
from tests.console_app import Staff, sign_in_as
from tests.desk.seed import seed_tickets

pytestmark = pytest.mark.browser


def test_an_agent_dials_a_callback_and_marks_it_done(
    page: Any, client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    seed_tickets(sessions)
    csrf = sign_in_as(client, staff, "agent1")
    errors = open_desk(page, client, "/desk/callbacks")
    assert "1 callback, 0 overdue" in page.inner_text("[data-testid=cb-summary]")
    assert "left" in page.inner_text("[data-testid=cb-due]")

    with page.expect_request("**/console/dial") as dialled:
        page.click("[data-testid=cb-dial]")
    assert dialled.value.post_data == "number=%2B15551230001"
    assert dialled.value.headers["x-csrf-token"] == csrf

    page.fill("[data-testid=cb-note]", "Told them it is fixed")
    page.click("[data-testid=cb-done]")
    page.wait_for_selector("[data-testid=cb-summary]:has-text('0 callbacks')")
    page.select_option("[data-testid=cb-status]", "done")
    page.click("button:has-text('Show')")
    page.wait_for_selector("[data-testid=cb-row]:has-text('Told them it is fixed')")
    assert errors == []
