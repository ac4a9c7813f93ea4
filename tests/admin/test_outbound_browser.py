"""The outbound pages in a real browser on the live stack (a real server: the file upload goes
over HTTP as a browser sends it): a supervisor uploads a call list, makes a progressive
campaign on it, starts it, finds it read-only, pauses it and edits it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import Campaign
from tests.agent_ui.live_stack import live_stack
from tests.browser.axe_check import readable, serious, violations
from tests.console_app import PASSWORD, Staff

pytestmark = pytest.mark.browser

CSV = "number,name,plan\n(212) 555-0100,Ann Lee,gold\n212 555 0101,Bo Diaz,silver\n12,Typo\n"


def test_a_supervisor_runs_a_progressive_campaign_from_a_csv_list(
    page: Any,
    database_url: str,
    staff: Staff,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    with live_stack(database_url, sessions) as stack:
        errors = work_the_pages(page, stack.base_url, tmp_path)
    assert errors == []
    with sessions() as session:
        campaign = session.scalars(select(Campaign)).one()
    assert (campaign.state, campaign.mode, campaign.queue) == ("paused", "progressive", "support")
    assert campaign.agents == ["agent1"] and campaign.teams == ["red"]
    assert campaign.weekdays == [1, 2, 3, 4, 5] and campaign.abandon_cap == 0.025
    assert campaign.retry_gaps_min == {"busy": 15}
    assert campaign.dispositions[1] == {"code": "not_interested", "label": "No interest",
                                        "final": True}  # fmt: skip


def accessible(page: Any, name: str) -> None:
    """No serious WCAG 2.1 AA violation, and no sideways scrolling."""
    found = serious(violations(page))
    assert not found, readable(name, found)
    wider = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(wider) <= 0, f"{name} scrolls sideways"


def work_the_pages(page: Any, base_url: str, tmp_path: Path) -> list[str]:
    """What the supervisor does; returns the page's script errors."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base_url + "/signin")
    page.fill("input[name=username]", "supervisor1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=nav-outbound]")
    page.click("[data-testid=nav-outbound]")
    page.click("[data-testid=outbound-tabs] >> text=Call lists")

    bad = tmp_path / "spring.csv"
    bad.write_text(CSV, encoding="utf-8")
    page.fill("[data-testid=upload-name]", "spring")
    page.set_input_files("[data-testid=upload-file]", str(bad))
    page.click("[data-testid=upload-submit]")
    expect(page.locator("[data-testid=refused-rows] caption")).to_contain_text(
        "Nothing imported: 1 row refused"
    )
    expect(page.locator("[data-testid=refused-row][data-line='4']")).to_contain_text("wrong length")
    good = tmp_path / "spring-fixed.csv"
    good.write_text(CSV.replace("12,Typo\n", ""), encoding="utf-8")
    page.set_input_files("[data-testid=upload-file]", str(good))
    page.click("[data-testid=upload-submit]")
    expect(page.locator("[data-testid=import-summary]")).to_contain_text("2 leads imported")
    expect(page.locator("[data-list=spring] [data-testid=list-leads]")).to_have_text(
        "2 leads: 2 open"
    )

    page.click("[data-testid=outbound-tabs] >> text=Campaigns")
    page.click("[data-testid=campaign-new]")
    page.fill("[data-testid=field-name]", "Spring renewals")
    page.select_option("[data-testid=field-list_id]", label="spring")
    page.select_option("[data-testid=field-mode]", value="progressive")
    page.fill("[data-testid=field-queue]", "renewals")
    page.check("[data-testid=agent-agent1]")
    page.check("[data-testid=team-red]")
    page.fill("[data-testid=field-abandon_cap_pct]", "4")
    page.fill("[data-testid=gap-busy]", "15")
    page.fill("[data-testid=field-script]", "Hello, this is Acme about your renewal.")
    page.click("[data-testid=campaign-save]")
    expect(page.locator("[data-testid=error-abandon_cap_pct]")).to_contain_text("at most 3 %")
    accessible(page, "a refused campaign form")
    page.fill("[data-testid=field-abandon_cap_pct]", "2.5")
    page.click("[data-testid=campaign-save]")
    expect(page.locator("[data-testid=campaign-title]")).to_have_text("Spring renewals")
    expect(page.locator("[data-testid=campaign-state]")).to_have_text("draft")

    # The PBX has no queue "renewals": the start is refused, naming the PBX's queues.
    page.click("[data-testid=campaign-start]")
    expect(page.locator("[data-testid=notice]")).to_have_text(
        "the PBX has no queue 'renewals': its queues are billing, support"
    )
    expect(page.locator("[data-testid=campaign-state]")).to_have_text("draft")
    page.fill("[data-testid=field-queue]", "support")
    page.click("[data-testid=campaign-save]")
    expect(page.locator("[data-testid=done]")).to_have_text("Saved.")
    page.click("[data-testid=campaign-start]")
    expect(page.locator("[data-testid=done]")).to_have_text("Campaign started.")
    expect(page.locator("[data-testid=campaign-state]")).to_have_text("running")
    expect(page.locator("[data-testid=read-only]")).to_contain_text("pause it first")
    expect(page.locator("[data-testid=field-script]")).to_be_disabled()
    expect(page.locator("[data-testid=campaign-save]")).to_have_count(0)
    accessible(page, "a running campaign")

    page.click("[data-testid=outbound-tabs] >> text=Campaigns")
    row = page.locator("[data-campaign='Spring renewals']")
    expect(row.locator("[data-testid=campaign-state]")).to_have_text("running")
    row.locator("[data-testid=campaign-pause]").click()
    expect(page.locator("[data-testid=done]")).to_have_text("Campaign Spring renewals paused.")
    expect(row.locator("[data-testid=campaign-state]")).to_have_text("paused")
    accessible(page, "the campaigns")

    row.locator("[data-testid=campaign-link]").click()
    expect(page.locator("[data-testid=read-only]")).to_have_count(0)
    page.fill("[data-testid=field-script]", "Hello, Acme here: your renewal is due.")
    page.uncheck("[data-testid=weekday-6]")
    page.fill("[data-testid=d1-label]", "No interest")
    page.click("[data-testid=campaign-save]")
    expect(page.locator("[data-testid=done]")).to_have_text("Saved.")
    expect(page.locator("[data-testid=field-script]")).to_have_value(
        "Hello, Acme here: your renewal is due."
    )
    return errors
