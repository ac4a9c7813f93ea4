"""The wallboard's agent grid in Chromium over the simulated PBX: sorted as chosen (kept
across live updates and reloads) and naming each agent's caller and queue during a call."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.users.service import Role, create_user
from crm.customers.schemas import CustomerCreate, PhoneIn
from crm.customers.service import create_customer
from tests.agent_ui.live_stack import live_stack

pytestmark = pytest.mark.browser

PASSWORD = "wall-screen-orange-kettle"


@pytest.fixture
def people(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    # The admin sees every agent: Zoe (agent1, a person) and the PBX's billing-bot (no user).
    with sessions() as session, session.begin():
        create_user(session, "ada", role=Role.ADMIN, password=PASSWORD)
        create_user(
            session, "agent1", role=Role.AGENT, password=PASSWORD, display_name="Zoe Agent",
            interface="PJSIP/1001", member_name="agent1", queues=[("support", 0)],
        )  # fmt: skip
        # The caller's number belongs to a customer: the grid names the customer.
        create_customer(
            session,
            CustomerCreate(name="Ann's Bakery", phones=[PhoneIn(number="+15551230001")]),
            "US",
        )


def grid_names(page: Any) -> list[str]:
    return [str(n) for n in page.locator("#wb-agents tr td:first-child").all_inner_texts()]


def test_the_grid_keeps_its_sort_and_names_the_caller_and_queue(
    page: Any, database_url: str, sessions: sessionmaker[Session], people: None
) -> None:
    from playwright.sync_api import expect

    with live_stack(database_url, sessions) as stack:
        page.goto(stack.base_url + "/supervisor/wallboard")
        page.fill("input[name=username]", "ada")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.get_by_test_id("wb-link")).to_have_text("live")
        rows = page.locator("#wb-agents tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("billing-bot")  # by name: b before Z

        # By state: Zoe, on a call, comes before the available bot, with her caller and queue.
        page.get_by_test_id("grid-sort").select_option("state")
        assert "sort=state" in page.url
        stack.call_in("+15551230001", "Ann Customer")
        expect(page.get_by_test_id("state-agent1")).to_have_text("on call")
        expect(rows.first).to_contain_text("Zoe Agent")
        expect(page.get_by_test_id("caller-agent1")).to_have_text("Ann's Bakery (+15551230001)")
        expect(page.get_by_test_id("call-queue-agent1")).to_have_text("support")
        assert grid_names(page) == ["Zoe Agent", "billing-bot"]

        # The choice survives a reload, from the address and from the browser's storage.
        page.reload()
        expect(page.get_by_test_id("grid-sort")).to_have_value("state")
        expect(rows.first).to_contain_text("Zoe Agent")
        page.goto(stack.base_url + "/supervisor/wallboard")
        expect(page.get_by_test_id("grid-sort")).to_have_value("state")
        expect(page.get_by_test_id("caller-agent1")).to_have_text("Ann's Bakery (+15551230001)")

        # Back to by name; the name opens the agent's page, the bot's name (no user) does not.
        page.get_by_test_id("grid-sort").select_option("name")
        expect(rows.first).to_contain_text("billing-bot")
        expect(page.get_by_test_id("name-billing-bot").get_by_role("link")).to_have_count(0)
        page.get_by_test_id("name-agent1").get_by_role("link").click()
        expect(page.get_by_test_id("agent-state")).to_have_text("On call")
        expect(page.get_by_test_id("call-caller")).to_contain_text("+15551230001")
        expect(page.get_by_test_id("call-customer")).to_have_text("Ann's Bakery")
        expect(page.get_by_test_id("call-queue")).to_have_text("support")
