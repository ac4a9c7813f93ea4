"""Every page of the registry, at an agent's laptop size and on a wall screen: no serious or
critical WCAG 2.1 AA violation (axe-core), no sideways scrolling at 1280x720, and the
wallboard using the width of a 1920 screen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_stack import LiveStack, live_stack
from tests.browser.axe_check import readable, serious, violations
from tests.browser.pages import PAGES, Page, open_page
from tests.browser.showcase import Showcase, seed_showcase

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 720}
WALL = {"width": 1920, "height": 1080}


@contextmanager
def tab(browser: Any, viewport: dict[str, int]) -> Iterator[Any]:
    """A tab of its own (signed in afresh); a refused script or style fails the check."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(20_000)
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert refused == [], f"the page broke its own security policy: {refused}"


def sideways_overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (a horizontal scrollbar)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def check_page(
    browser: Any, stack: LiveStack, showcase: Showcase, entry: Page, viewport: dict[str, int]
) -> list[str]:
    """What is wrong with one page at one size, as lines of text."""
    problems = []
    with tab(browser, viewport) as page:
        try:
            open_page(page, stack, showcase, entry)
        except Exception as exc:  # one page that cannot be opened; the others are still checked
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return [f"{entry.name} at {viewport['width']}: not opened: {first_line}"]
        found = serious(violations(page))
        if found:
            problems.append(readable(f"{entry.name} at {viewport['width']}", found))
        overflow = sideways_overflow(page)
        if overflow > 0:
            problems.append(f"{entry.name} at {viewport['width']}: {overflow}px sideways scroll")
        if entry.name == "wallboard" and viewport == WALL:
            used = page.locator("#wallboard").bounding_box()
            if used is None or used["width"] < 0.9 * WALL["width"]:
                problems.append(f"wallboard at 1920 uses {used and used['width']}px of the width")
    return problems


@pytest.mark.parametrize("viewport", [LAPTOP, WALL], ids=["1280x720", "1920x1080"])
def test_every_page_is_accessible_and_fits(
    browser: Any,
    database_url: str,
    sessions: sessionmaker[Session],
    fast_password_hashing: None,
    viewport: dict[str, int],
) -> None:
    showcase = seed_showcase(sessions)
    problems: list[str] = []
    with live_stack(database_url, sessions, humans_logged_out=True) as stack:
        for entry in PAGES:
            problems += check_page(browser, stack, showcase, entry, viewport)
    assert not problems, "\n" + "\n".join(problems)
