"""The reports page of a DST day in a real browser, the site in Europe/Berlin: the chart
plots the day's 25 hours on the site's clock, with no script errors."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.settings import Settings
from tests.console_app import SECRET, Staff, sign_in_as
from tests.kpi.dst_calls import FALL, store_dst_days
from tests.supervisor.test_agent_report_browser import ORIGIN, served_by

pytestmark = pytest.mark.browser


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET,
        sla_check_interval_s=3600,
        time_zone="Europe/Berlin",
    )


@pytest.fixture
def dst_days(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    with sessions() as session, session.begin():
        store_dst_days(session)


@pytest.mark.usefixtures("dst_days")
def test_fall_back_day_is_charted_in_local_hours(
    page: Any, client: TestClient, staff: Staff
) -> None:
    from playwright.sync_api import expect

    sign_in_as(client, staff, "admin")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route(f"{ORIGIN}/**", served_by(client))
    query = urlencode({"from": FALL, "to": "2026-10-26", "interval": "60m"})
    page.goto(f"{ORIGIN}/supervisor/reports?{query}")
    page.wait_for_selector("[data-testid=chart-support] canvas")
    assert errors == []
    x = page.evaluate("document.querySelector('[data-testid=chart-support]').uplot.data[0]")
    assert len(x) == 25
    expect(page.get_by_test_id("report-period")).to_contain_text(
        "2026-10-25 00:00+02:00 .. 2026-10-26 00:00+01:00 (Europe/Berlin)"
    )
    rows = page.get_by_test_id("interval-table").locator("tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.nth(2).locator("td").first).to_have_text("2026-10-25 02:00+02:00")
    expect(rows.nth(3).locator("td").first).to_have_text("2026-10-25 02:00+01:00")
    # The legend's time, shown while hovering, reads on the site's clock.
    box = page.get_by_test_id("chart-support").locator(".u-over")
    box.hover(position={"x": 2, "y": 10})
    expect(
        page.get_by_test_id("chart-support").locator(".u-legend .u-value").first
    ).to_contain_text("12:")
