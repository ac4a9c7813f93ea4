"""The admin's SLA pages in a real browser: business hours, then a priority's targets, then a
new ticket on the desk showing its due time."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect

from tests.browser.desk_origin import open_desk
from tests.console_app import Staff, sign_in_as

pytestmark = pytest.mark.browser


def test_an_admin_sets_hours_and_targets_and_the_desk_shows_due_times(
    page: Any, client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "admin")
    errors = open_desk(page, client, "/admin/sla")
    expect(page.locator("[data-testid=policy-none-urgent]")).to_be_visible()

    page.click("[data-testid=hours-new]")
    page.fill("[data-testid=hours-name]", "Office")
    page.fill("[data-testid=hours-timezone]", "Europe/Paris")
    page.check("[data-testid=hours-default]")
    for day in range(7):
        page.fill(f"[data-testid=day-{day}]", "08:00-18:00")
    page.fill("[data-testid=day-6]", "8-6")
    page.click("[data-testid=hours-save]")
    expect(page.locator("[data-testid=error-day-6]")).to_contain_text("Sunday")
    expect(page.locator("[data-testid=day-6]")).to_have_attribute("aria-invalid", "true")
    page.fill("[data-testid=day-6]", "")
    page.click("[data-testid=hours-save]")
    expect(page.locator("[data-testid=hours-title]")).to_have_text("Office")

    page.click("[data-testid=admin-tabs] >> text=SLA and hours")
    page.fill("[data-testid=urgent-first]", "15")
    page.fill("[data-testid=urgent-resolution]", "5")
    page.click("[data-testid=urgent-save]")
    expect(page.locator("[data-testid=error-urgent]")).to_contain_text("before the first response")
    expect(page.locator("[data-testid=urgent-resolution]")).to_have_attribute(
        "aria-invalid", "true"
    )
    page.fill("[data-testid=urgent-resolution]", "240")
    page.click("[data-testid=urgent-save]")
    expect(page.locator("[data-testid=urgent-resolution]")).to_have_value("240")
    expect(page.locator("[data-testid=policy-none-urgent]")).to_have_count(0)

    created = client.post(
        "/api/tickets",
        json={"subject": "Line down", "priority": "urgent"},
        headers={"Authorization": f"Bearer {staff.tokens['admin']}"},
    )
    assert created.status_code == 201
    page.goto(f"http://desk.test/desk/tickets/{created.json()['id']}")
    expect(page.locator("[data-testid=sla-due]")).to_contain_text("left")
    assert errors == []
