"""While the wallboard's connection is down its figures grey out and it says since when."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_stack import live_stack
from tests.supervisor.test_navigation_browser import people, sign_in

pytestmark = pytest.mark.browser
__all__ = ["people"]


def test_the_figures_grey_out_while_the_server_is_gone(
    page: Any, database_url: str, sessions: sessionmaker[Session], people: None
) -> None:
    with live_stack(database_url, sessions) as stack:
        sign_in(page, stack.base_url, "boss")
        page.wait_for_selector("[data-testid=wb-link]:has-text('live')")
        assert "wb-stale" not in (page.get_attribute("#wallboard", "class") or "")
    # The server has stopped: the socket closes and stays closed.
    page.wait_for_selector("#wallboard.wb-stale")
    said = page.inner_text("[data-testid=wb-link]")
    assert said.startswith("connection lost since ")
    assert "figures not live" in said
