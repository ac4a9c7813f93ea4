"""Outbound figures in a real browser (Debian's chromium): the report page draws a chart per
campaign, the wallboard a tile per live campaign that follows new attempts without a reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import Campaign, DialAttempt, Lead
from callcenter.db import utc_now
from callcenter.users.service import Role, create_user
from tests.agent_ui.live_stack import live_stack
from tests.console_app import Staff, sign_in_as
from tests.kpi.outbound_data import store_outbound_day
from tests.supervisor.test_agent_report_browser import ORIGIN, served_by

pytestmark = pytest.mark.browser

PASSWORD = "supervisor-password"
DAY = {"from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z"}


def test_the_report_page_draws_a_chart_per_campaign(
    page: Any, client: TestClient, staff: Staff, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        store_outbound_day(session)
    sign_in_as(client, staff, "supervisor1")
    errors: list[str] = []
    page.set_viewport_size({"width": 1280, "height": 720})
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route(f"{ORIGIN}/**", served_by(client))
    page.goto(f"{ORIGIN}/supervisor/reports/outbound?{urlencode({**DAY, 'interval': '60m'})}")
    page.wait_for_selector("[data-testid=outbound-chart-renewals] canvas")
    assert errors == []
    data = page.evaluate(
        "document.querySelector('[data-testid=outbound-chart-renewals]').uplot.data"
    )
    nine = data[0].index(datetime(2026, 3, 2, 9, tzinfo=UTC).timestamp())
    # dials, connects, contact %, abandon %, cap % at 09:00
    assert [series[nine] for series in data[1:]] == [7, 4, pytest.approx(400 / 7), 25, 3]
    assert len(data[0]) == 24  # every hour of the day, empty ones too


@pytest.fixture
def supervisor(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    with sessions() as session, session.begin():
        create_user(session, "boss", role=Role.SUPERVISOR, password=PASSWORD, team="red")
        create_user(
            session, "agent1", role=Role.AGENT, password=PASSWORD, team="red",
            interface="PJSIP/1001", member_name="agent1", queues=[("support", 0)],
        )  # fmt: skip


def test_the_wallboard_tile_follows_new_attempts(
    page: Any, database_url: str, sessions: sessionmaker[Session], supervisor: None
) -> None:
    now = utc_now()
    with sessions() as session, session.begin():
        store_outbound_day(session)
        session.execute(update(Campaign).values(queue="support"))  # agent1 works it
        # Every attempt (two of them yesterday's) moved to a second ago: today (site: UTC).
        session.execute(update(DialAttempt).values(reserved_at=now - timedelta(seconds=1)))
    with live_stack(database_url, sessions) as stack:
        page.goto(stack.base_url + "/supervisor/wallboard")
        page.fill("input[name=username]", "boss")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=wb-link]:has-text('live')")
        page.evaluate("window.__sameDocument = true")  # gone if the page reloads
        page.wait_for_selector("[data-testid=dials-renewals]:text-is('10')")
        tile = page.locator("[data-testid=campaign-renewals]")
        assert tile.get_attribute("data-level") == "bad"  # 2 of 6 abandoned, cap 3 %
        assert page.inner_text("[data-testid=abandon-today-renewals]") == "33.3%"
        page.wait_for_selector("[data-testid=campaign-agents-renewals]:has-text('1')")
        with sessions() as session, session.begin():
            renewals = session.scalars(select(Campaign).where(Campaign.name == "renewals")).one()
            lead = session.scalars(select(Lead).where(Lead.state == "open")).first()
            assert lead is not None
            attempt = DialAttempt(
                campaign_id=renewals.id, lead_id=lead.id, number=9, mode="predictive",
                dialed_number=lead.number, reserved_at=utc_now(), dialed_at=utc_now(),
                outcome="answered", talk_s=30.0, state="ended",
            )  # fmt: skip
            session.add(attempt)
        # Read again on the board's own refresh: no reload, no event needed.
        page.wait_for_selector("[data-testid=dials-renewals]:text-is('11')")
        assert page.inner_text("[data-testid=abandon-today-renewals]") == "28.6%"  # 2 of 7
        assert page.evaluate("window.__sameDocument") is True
