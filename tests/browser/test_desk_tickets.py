"""The desk's ticket list and ticket page in a real browser: find a ticket, open it by its
number, comment, move it, and see a refused edit marked on its field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.browser.desk_origin import open_desk
from tests.console_app import Staff, sign_in_as
from tests.desk.seed import seed_tickets

pytestmark = pytest.mark.browser


def test_an_agent_finds_a_ticket_and_works_it(
    page: Any, client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    ids = seed_tickets(sessions)
    sign_in_as(client, staff, "agent1")
    errors = open_desk(page, client, "/desk/tickets")
    assert page.locator("[data-testid=ticket-row]").count() == 1  # mine

    page.click("[data-testid=view-all]")
    page.wait_for_selector("[data-testid=ticket-count]:has-text('4 tickets')")
    page.fill("[data-testid=search]", "printer")
    page.click("[data-testid=apply]")
    page.wait_for_selector("[data-testid=ticket-count]:has-text('1 ticket')")
    page.click("[data-testid=ticket-link]")

    page.wait_for_selector("[data-testid=desk-ticket]")
    assert page.url.endswith(f"/desk/tickets/{ids['mine']}")
    assert page.inner_text("[data-testid=customer]") == "Ann Customer"
    assert page.inner_text("[data-testid=call-queue]") == "support"
    assert page.inner_text("[data-testid=call-duration]") == "2:05"
    assert "left" in page.inner_text("[data-testid=sla-due]")

    page.fill("[data-testid=comment-body]", "Sent a technician")
    page.click("[data-testid=comment-add]")
    page.wait_for_selector("[data-testid=comment]:has-text('Sent a technician')")

    page.click("[data-testid=move-open]")
    page.wait_for_selector("[data-testid=status]:has-text('open')")
    assert page.locator("[data-testid=move-open]").count() == 0  # no move to where it is

    page.fill("[data-testid=edit-assignee]", "agent3")  # another team's agent
    page.click("[data-testid=edit-save]")
    page.wait_for_selector("[data-testid=error-assignee]")
    assert page.get_attribute("[data-testid=edit-assignee]", "aria-invalid") == "true"
    assert errors == []


def test_another_teams_ticket_is_read_only(
    page: Any, client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    ids = seed_tickets(sessions)
    sign_in_as(client, staff, "agent1")
    open_desk(page, client, f"/desk/tickets/{ids['blue']}")
    page.wait_for_selector("[data-testid=read-only]")
    assert page.locator("[data-testid=comment-form]").count() == 0
    assert page.locator("[data-testid=edit-form]").count() == 0
