"""The explain drill-down in a real browser: from the reports page's figure to the calls
behind it, with the sentence on what the supervisor's scope hides."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_stack import live_stack
from tests.console_app import PASSWORD, Staff, staff
from tests.supervisor.test_explain_scope import stored
from tests.supervisor.test_pages_and_api import DAY

pytestmark = pytest.mark.browser
__all__ = ["staff", "stored"]


def test_from_the_report_to_the_calls_behind_a_figure(
    page: Any, database_url: str, sessions: sessionmaker[Session], staff: Staff, stored: None
) -> None:
    with live_stack(database_url, sessions) as stack:
        query = urlencode({**DAY, "interval": "day", "queue": "support"})
        page.goto(f"{stack.base_url}/signin")
        page.fill("input[name=username]", "supervisor1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=wallboard]")
        page.goto(f"{stack.base_url}/supervisor/reports?{query}")
        page.click("[data-testid=quality]")
        page.wait_for_selector("[data-testid=quality-tickets]")
        page.go_back()
        page.click("a[href^='/supervisor/explain?kpi=service_level&']")
        page.wait_for_selector("[data-testid=explain]")
        assert "3 of them in the numerator" in page.inner_text("[data-testid=explain-counted]")
        hidden = page.inner_text("[data-testid=explain-hidden]")
        assert hidden == "1 call outside your team: counted in the figure, not listed here."
        rows = page.locator("[data-testid=explain-denominator] tbody tr")
        assert rows.count() == 3
        page.click("[data-testid=explain-denominator] a:has-text('+1555001')")
        page.wait_for_url("**/desk/customers?q=%2B1555001")
