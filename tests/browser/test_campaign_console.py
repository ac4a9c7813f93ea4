"""An agent works a preview and then a progressive campaign in a real Chromium, on the
simulated PBX, with the product's dialer: the lead and the script before dialling, Call, the
customer answers and is put through, a call back booked on the lead's clock (shown beside the
agent's own), the next lead without a reload; then progressive calls popping the lead's card
as they connect, a sale, and the next call coming by itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import CallList, Campaign, DialAttempt, Lead
from callcenter.users.service import Role, create_user
from tests.agent_ui.live_stack import ONE_AGENT, live_stack
from tests.browser.axe_check import readable, serious, violations
from tests.browser.console_helpers import PASSWORD, eventually

pytestmark = pytest.mark.browser

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
BOB, CAROL, FRANK = "+12125550101", "+12125550102", "+12125550105"
DAN, EVE = "+12125550103", "+12125550104"

# The floor of the live stack, with the campaigns' queue and the people the PBX dials: each
# answers after a second and stays on the line until the agent hangs up.
FLOOR = (
    ONE_AGENT
    + """
[[queue]]
name = "renewals"
arrival_rate_per_hour = 1
service_level_s = 20
short_abandon_s = 0
wrap_up_s = 0
talk = { distribution = "deterministic", mean_s = 30 }

[outbound]
answer_probability = 1.0
busy_share = 0.0
congestion_share = 0.0
failed_share = 0.0
machine_share = 0.0
"""
    + "".join(
        f'\n[[outbound.number]]\nnumber = "{number}"\noutcome = "person"\n'
        "ring_s = 1\ntalk_s = 900\n"
        for number in (BOB, CAROL, FRANK, DAN, EVE)
    )
)


def campaign(name: str, calls: CallList, mode: str, state: str) -> Campaign:
    """A campaign agent1 works, callable at any hour of any day in the leads' zone."""
    return Campaign(
        name=name,
        list_id=calls.id,
        mode=mode,
        state=state,
        queue="renewals",
        agents=["agent1"],
        hours_start_min=0,
        hours_end_min=24 * 60,
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        ring_timeout_s=20,
        script="Hello {name}, this is {agent}. Your {plan} plan renews on {renewal}.",
    )


def lead(calls: CallList, number: str, name: str, **fields: str) -> Lead:
    return Lead(
        list_id=calls.id,
        number=number,
        name=name,
        time_zone="America/New_York",
        origin="csv",
        fields=fields or None,
    )


@pytest.fixture
def campaigns(sessions: sessionmaker[Session], fast_password_hashing: None) -> None:
    """agent1 (signed out of the queues) with the preview campaign running and the
    progressive one paused."""
    with sessions() as session, session.begin():
        create_user(
            session,
            "agent1",
            role=Role.AGENT,
            password=PASSWORD,
            interface="PJSIP/1001",
            member_name="agent1",
            queues=[("support", 0), ("renewals", 0)],
        )
        renewals = CallList(name="renewals", source="csv")
        survey = CallList(name="survey", source="csv")
        session.add_all([renewals, survey])
        session.flush()
        session.add_all(
            [
                campaign("Renewals", renewals, "preview", "running"),
                campaign("Satisfaction", survey, "progressive", "paused"),
                lead(renewals, BOB, "Bob Renewal", plan="Gold", renewal="2027-01-31"),
                lead(renewals, CAROL, "Carol Next", plan="Silver", renewal="2027-02-28"),
                lead(renewals, FRANK, "Frank Later", plan="Gold", renewal="2027-05-31"),
                lead(survey, DAN, "Dan Survey", plan="Basic", renewal="2027-03-31"),
                lead(survey, EVE, "Eve Survey", plan="Basic", renewal="2027-04-30"),
            ]
        )


@pytest.fixture
def berlin_tab(browser: Any) -> Iterator[Any]:
    """A tab whose clock is Berlin's (the agent works from Europe, the leads are in New York);
    a script, style or socket the page's policy refused fails the test."""
    context = browser.new_context(timezone_id="Europe/Berlin", locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(30_000)
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
    assert refused == [], "the page broke its own security policy"


def a_weekday_ahead_at_ten() -> datetime:
    """10:00 on the lead's clock, a week or so ahead, on a weekday."""
    day = (datetime.now(NEW_YORK) + timedelta(days=7)).date()
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0)


def lead_named(sessions: sessionmaker[Session], name: str) -> Lead:
    with sessions() as session:
        row = session.scalars(select(Lead).where(Lead.name == name)).one()
        session.expunge(row)
        return row


def hang_up_and_wait_for_the_disposition(page: Any) -> None:
    page.click("[data-testid=hangup]")
    page.wait_for_selector("[data-testid=campaign-lead][data-stage=wrap]")


def test_an_agent_works_a_preview_then_a_progressive_campaign(
    berlin_tab: Any, database_url: str, sessions: sessionmaker[Session], campaigns: None
) -> None:
    page = berlin_tab
    navigations: list[str] = []
    with live_stack(database_url, sessions, humans_logged_out=True, scenario=FLOOR) as stack:
        page.goto(stack.base_url + "/console")
        page.fill("input[name=username]", "agent1")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-testid=link]:has-text('live')")
        page.on(
            "framenavigated",
            lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
        )
        page.click("[data-testid=queue-signin]")
        page.wait_for_selector("[data-testid=state][data-state=available]")
        expect(page.locator("[data-testid=campaign-list]")).to_contain_text("Renewals")

        # Preview: the lead and the script, and nothing dialled yet.
        page.click("[data-testid=campaign-next]")
        lead_area = page.locator("[data-testid=campaign-lead][data-stage=preview]")
        expect(lead_area.locator("[data-testid=lead-name]")).to_have_text("Bob Renewal")
        expect(lead_area.locator("[data-testid=lead-number]")).to_have_text(BOB)
        expect(lead_area.locator("[data-testid=campaign-script]")).to_have_text(
            "Hello Bob Renewal, this is agent1. Your Gold plan renews on 2027-01-31."
        )
        expect(lead_area).to_contain_text("America/New_York")
        expect(lead_area.locator("[data-testid=lead-local-time]")).to_have_text(
            re.compile(r"^\w{3} \d\d:\d\d$")
        )
        expect(page.locator("[data-testid=state]")).to_have_attribute("data-state", "available")
        found = serious(violations(page))
        assert found == [], readable("preview", found)
        with sessions() as session:
            assert session.scalars(select(DialAttempt)).all() == []

        # A reload mid-preview shows the same lead.
        page.reload()
        page.wait_for_selector("[data-testid=link]:has-text('live')")
        expect(page.locator("[data-testid=lead-name]")).to_have_text("Bob Renewal")
        navigations.clear()

        page.click("[data-testid=lead-call]")
        page.wait_for_selector("#notice:has-text('Calling the lead')")
        # The PBX rings Bob, Bob answers and is put through to agent1's phone.
        page.wait_for_selector("[data-testid=campaign-lead][data-stage=in_call]")
        page.wait_for_selector("[data-testid=state][data-state=on_call]")
        expect(page.locator("[data-testid=lead-name]")).to_have_text("Bob Renewal")
        # The lead's disposition is the call's wrap-up: the inbound one steps aside, a ticket
        # for the call stays at hand.
        expect(page.locator("#notes-form")).to_be_hidden()
        expect(page.locator("#callback-form")).to_be_hidden()
        expect(page.locator("#ticket-form")).to_be_visible()

        hang_up_and_wait_for_the_disposition(page)
        page.check("[data-testid=disposition-callback]")
        when = a_weekday_ahead_at_ten()
        page.fill("[data-testid=callback-at]", when.strftime("%Y-%m-%dT%H:%M"))
        instant = when.replace(tzinfo=NEW_YORK).astimezone(UTC)
        expect(page.locator("[data-testid=callback-agent-time]")).to_contain_text(
            instant.astimezone(BERLIN).strftime("%H:%M")
        )
        found = serious(violations(page))
        assert found == [], readable("disposition", found)
        page.check("[data-testid=callback-mine]")
        page.fill("[data-testid=disposition-note]", "After the board meeting")
        page.click("[data-testid=disposition-save]")
        page.wait_for_selector(f"#notice:has-text('{when:%a %Y-%m-%d} 10:00 America/New_York')")

        # The next lead, on the same page; between calls the inbound forms are back.
        expect(
            page.locator("[data-testid=campaign-lead][data-stage=preview] [data-testid=lead-name]")
        ).to_have_text("Carol Next")
        expect(page.locator("#notes-form")).to_be_visible()
        expect(page.locator("#callback-form")).to_be_visible()
        assert navigations == []
        bob = lead_named(sessions, "Bob Renewal")
        assert (bob.state, bob.owner, bob.disposition) == ("open", "agent1", "callback")
        assert bob.next_at == instant

        # Skipped, Carol goes behind the leads not tried yet.
        page.click("[data-testid=lead-skip]")
        expect(
            page.locator("[data-testid=campaign-lead][data-stage=preview] [data-testid=lead-name]")
        ).to_have_text("Frank Later")

        # Progressive: the preview campaign stops, the progressive one starts.
        with sessions() as session, session.begin():
            session.execute(
                update(Campaign).where(Campaign.name == "Renewals").values(state="stopped")
            )
            session.execute(
                update(Campaign).where(Campaign.name == "Satisfaction").values(state="running")
            )
        first = page.locator("[data-testid=campaign-lead][data-stage=in_call]")
        expect(first.locator("[data-testid=lead-name]")).to_have_text(re.compile("Survey$"))
        first_name = first.locator("[data-testid=lead-name]").inner_text()
        expect(first.locator("[data-testid=campaign-script]")).to_contain_text(
            f"Hello {first_name}, this is agent1."
        )
        assert page.locator("[data-testid=lead-call]").count() == 0  # connected already
        page.wait_for_selector("[data-testid=state][data-state=on_call]")
        # A reload mid-call shows the same lead, still in the call.
        page.reload()
        page.wait_for_selector("[data-testid=link]:has-text('live')")
        expect(
            page.locator("[data-testid=campaign-lead][data-stage=in_call] [data-testid=lead-name]")
        ).to_have_text(first_name)
        navigations.clear()

        hang_up_and_wait_for_the_disposition(page)
        expect(page.locator("#notes-form")).to_be_hidden()  # after the reload too
        page.check("[data-testid=disposition-sale]")
        page.keyboard.press("Alt+S")  # the shortcut saves the lead's disposition
        page.wait_for_selector("#notice:has-text('Saved: Sale.')")
        # The next call comes by itself, its lead's card with it.
        second = page.locator("[data-testid=campaign-lead][data-stage=in_call]")
        expect(second.locator("[data-testid=lead-name]")).to_have_text(re.compile("Survey$"))
        expect(second.locator("[data-testid=lead-name]")).not_to_have_text(first_name)
        page.wait_for_selector("[data-testid=state][data-state=on_call]")
        hang_up_and_wait_for_the_disposition(page)
        assert navigations == []

    def sold() -> Lead | None:
        """the first progressive lead is closed as a sale"""
        row = lead_named(sessions, first_name)
        return row if row.state == "done" else None

    assert eventually(sold).disposition == "sale"
