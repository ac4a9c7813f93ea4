"""The desk's customer search and customer page in a real browser: find a caller by a number
typed as people write it, read their history, correct the record, see a refusal marked."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.browser.desk_origin import open_desk
from tests.console_app import Staff, sign_in_as
from tests.desk.seed import seed_tickets

pytestmark = pytest.mark.browser


def test_an_agent_finds_a_customer_and_corrects_the_record(
    page: Any, client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    ids = seed_tickets(sessions)
    sign_in_as(client, staff, "agent1")
    errors = open_desk(page, client, "/desk/customers")
    page.fill("[data-testid=customer-search]", "(555) 123-0001")
    page.click("[data-testid=customer-search-go]")
    page.click("[data-testid=customer-link]:has-text('Ann Customer')")

    page.wait_for_selector("[data-testid=desk-customer]")
    assert page.url.endswith(f"/desk/customers/{ids['customer']}")
    assert "Caller smells smoke" in page.inner_text("[data-testid=history]")
    assert "printer is fixed" in page.inner_text("[data-testid=customer-callbacks]")
    assert page.locator("[data-testid=field-category]").count() == 0  # an agent's page

    page.fill("[data-testid=field-city]", "Leeds")
    page.click("[data-testid=customer-save]")
    page.wait_for_selector("[data-testid=field-city][value=Leeds]")

    page.fill("[data-testid=phone-number]", "12")
    page.click("[data-testid=phone-add]")
    page.wait_for_selector("[data-testid=error-number]")
    assert page.get_attribute("[data-testid=phone-number]", "aria-invalid") == "true"
    page.fill("[data-testid=phone-number]", "+1 555 123 0009")
    page.click("[data-testid=phone-add]")
    page.wait_for_selector("[data-testid=numbers]:has-text('+15551230009')")

    page.click(f"[data-testid=ticket-link][href='/desk/tickets/{ids['mine']}']")
    page.wait_for_selector("[data-testid=desk-ticket]")
    assert errors == []


def test_a_supervisor_classifies_the_account(
    page: Any, client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    ids = seed_tickets(sessions)
    sign_in_as(client, staff, "supervisor1")
    open_desk(page, client, f"/desk/customers/{ids['customer']}")
    page.select_option("[data-testid=field-category]", "vip")
    page.click("[data-testid=customer-save]")
    page.wait_for_selector("[data-testid=desk-customer] >> text=VIP")


def test_a_supervisor_merges_a_duplicate(
    page: Any, client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    from crm.customers.schemas import CustomerCreate, PhoneIn
    from crm.customers.service import create_customer

    ids = seed_tickets(sessions)
    with sessions() as session, session.begin():
        old = create_customer(
            session,
            CustomerCreate(name="Ann Customer (old)", phones=[PhoneIn(number="+15551230077")]),
            "US",
        ).id
    sign_in_as(client, staff, "supervisor1")
    errors = open_desk(page, client, f"/desk/customers/{ids['customer']}")
    page.fill("[data-testid=merge-duplicate]", str(ids["customer"]))
    page.click("[data-testid=merge-go]")
    page.wait_for_selector("[data-testid=error-duplicate_id]:has-text('into itself')")
    assert page.get_attribute("[data-testid=merge-duplicate]", "aria-invalid") == "true"
    page.fill("[data-testid=merge-duplicate]", str(old))
    page.click("[data-testid=merge-go]")
    page.wait_for_selector("[data-testid=numbers]:has-text('+15551230077')")
    assert "Merged Ann Customer (old)" in page.inner_text("[data-testid=history]")
    assert errors == []
