"""The admin's team pages in a real browser: a new team, a member moved in, a refused name."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from tests.browser.desk_origin import open_desk
from tests.console_app import Staff, sign_in_as

pytestmark = pytest.mark.browser


def test_an_admin_makes_a_team_and_moves_an_agent_in(
    page: Any, client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "admin")
    errors = open_desk(page, client, "/admin/teams")
    expect(page.locator("[data-team=red] [data-testid=team-members]")).to_contain_text("agent1")

    page.fill("[data-testid=team-name]", "blue")
    page.click("[data-testid=team-create]")
    expect(page.locator("[data-testid=error-name]")).to_contain_text("already exists")
    expect(page.locator("[data-testid=team-name]")).to_have_attribute("aria-invalid", "true")

    page.fill("[data-testid=team-name]", "night shift")
    page.click("[data-testid=team-create]")
    expect(page.locator("[data-testid=team-title]")).to_have_text("night shift")
    page.select_option("[data-testid=member-add-user]", value=str(staff.ids["agent2"]))
    page.click("[data-testid=member-add]")
    expect(page.locator("[data-testid=member-row][data-user=agent2]")).to_be_visible()

    page.click("[data-testid=admin-tabs] >> text=Teams")
    expect(page.locator("[data-team='night shift'] [data-testid=team-members]")).to_have_text(
        "agent2"
    )
    expect(page.locator("[data-team=red] [data-testid=team-members]")).not_to_contain_text("agent2")
    assert errors == []
