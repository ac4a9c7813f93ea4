"""A reload or a second tab in the middle of a call rebuilds the call from the server; each
call's forms start clean, and a draft survives a reload of the same call."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.models import CallDisposition
from crm.tickets.models import Ticket, TicketCall
from tests.agent_ui.live_stack import live_stack
from tests.browser.console_helpers import PASSWORD, eventually

pytestmark = pytest.mark.browser


def sign_in_and_take_a_call(page: Any, base_url: str, stack: Any, number: str) -> str:
    page.goto(base_url + "/console")
    page.fill("input[name=username]", "agent1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=link]:has-text('live')")
    page.click("[data-testid=queue-signin]")
    page.click("[data-testid=available]")
    page.wait_for_selector("#notice:has-text('Available.')")
    stack.call_in(number, "Caller")
    page.wait_for_selector("[data-testid=state][data-state=on_call]")
    return str(page.get_attribute(".pop", "data-linkedid"))


def call_context_shown(page: Any, linkedid: str) -> None:
    """The pop, the queues line, the running timers and the forms' call: all there."""
    page.wait_for_selector("[data-testid=link]:has-text('live')")
    page.wait_for_selector("[data-testid=customer-name]:has-text('Ann Customer')")
    assert page.get_attribute(".pop", "data-linkedid") == linkedid
    page.wait_for_selector("[data-testid=queues]:has-text('support')")
    # Playwright's expectations poll from Python: a page's strict CSP refuses the string
    # predicates of wait_for_function whenever they must be evaluated again.
    expect(page.locator("[data-testid=in-state]")).not_to_have_text("0:00")
    call_time = page.locator("[data-testid=call-time]")
    expect(call_time).to_have_text(re.compile(r"^call \d+:\d\d$"))
    expect(call_time).not_to_have_text("call 0:00")
    expect(page.locator("#notes-form .call-linkedid")).to_have_value(linkedid)


def test_reload_and_second_tab_rebuild_the_call(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        linkedid = sign_in_and_take_a_call(page, stack.base_url, stack, "+15551230001")
        page.fill("[data-testid=notes]", "Wants the March invoice again")
        page.fill("[data-testid=ticket-subject]", "Invoice copy")

        page.reload()
        call_context_shown(page, linkedid)
        # The draft of this call survives the reload.
        assert page.input_value("[data-testid=notes]") == "Wants the March invoice again"
        assert page.input_value("[data-testid=ticket-subject]") == "Invoice copy"

        second = page.context.new_page()
        second.goto(stack.base_url + "/console")
        call_context_shown(second, linkedid)
        second.close()

        page.click("[data-testid=notes-save]")
        page.wait_for_selector("#notice:has-text('Notes saved.')")
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
    assert ticket.subject == "Invoice copy"
    assert ticket.customer_id is not None
    assert link.linkedid == linkedid

    with sessions() as session:
        disposition = session.scalar(select(CallDisposition))
        assert disposition is not None
        assert disposition.linkedid == linkedid
        assert disposition.notes == "Wants the March invoice again"


def test_each_call_starts_with_clean_forms(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        first = sign_in_and_take_a_call(page, stack.base_url, stack, "+15551230001")
        page.fill("[data-testid=ticket-subject]", "Old subject")
        page.fill("[data-testid=ticket-description]", "Old description")
        page.select_option("[data-testid=ticket-priority]", "urgent")
        options = page.eval_on_selector_all(
            "[data-testid=disposition] option", "els => els.map(e => e.value)"
        )
        page.select_option("[data-testid=disposition]", options[-1])
        page.fill("[data-testid=notes]", "Old notes")
        page.fill("[data-testid=kb-query]", "old search")
        page.fill("[data-testid=callback-note]", "Old callback note")
        page.fill("[data-testid=callback-due]", "2030-01-02T10:30")

        page.click("[data-testid=hangup]")
        page.wait_for_selector("#notice:has-text('Hung up.')")
        page.wait_for_selector("[data-testid=state][data-state=wrap_up]")
        page.click("[data-testid=wrapup-done]")
        page.wait_for_selector("[data-testid=state][data-state=available]")

        stack.call_in("+15551239999", "Next Caller")
        pop = page.locator(".pop")
        expect(pop).to_have_attribute("data-linkedid", re.compile(r".+"))
        expect(pop).not_to_have_attribute("data-linkedid", first)
        page.wait_for_selector("[data-testid=state][data-state=on_call]")
        assert page.input_value("[data-testid=ticket-subject]") == ""
        assert page.input_value("[data-testid=ticket-description]") == ""
        assert page.input_value("[data-testid=ticket-priority]") == "normal"
        assert page.input_value("[data-testid=disposition]") == options[0]
        assert page.input_value("[data-testid=notes]") == ""
        assert page.input_value("[data-testid=kb-query]") == ""
        assert page.input_value("[data-testid=callback-note]") == ""
        assert page.input_value("[data-testid=callback-due]") == ""
        assert page.input_value("[data-testid=callback-number]") == "+15551239999"
        # "Hung up." was about the previous call.
        assert "Hung up." not in page.inner_text("#notice")
