"""What the console's browser tests share: agent1's password and waiting for the background."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

PASSWORD = "agent1-password"
T = TypeVar("T")


def eventually(probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    """Wait for something the system does in the background (a record written, a row)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{probe.__doc__ or 'condition'} did not happen")
        time.sleep(0.1)


def open_console_as_agent1(page: Any, base_url: str) -> None:
    """Sign in as agent1 from the console's address and wait until its socket is live."""
    page.goto(base_url + "/console")
    page.fill("input[name=username]", "agent1")
    page.fill("input[name=password]", "agent1-password")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=link]:has-text('live')")
