"""Errors in a real browser: a 403 page naming who may see it, a staffing field marked, and
an htmx form's 422 marking the field the server named."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_stack import live_stack
from tests.supervisor.test_navigation_browser import people, sign_in

pytestmark = pytest.mark.browser
__all__ = ["people"]


def test_an_agent_sees_who_may_open_a_supervisor_page(
    page: Any, database_url: str, sessions: sessionmaker[Session], people: None
) -> None:
    with live_stack(database_url, sessions) as stack:
        sign_in(page, stack.base_url, "agent1")
        page.wait_for_selector("[data-testid=state]")
        answer = page.goto(stack.base_url + "/supervisor/reports")
        assert answer.status == 403
        who = page.inner_text("[data-testid=error-who]")
        assert "This page is for supervisors and admins." in who
        assert "You are signed in as agent1 (agent)." in who
        page.click("[data-testid=nav-console]")
        page.wait_for_selector("[data-testid=state]")


def test_a_form_marks_the_field_it_refuses(
    page: Any, database_url: str, sessions: sessionmaker[Session], people: None
) -> None:
    with live_stack(database_url, sessions) as stack:
        sign_in(page, stack.base_url, "boss")
        page.wait_for_selector("[data-testid=wallboard]")
        page.click("[data-testid=nav-staffing]")
        page.fill("input[name=calls_per_hour]", "lots")
        page.fill("input[name=aht]", "180")
        page.click("button:has-text('Compute')")
        page.wait_for_selector("[data-testid=calls_per_hour-error]")
        assert page.get_attribute("input[name=calls_per_hour]", "aria-invalid") == "true"
        assert page.get_attribute("input[name=aht]", "aria-invalid") is None

        page.fill("input[name=calls_per_hour]", "100")
        page.click("button:has-text('Compute')")
        page.wait_for_selector("[data-testid=staffing-answer]")
        assert page.locator("[aria-invalid=true]").count() == 0


def test_an_htmx_form_marks_the_fields_of_a_422(
    page: Any, database_url: str, sessions: sessionmaker[Session], people: None
) -> None:
    with live_stack(database_url, sessions) as stack:
        sign_in(page, stack.base_url, "agent1")
        page.wait_for_selector("[data-testid=state]")
        # A form the server refuses by field (no pause reason), as any page's htmx form may be.
        page.evaluate(
            """() => {
              const form = document.createElement("form");
              form.id = "probe";
              form.setAttribute("hx-post", "/console/pause");
              form.innerHTML =
                '<label>Why <input name="reason" disabled></label><button>Go</button>';
              document.querySelector("main").prepend(form);
              htmx.process(form);
            }"""
        )
        page.click("#probe button")
        page.wait_for_selector("#probe .field-error")
        assert page.get_attribute("#probe input[name=reason]", "aria-invalid") == "true"
        assert page.inner_text("#probe .field-error") == "Field required"
