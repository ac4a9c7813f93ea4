"""Every page of the web app, with who opens it and how it is brought to a meaningful state:
the accessibility test checks each one and `make screenshots` pictures each one.

To add a page, add one line to PAGES, e.g.
    Page("admin-users", "/admin/users", "admin", "Admin: users", ready="main h1"),
then run `make screenshots` (the README's "Screens" section lists every page's picture).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.agent_ui.live_stack import LiveStack
from tests.browser.showcase import PASSWORD, Showcase


def take_a_call(page: Any, stack: LiveStack) -> None:
    """agent1 signs in to their queues and Ann, a VIP, calls: the pop is up (the call stays
    up, so the read-only view after it shows it too)."""
    console_live(page, stack)
    page.click("[data-testid=queue-signin]")
    page.wait_for_selector("[data-testid=state][data-state=available]")
    stack.call_in("+15551230001", "Ann Customer")
    page.wait_for_selector("[data-testid=customer-name]:has-text('Ann Customer')")
    page.wait_for_selector("[data-testid=state][data-state=on_call]")


def console_live(page: Any, stack: LiveStack) -> None:
    del stack
    page.wait_for_selector("[data-testid=link]:has-text('live')")


@dataclass(frozen=True)
class Page:
    """A page: its screenshot's name, path ({ticket}, {customer}, {agent}, {team}, {hours},
    {article}, {day_from}, {day_to}, {campaign}, {call_list} are filled from the showcase), the
    role signed in (None: nobody), a caption, a selector shown once it is rendered, the HTTP
    status it answers, and an action to bring it to the state shown."""

    name: str
    path: str
    role: str | None
    caption: str
    ready: str = "main"
    status: int = 200
    act: Callable[[Any, LiveStack], None] | None = None


# In the order they are visited: the console's call is still up when the read-only view
# and the wallboard are opened.
PAGES = (
    Page("signin", "/signin", None, "Sign-in", ready="input[name=username]"),
    Page("console-idle", "/console", "agent1", "Agent console, idle", act=console_live),
    Page("console-pop", "/console", "agent1", "Agent console with a caller", act=take_a_call),
    Page("console-watch", "/console/agents/agent1", "supervisor1", "Supervisor watching a console"),
    Page("agents", "/console", "supervisor1", "Agents a supervisor can watch"),
    Page("wallboard", "/supervisor/wallboard", "supervisor1", "Wallboard", ready="#wallboard"),
    Page("agent-page", "/supervisor/agents/agent1", "supervisor1",
         "Supervisor's page of an agent, with force pause and sign-out"),
    Page("tickets", "/desk/tickets", "agent1", "Desk: tickets"),
    Page("ticket", "/desk/tickets/{ticket}", "agent1", "Desk: a ticket"),
    Page("customers", "/desk/customers", "agent1", "Desk: customers"),
    Page("customer", "/desk/customers/{customer}", "agent1", "Desk: a customer"),
    Page("callbacks", "/desk/callbacks", "agent1", "Desk: callbacks"),
    Page("reports", "/supervisor/reports", "supervisor1", "Reports by queue"),
    Page("agent-reports", "/supervisor/reports?by=agent", "supervisor1", "Reports by agent"),
    Page("staffing", "/supervisor/staffing?calls_per_hour=120&aht=240", "supervisor1",
         "Staffing"),
    Page("explain", "/supervisor/explain?kpi=service_level&queue=support&from={day_from}"
         "&to={day_to}", "supervisor1", "Drill-down: the calls behind a figure"),
    Page("quality", "/supervisor/quality?from={day_from}&to={day_to}", "supervisor1",
         "Drill-down: FCR, repeat callers, complaints"),
    Page("error-403", "/supervisor/reports", "agent1", "A page not for your role", status=403),
    Page("error-404", "/desk/tickets/999999", "agent1", "A page that is not there", status=404),
    Page("docs", "/docs", "admin", "API documentation", ready=".swagger-ui .info"),
    Page("admin-users", "/admin/users", "admin", "Admin: users"),
    Page("admin-user", "/admin/users/{agent}", "admin", "Admin: a user, queues and tokens"),
    Page("admin-teams", "/admin/teams", "admin", "Admin: teams"),
    Page("admin-queues", "/admin/queues", "admin", "Admin: queues, their numbers and hours"),
    Page("admin-queue", "/admin/queues/support", "admin", "Admin: a queue's settings"),
    Page("admin-team", "/admin/teams/{team}", "admin", "Admin: a team"),
    Page("admin-sla", "/admin/sla", "admin", "Admin: SLA policies and business hours"),
    Page("admin-hours", "/admin/sla/hours/{hours}", "admin", "Admin: business hours"),
    Page("admin-kb", "/admin/kb", "admin", "Admin: knowledge base"),
    Page("admin-article", "/admin/kb/{article}", "admin", "Admin: an article"),
    Page("admin-routing", "/admin/routing?caller=%2B15551230001&did=100", "admin",
         "Admin: routing rules, and what happens to a caller now"),
    Page("admin-campaigns", "/admin/campaigns", "admin", "Outbound: campaigns"),
    Page("admin-campaign", "/admin/campaigns/{campaign}", "admin",
         "Outbound: a campaign, its mode, hours, retries, dispositions and script"),
    Page("admin-call-lists", "/admin/call-lists", "admin", "Outbound: call lists"),
    Page("admin-call-list", "/admin/call-lists/{call_list}", "admin",
         "Outbound: a call list's leads"),
    Page("admin-dnc", "/admin/dnc", "admin", "Outbound: do-not-call"),
    Page("outbound-report", "/supervisor/reports/outbound?from={day_from}&to={day_to}",
         "supervisor1", "Outbound report by campaign, with charts"),
)  # fmt: skip


def sign_in(page: Any, base_url: str, username: str) -> None:
    page.goto(base_url + "/signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/signin" not in url)


def open_page(page: Any, stack: LiveStack, showcase: Showcase, entry: Page) -> None:
    """Sign in as the page's role, open it, check its status and bring it to its state."""
    if entry.role is not None:
        sign_in(page, stack.base_url, entry.role)
    response = page.goto(stack.base_url + showcase.fill(entry.path))
    assert response is not None and response.status == entry.status, (
        f"{entry.name}: {entry.path} answered {response and response.status}"
    )
    page.wait_for_selector(entry.ready)
    if entry.act is not None:
        entry.act(page, stack)
