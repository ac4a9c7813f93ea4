"""The reports page in a real browser (Debian's chromium) at an agent laptop's 1280x720:
today's chart spans today's hours so far, durations read m:ss, wide tables scroll inside
their box (the page itself never scrolls sideways), the SL columns say what SL means."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.service import store_calls
from tests.console_app import Staff, sign_in_as
from tests.kpi.calls import ROLLUPS
from tests.kpi.test_reports import CALLS
from tests.supervisor.test_agent_report_browser import ORIGIN, served_by

pytestmark = pytest.mark.browser

# The test day's calls run 09:00-09:30 UTC; "now" is 10:20 that day.
NOW = datetime(2026, 3, 2, 10, 20, tzinfo=UTC)
MIDNIGHT = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture
def today(sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    with sessions() as session, session.begin():
        store_calls(session, CALLS, after_store=ROLLUPS)
    monkeypatch.setattr("kpi.periods.utc_now", lambda: NOW)
    monkeypatch.setattr("agent_ui.supervisor.pages.utc_now", lambda: NOW)


def open_report(page: Any, client: TestClient, **params: str) -> list[str]:
    """Open the reports page at 1280x720; returns the script errors the page raised."""
    errors: list[str] = []
    page.set_viewport_size({"width": 1280, "height": 720})
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route(f"{ORIGIN}/**", served_by(client))
    page.goto(f"{ORIGIN}/supervisor/reports?{urlencode(params)}")
    return errors


def body_scrolls_sideways(page: Any) -> bool:
    scrolls: bool = page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    return scrolls


@pytest.mark.usefixtures("today")
def test_todays_chart_spans_midnight_to_now(page: Any, client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor1")
    errors = open_report(page, client, interval="60m")
    page.wait_for_selector("[data-testid=chart-support] canvas")
    assert errors == []
    x = page.evaluate("document.querySelector('[data-testid=chart-support]').uplot.data[0]")
    assert x[0] == MIDNIGHT.timestamp()
    assert x[-1] == datetime(2026, 3, 2, 10, tzinfo=UTC).timestamp()  # the hour now running
    assert len(x) == 11


@pytest.mark.usefixtures("today")
def test_durations_read_as_minutes_and_seconds(page: Any, client: TestClient, staff: Staff) -> None:
    sign_in_as(client, staff, "supervisor1")
    open_report(page, client, **{"from": "2026-03-02", "to": "2026-03-03", "interval": "day"})
    table = page.get_by_test_id("report-table")
    headers = table.locator("th").all_inner_texts()
    assert [h.strip() for h in headers[-5:]] == ["ASA", "AHT", "Talk+hold", "Talk", "Longest"]
    support = table.locator("tr", has_text="support").locator("td").all_inner_texts()
    # ASA 19.5 s, AHT 173.75 s, talk+hold 162.5 s, talk 160 s, longest wait 60 s
    assert support[-5:] == ["0:20", "2:54", "2:43", "2:40", "1:00"]


@pytest.mark.usefixtures("today")
@pytest.mark.parametrize("by", ["queue", "agent", "team"])
def test_wide_tables_scroll_inside_their_box(
    page: Any, client: TestClient, staff: Staff, by: str
) -> None:
    sign_in_as(client, staff, "admin")
    errors = open_report(
        page, client, **{"from": "2026-03-02", "to": "2026-03-03", "interval": "15m", "by": by}
    )
    assert errors == []
    assert not body_scrolls_sideways(page)
    boxes = page.locator(".sv-scroll")
    assert boxes.count() >= 1
    for i in range(boxes.count()):
        box = boxes.nth(i)
        assert box.evaluate("b => getComputedStyle(b).overflowX") == "auto"
        assert box.evaluate("b => b.getBoundingClientRect().right") <= 1280
    if by == "agent":
        # Eighteen columns are wider than the screen: their box scrolls, not the page.
        wide = page.get_by_test_id("agent-table-box")
        assert wide.evaluate("b => b.scrollWidth > b.clientWidth")


@pytest.mark.usefixtures("today")
def test_sl_columns_are_explained_on_the_page(page: Any, client: TestClient, staff: Staff) -> None:
    from playwright.sync_api import expect

    sign_in_as(client, staff, "supervisor1")
    open_report(page, client, **{"from": "2026-03-02", "to": "2026-03-03", "queue": "support"})
    caption = page.get_by_test_id("sl-caption")
    expect(caption).to_be_visible()
    expect(caption).to_have_text(
        "SL: share of calls offered, short abandons left out, answered within 20 s "
        "(T, set by the default, CALLCENTER_SERVICE_LEVEL_S)."
    )
    # One line at 1280 px.
    height = caption.evaluate("c => c.getBoundingClientRect().height")
    line = caption.evaluate("c => parseFloat(getComputedStyle(c).lineHeight) || 20")
    assert height < 1.8 * line
    header = page.get_by_test_id("report-table").locator("abbr", has_text="SL2 (Asterisk)")
    expect(header).to_have_attribute("title", re.compile(r"abandoned within T"))


@pytest.mark.usefixtures("today")
def test_an_unknown_queue_marks_the_field(page: Any, client: TestClient, staff: Staff) -> None:
    from playwright.sync_api import expect

    sign_in_as(client, staff, "supervisor1")
    open_report(page, client, **{"from": "2026-03-02", "to": "2026-03-03", "queue": "suport"})
    expect(page.locator("input[name=queue]")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("queue-error")).to_have_text(
        "no queue named 'suport': the known queues are billing, support"
    )
    expect(page.get_by_test_id("report-table")).to_have_count(0)
