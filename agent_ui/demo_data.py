"""Demo data: the demo scenario's callers as customers, tickets, KB articles and the staff."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_ui.demo_outbound import CALLERS, QUEUE, TEAM, seed_outbound
from callcenter.queues.models import ServiceQueue
from callcenter.queues.records import QueueFields, create_queue
from callcenter.users.models import User
from callcenter.users.service import Role, create_user, set_password
from crm.customers.models import Customer
from crm.customers.schemas import ContactCreate, CustomerCreate, PhoneIn
from crm.customers.service import create_customer
from crm.enums import CustomerCategory, TicketPriority
from crm.kb.models import KBArticle
from crm.kb.schemas import KBArticleIn
from crm.kb.service import create_article
from crm.sla.models import BusinessHours, SLAPolicy
from crm.sla.schemas import BusinessHoursIn, SLAPolicyIn
from crm.sla.service import due_times, put_policy, save_business_hours
from crm.tickets.models import Ticket
from crm.tickets.schemas import TicketCreate
from crm.tickets.service import create_ticket


@dataclass(frozen=True, slots=True)
class DemoUser:
    """A demo account: who, role, team, phone (PBX interface), member name and queues."""

    username: str
    role: Role
    team: str | None
    interface: str | None = None
    member_name: str | None = None
    queues: tuple[tuple[str, int], ...] = ()


# agent1 is the person at a console in sim/scenarios/demo.toml (PJSIP/1001, human = true);
# agent2 sits on billing-bot's phone, so signing in as agent2 watches a simulated colleague;
# caller1..caller4 are the simulated callers of the renewals campaign (team "renewals").
DEMO_USERS = (
    DemoUser("agent1", Role.AGENT, "front office", "PJSIP/1001", "agent1", (("support", 0),)),
    DemoUser("agent2", Role.AGENT, "front office", "PJSIP/1101", "billing-bot", (("billing", 0),)),
    *(
        DemoUser(name, Role.AGENT, TEAM, f"PJSIP/120{n}", name, ((QUEUE, 0),))
        for n, name in enumerate(CALLERS, start=1)
    ),
    DemoUser("supervisor1", Role.SUPERVISOR, "front office"),
    DemoUser("admin", Role.ADMIN, None),
)

# (code, name, category, blacklisted, phone, contacts) — phones are demo.toml's caller numbers.
DEMO_CUSTOMERS: tuple[tuple[str, str, CustomerCategory, bool, str, list[str]], ...] = (
    ("C-1001", "Ann Customer", CustomerCategory.VIP, False, "+15551230001", ["Ann Smith"]),
    ("C-1002", "Ben Customer", CustomerCategory.REGULAR, False, "+15551230002", ["Ben Jones"]),
    ("C-1003", "Cara Customer", CustomerCategory.PARTNER, False, "+15551230003", []),
    ("C-1004", "Dan Customer", CustomerCategory.REGULAR, True, "+15551230004", []),
    ("C-1005", "Eve Customer", CustomerCategory.PROSPECT, False, "+15551230005", ["Eve Adams"]),
    ("C-1006", "Finn Customer", CustomerCategory.REGULAR, False, "+15551230006", []),
    ("C-1007", "Gina Customer", CustomerCategory.VIP, False, "+15551230007", []),
    ("C-1008", "Hank Customer", CustomerCategory.REGULAR, False, "+15551230008", []),
    # A second owner of Ben's number: the pop asks the agent to choose.
    ("C-2002", "Ben's Bakery", CustomerCategory.REGULAR, False, "+15551230002", []),
)

DEMO_TICKETS = (
    ("C-1001", "Invoice shows the wrong VAT rate", TicketPriority.HIGH),
    ("C-1002", "Router drops the connection every evening", TicketPriority.NORMAL),
    ("C-1007", "Upgrade to the premium plan", TicketPriority.LOW),
)

# The demo scenario's queues as records, with the DIDs its callers dial (sim/scenarios/demo.toml),
# so routing finds each caller's queue by the number dialled.
DEMO_QUEUES = (
    ("support", "Support", ("5000",)),
    ("billing", "Billing", ("5001",)),
    (QUEUE, "Renewals", ()),  # the renewals campaign's: nobody dials in
)

# Returning customers agent1 serves: routing offers their calls to agent1 first.
DEMO_PREFERRED_AGENTS = {"C-1005": "agent1"}  # Eve's preferred agent
DEMO_TICKET_ASSIGNEES = {"C-1007": "agent1"}  # Gina's (VIP) open ticket is agent1's

DEMO_ARTICLES = (
    ("Reset a customer's portal password", "The customer cannot sign in to the portal.",
     "Send the reset link from the customer's page; it is valid for 24 hours.", "portal,password"),
    ("Router drops the connection", "The line drops every few hours, often in the evening.",
     "Check the firmware version; update to 4.2 and disable the power-saving mode.",
     "router,connection,firmware"),
    ("Wrong VAT on an invoice", "The invoice shows the standard rate on reduced-rate items.",
     "Open a billing ticket; billing issues a credit note within two business days.",
     "billing,invoice,vat"),
    ("Change of plan", "The customer wants a bigger or smaller plan.",
     "Plans change on the first day of the next month; no fee for upgrades.", "plan,upgrade"),
)  # fmt: skip


# The demo's office: weekdays 08:00-18:00 and Saturday mornings (UTC), the default hours.
DEMO_HOURS = BusinessHoursIn(
    name="Office hours",
    timezone="UTC",
    is_default=True,
    slots=[
        *({"weekday": day, "opens": "08:00", "closes": "18:00"} for day in range(5)),
        {"weekday": 5, "opens": "09:00", "closes": "13:00"},
    ],
)
# (priority, first response, resolution) in business minutes.
DEMO_POLICIES = (
    (TicketPriority.URGENT, 15, 4 * 60),
    (TicketPriority.HIGH, 60, 8 * 60),
    (TicketPriority.NORMAL, 4 * 60, 3 * 10 * 60),
    (TicketPriority.LOW, 8 * 60, 5 * 10 * 60),
)


def users_not_of_the_demo(session: Session) -> list[str]:
    """Usernames in the database that the demo did not create (a database people work in)."""
    demo = {spec.username for spec in DEMO_USERS}
    return sorted(set(session.scalars(select(User.username))) - demo)


def seed_demo(
    session: Session, region: str, password: str | None, site_zone: str = "UTC"
) -> dict[str, str]:
    """Add what is missing of the demo data; returns each demo user's password.

    Running it again adds nothing twice; passwords are reset to `password` (or new random
    ones), so the printed passwords always work.
    """
    passwords = _seed_users(session, password)
    _seed_queues(session)
    _seed_sla(session)  # before the tickets, which take their due times from it
    by_code: dict[str, int] = {}
    for code, name, category, blacklisted, phone, contacts in DEMO_CUSTOMERS:
        existing = session.scalar(select(Customer.id).where(Customer.code == code))
        if existing is not None:
            by_code[code] = existing
            continue
        data = CustomerCreate(
            name=name,
            code=code,
            category=category,
            blacklisted=blacklisted,
            phones=[PhoneIn(number=phone)],
            contacts=[ContactCreate(name=contact) for contact in contacts],
            preferred_agent=DEMO_PREFERRED_AGENTS.get(code),
        )
        by_code[code] = create_customer(session, data, region).id
        for ticket_code, subject, priority in DEMO_TICKETS:
            if ticket_code == code:  # tickets come with their (new) customer, once
                ticket = TicketCreate(
                    subject=subject,
                    priority=priority,
                    customer_id=by_code[code],
                    assignee=DEMO_TICKET_ASSIGNEES.get(code),
                )
                create_ticket(session, ticket, "admin")
    if session.scalar(select(KBArticle.id).limit(1)) is None:
        for title, problem, solution, tags in DEMO_ARTICLES:
            create_article(
                session,
                KBArticleIn(title=title, problem=problem, solution=solution, tags=tags.split(",")),
            )
    seed_outbound(session, region, site_zone)
    session.flush()
    return passwords


def _seed_users(session: Session, password: str | None) -> dict[str, str]:
    """The demo's staff, each with `password` or a new random one."""
    passwords: dict[str, str] = {}
    for spec in DEMO_USERS:
        chosen = password or secrets.token_urlsafe(12)
        user = session.scalar(select(User).where(User.username == spec.username))
        if user is None:
            create_user(
                session,
                spec.username,
                role=spec.role,
                password=chosen,
                team=spec.team,
                interface=spec.interface,
                member_name=spec.member_name,
                queues=spec.queues,
            )
        else:
            set_password(session, user, chosen)
        passwords[spec.username] = chosen
    return passwords


def _seed_queues(session: Session) -> None:
    """The demo's queue records with their dialled numbers (those not there yet)."""
    for name, display_name, numbers in DEMO_QUEUES:
        if session.scalar(select(ServiceQueue.id).where(ServiceQueue.name == name)) is None:
            create_queue(session, name, QueueFields(display_name=display_name, numbers=numbers))


def _seed_sla(session: Session) -> None:
    """Office hours and a policy per priority, so tickets have due times; tickets a demo
    made before it had them get theirs."""
    if session.scalar(select(BusinessHours.id).limit(1)) is None:
        save_business_hours(session, DEMO_HOURS)
    if session.scalar(select(SLAPolicy.id).limit(1)) is None:
        for priority, first, resolution in DEMO_POLICIES:
            targets = SLAPolicyIn(first_response_minutes=first, resolution_minutes=resolution)
            put_policy(session, priority, targets)
    undated = select(Ticket).where(
        Ticket.first_response_due.is_(None), Ticket.resolution_due.is_(None)
    )
    for ticket in session.scalars(undated):
        ticket.first_response_due, ticket.resolution_due = due_times(
            session, ticket.priority, ticket.created_at
        )
