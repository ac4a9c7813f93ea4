"""The console's callback form sends the browser's UTC offset at the due time (real chromium)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import agent_ui

pytestmark = pytest.mark.browser

CONSOLE_JS = Path(agent_ui.__file__).parent / "static" / "console.js"
PAGE = """<!doctype html><html><body data-agent="agent1">
<p id="link"></p><div id="notice"></div>
<form class="callback">
  <input name="due_at" type="datetime-local" class="due-local">
  <input type="hidden" name="utc_offset_minutes" class="due-offset">
</form>
<script src="/static/console.js"></script>
</body></html>"""


def serve_console(route: Any) -> None:
    """The callback form and the real console.js, from a made-up origin (no server needed)."""
    if route.request.url.endswith("/static/console.js"):
        route.fulfill(body=CONSOLE_JS.read_text(), content_type="text/javascript")
    elif route.request.url.rstrip("/") == "http://console.test":
        route.fulfill(body=PAGE, content_type="text/html")
    else:
        route.abort()


# due time typed, browser zone, offset sent (minutes east of UTC)
CASES = [
    ("2026-07-01T10:00", "Europe/Berlin", "120"),  # summer time
    ("2026-01-15T10:00", "Europe/Berlin", "60"),
    ("2026-01-15T10:00", "America/New_York", "-300"),
    ("2026-01-15T10:00", "UTC", "0"),
]


@pytest.mark.parametrize(("typed", "zone", "offset"), CASES)
def test_the_offset_at_the_due_time_goes_with_the_form(
    browser: Any, typed: str, zone: str, offset: str
) -> None:
    context = browser.new_context(timezone_id=zone)
    try:
        page = context.new_page()
        page.route("http://console.test/**", serve_console)
        page.goto("http://console.test/")
        page.fill("input.due-local", typed)
        assert page.input_value("input.due-offset") == offset
    finally:
        context.close()
