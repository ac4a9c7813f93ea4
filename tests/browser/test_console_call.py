"""An agent's day in a real browser: sign in, go available, take a call, ticket in wrap-up."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.models import Call
from crm.tickets.models import Ticket, TicketCall
from tests.agent_ui.live_stack import live_stack
from tests.browser.console_helpers import PASSWORD, eventually

pytestmark = pytest.mark.browser


def test_agent_takes_a_call_and_opens_a_ticket_in_wrap_up(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    # As in the demo: agent1 is in no queue until they sign in at the console.
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        page.goto(stack.base_url + "/console")
        page.fill("input[name=username]", "agent1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=link]:has-text('live')")

        page.click("[data-testid=queue-signin]")
        page.click("[data-testid=available]")
        page.wait_for_selector("#notice:has-text('Available.')")

        stack.call_in("+15551230001", "Ann Customer")
        page.wait_for_selector("[data-testid=customer-name]:has-text('Ann Customer')")
        assert page.inner_text("[data-testid=caller-number]") == "+15551230001"
        assert "VIP" in page.inner_text("[data-testid=pop]")
        linkedid = page.get_attribute(".pop", "data-linkedid")
        page.wait_for_selector("[data-testid=state][data-state=on_call]:has-text('On call')")

        page.click("[data-testid=hangup]")
        page.wait_for_selector("[data-testid=state][data-state=wrap_up]:has-text('Wrap-up')")
        page.fill("[data-testid=ticket-subject]", "Asked about the invoice")
        page.click("[data-testid=ticket-open]")
        page.wait_for_selector("#notice:has-text('opened')")

    def ticket_link() -> tuple[Ticket, TicketCall] | None:
        """the ticket and its call link are stored"""
        with sessions() as session:
            row = session.execute(
                select(Ticket, TicketCall).join(TicketCall, TicketCall.ticket_id == Ticket.id)
            ).first()
            return (row[0], row[1]) if row else None

    ticket, link = eventually(ticket_link)
    assert ticket.subject == "Asked about the invoice"
    assert ticket.customer_id is not None
    assert (link.server, link.linkedid) == ("sim", linkedid)

    def call_record() -> Call | None:
        """the call record is stored"""
        with sessions() as session:
            return session.scalar(select(Call).where(Call.linkedid == linkedid))

    call = eventually(call_record)
    assert call.server == "sim"
