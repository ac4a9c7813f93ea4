"""A queue tile turns amber, then red, from its longest current wait, even while the day's
service level has nothing against it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_stack import live_stack
from tests.supervisor.test_navigation_browser import people, sign_in

pytestmark = pytest.mark.browser
__all__ = ["people"]


def test_a_tile_turns_amber_then_red_as_a_caller_waits(
    page: Any, database_url: str, sessions: sessionmaker[Session], people: None
) -> None:
    # agent1 stays out of the queue: the caller waits.
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        sign_in(page, stack.base_url, "boss")
        page.wait_for_selector("[data-testid=wb-link]:has-text('live')")
        tile = "[data-testid=queue-support]"
        stack.call_in("+15551230001", "Ann Customer")
        page.wait_for_selector("[data-testid=waiting-support]:has-text('1')")
        # support's threshold is 20 s: amber from 10 s of waiting, red from 20 s.
        assert page.get_attribute(tile, "data-threshold") == "20"
        assert page.get_attribute(tile, "data-level") in ("none", "good")  # SL: nothing yet
        page.wait_for_selector(f"{tile}[data-level=warn]", timeout=40_000)
        page.wait_for_selector(f"{tile}[data-level=bad]", timeout=40_000)
        assert "wb-tile-bad" in (page.get_attribute(tile, "class") or "")
