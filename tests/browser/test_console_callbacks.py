"""Callbacks from the console: a due time is asked for, a duplicate is refused, and the
card's history shows the notes written."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import Lead
from tests.agent_ui.live_stack import live_stack
from tests.agent_ui.test_database_busy import writer_holding_the_lock
from tests.browser.test_console_reload import sign_in_and_take_a_call

pytestmark = pytest.mark.browser


def test_callback_needs_a_due_time_and_is_not_scheduled_twice(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        linkedid = sign_in_and_take_a_call(page, stack.base_url, stack, "+15551230001")
        page.wait_for_selector("[data-testid=customer-name]:has-text('Ann Customer')")

        page.fill("[data-testid=callback-note]", "Send the corrected invoice")
        page.click("[data-testid=callback-schedule]")
        # No due time: the field says so, nothing is scheduled for "now + 30 min".
        assert page.eval_on_selector("[data-testid=callback-due]", "el => !el.validity.valid")
        with sessions() as session:
            assert session.scalars(select(Lead)).all() == []

        due = (datetime.now() + timedelta(days=1)).replace(second=0, microsecond=0)
        page.fill("[data-testid=callback-due]", due.strftime("%Y-%m-%dT%H:%M"))
        page.click("[data-testid=callback-schedule]")
        page.wait_for_selector("#notice:has-text('Callback to +15551230001 due')")
        page.click("[data-testid=callback-schedule]")
        page.wait_for_selector("#notice .error:has-text('already scheduled')")
        with sessions() as session:
            assert len(session.scalars(select(Lead)).all()) == 1

        page.fill("[data-testid=notes]", "Explained the bill line by line")
        page.click("[data-testid=notes-save]")
        page.wait_for_selector("#notice:has-text('Notes saved.')")
        page.wait_for_selector("[data-testid=history]:has-text('Explained the bill line by line')")
        history = page.inner_text("[data-testid=history]")
        assert "call_in" not in history
        assert linkedid not in history


def test_a_callback_the_busy_database_refused_is_sent_again_from_the_same_form(
    page: Any, database_url: str, sessions: sessionmaker[Session], seeded: None
) -> None:
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        sign_in_and_take_a_call(page, stack.base_url, stack, "+15551230001")
        page.wait_for_selector("[data-testid=customer-name]:has-text('Ann Customer')")
        page.fill("[data-testid=callback-note]", "Send the corrected invoice")
        due = (datetime.now() + timedelta(days=1)).replace(second=0, microsecond=0)
        page.fill("[data-testid=callback-due]", due.strftime("%Y-%m-%dT%H:%M"))
        with writer_holding_the_lock(database_url):
            page.click("[data-testid=callback-schedule]")
            page.wait_for_selector("#notice .error:has-text('saved nothing')", timeout=20_000)
        assert page.input_value("[data-testid=callback-note]") == "Send the corrected invoice"
        with sessions() as session:
            assert session.scalars(select(Lead)).all() == []
        page.click("[data-testid=callback-schedule]")
        page.wait_for_selector("#notice:has-text('Callback to +15551230001 due')")
        with sessions() as session:
            assert len(session.scalars(select(Lead)).all()) == 1
