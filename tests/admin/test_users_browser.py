"""The admin's user pages in a real browser: create an agent who then signs in, change their
penalties, and see a refused form marked on its field."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect
from sqlalchemy.orm import Session, sessionmaker

from tests.admin.conftest import ADMIN_PASSWORD, sign_in
from tests.agent_ui.live_stack import live_stack
from tests.browser.desk_origin import open_desk
from tests.console_app import Staff, sign_in_as

pytestmark = pytest.mark.browser

NEW_PASSWORD = "marble kettle sunrise"


def test_an_admin_creates_an_agent_who_signs_in(
    page: Any, database_url: str, sessions: sessionmaker[Session], floor: None
) -> None:
    with live_stack(database_url, sessions) as stack:
        sign_in(page, stack.base_url, "/admin/users", "root", ADMIN_PASSWORD)
        expect(page.locator("[data-testid=admin-users]")).to_be_visible()
        expect(page.locator("[data-testid=nav-admin]")).to_have_attribute("aria-current", "page")

        page.fill("[data-testid=new-username]", "agent7")
        page.fill("[data-testid=new-display_name]", "Sam Seven")
        page.select_option("[data-testid=new-team]", label="red")
        page.fill("[data-testid=new-interface]", "PJSIP/1007")
        page.fill("[data-testid=new-member_name]", "Sam")
        page.fill("[data-testid=new-queues]", "support:2")
        page.fill("[data-testid=new-password]", "short")
        page.fill("[data-testid=new-password_again]", "short")
        page.click("[data-testid=user-create]")
        expect(page.locator("[data-testid=error-password]")).to_contain_text("at least 10")
        expect(page.locator("[data-testid=new-password]")).to_have_attribute("aria-invalid", "true")
        expect(page.locator("[data-testid=new-username]")).to_have_value("agent7")  # kept

        page.fill("[data-testid=new-password]", NEW_PASSWORD)
        page.fill("[data-testid=new-password_again]", NEW_PASSWORD)
        page.click("[data-testid=user-create]")
        expect(page.locator("[data-testid=user-name]")).to_have_text("Sam Seven")
        expect(page.locator("[data-testid=penalty-support]")).to_have_value("2")

        page.fill("[data-testid=penalty-support]", "5")
        page.fill("[data-testid=queue-new-0]", "billing")
        page.fill("[data-testid=penalty-new-0]", "1")
        page.click("[data-testid=queues-save]")
        expect(page.locator("[data-testid=penalty-support]")).to_have_value("5")
        expect(page.locator("[data-testid=penalty-billing]")).to_have_value("1")
        page.click("a[href='/admin/users']")
        expect(page.locator("[data-user=agent7] [data-testid=user-queues]")).to_have_text(
            "billing (1), support (5)"
        )

        page.click(".site-signout button")
        sign_in(page, stack.base_url, "/signin", "agent7", NEW_PASSWORD)
        expect(page.locator("[data-testid=nav-user]")).to_have_text("Sam Seven (agent)")
        assert page.url.endswith("/console")
        expect(page.locator("[data-testid=nav-admin]")).to_have_count(0)
        page.goto(stack.base_url + "/admin/users")
        expect(page.locator("[data-testid=error-page]")).to_have_attribute("data-status", "403")


def test_an_admin_issues_and_revokes_a_token_and_deactivates_a_user(
    page: Any, client: TestClient, staff: Staff
) -> None:
    sign_in_as(client, staff, "admin")
    errors = open_desk(page, client, f"/admin/users/{staff.ids['agent2']}")
    page.click("[data-testid=token-issue]")  # the browser asks what it is for first
    expect(page.locator("[data-testid=new-token]")).to_have_count(0)
    page.fill("[data-testid=token-label]", "nightly export")
    page.click("[data-testid=token-issue]")
    token = page.inner_text("[data-testid=new-token]")
    headers = {"Authorization": f"Bearer {token}"}
    assert token.startswith("cc_") and client.get("/api/customers", headers=headers).is_success
    row = page.locator("[data-testid=token-row]", has_text="nightly export")
    row.locator("button").click()
    expect(page.locator("[data-testid=new-token]")).to_have_count(0)  # shown once only
    expect(page.locator("[data-testid=token-row]", has_text="nightly export")).to_contain_text(
        "revoked"
    )
    assert client.get("/api/customers", headers=headers).status_code == 401

    page.fill("[data-testid=field-password]", "password123")
    page.fill("[data-testid=field-password_again]", "password123")
    page.click("[data-testid=password-save]")
    expect(page.locator("[data-testid=error-password]")).to_be_visible()
    expect(page.locator("[data-testid=field-password]")).to_have_attribute("aria-invalid", "true")

    page.click("[data-testid=deactivate]")
    expect(page.locator("[data-testid=inactive]")).to_be_visible()
    assert errors == []
