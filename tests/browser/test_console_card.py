"""The pop's customer card shows what the server knows after each of the agent's changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crm.customers.schemas import CustomerCreate, PhoneIn
from crm.customers.service import create_customer
from crm.tickets.models import Ticket, TicketCall
from tests.agent_ui.live_stack import live_stack
from tests.browser.console_helpers import open_console_as_agent1
from tests.browser.test_console_reload import sign_in_and_take_a_call

pytestmark = pytest.mark.browser


def test_new_customer_and_ticket_show_on_the_card(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        linkedid = sign_in_and_take_a_call(page, stack.base_url, stack, "+15551239999")
        page.wait_for_selector("[data-testid=pop-card]:has-text('No customer has this number')")
        page.fill(".pop-card input[name=name]", "Bea Newcaller")
        page.click("[data-testid=new-customer]")
        page.wait_for_selector("[data-testid=customer-name]:has-text('Bea Newcaller')")

        page.fill("[data-testid=ticket-subject]", "Router blinks red")
        page.click("[data-testid=ticket-open]")
        page.wait_for_selector("#notice:has-text('opened')")
        page.wait_for_selector(".pop-card .tickets:has-text('Router blinks red')")
        # Opened: the form is clean again, so a second click is not a second ticket.
        assert page.input_value("[data-testid=ticket-subject]") == ""

        # What the card shows is what a reload shows.
        page.reload()
        page.wait_for_selector(".pop-card .tickets:has-text('Router blinks red')")
        assert page.get_attribute(".pop", "data-linkedid") == linkedid

    with sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.customer_id is not None
        link = session.scalars(select(TicketCall)).one()
        assert link.linkedid == linkedid


def test_choosing_the_caller_shows_on_the_card(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with sessions() as session, session.begin():
        shop = CustomerCreate(name="Ann's Shop", phones=[PhoneIn(number="+15551230001")])
        create_customer(session, shop, "US")
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        sign_in_and_take_a_call(page, stack.base_url, stack, "+15551230001")
        page.wait_for_selector("[data-testid=choose-caller]")
        page.click('.customer:has-text("Ann\'s Shop") [data-testid=choose-caller]')
        page.wait_for_selector('.customer:has-text("Ann\'s Shop") [data-testid=chosen-caller]')
        assert page.locator("[data-testid=chosen-caller]").count() == 1


def test_a_ticket_without_a_call_has_no_customer_and_no_call(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        open_console_as_agent1(page, stack.base_url)
        assert page.inner_text("[data-testid=ticket-open]") == "Open ticket (no call)"
        page.fill("[data-testid=ticket-subject]", "Walk-in question")
        page.click("[data-testid=ticket-open]")
        page.wait_for_selector("#notice:has-text('opened')")
    with sessions() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.customer_id is None
        assert session.scalars(select(TicketCall)).all() == []
