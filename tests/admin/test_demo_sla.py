"""The demo seeds office hours and an SLA policy per priority, so its tickets have due times
the desk shows (also tickets a demo made before it seeded them)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.demo_data import DEMO_TICKETS, seed_demo
from callcenter.app import create_app
from callcenter.settings import Settings
from callcenter.users.auth import SESSION_COOKIE, SessionSigner
from callcenter.users.models import User
from crm.enums import TicketPriority
from crm.sla.models import BusinessHours, SLAPolicy
from crm.tickets.models import Ticket
from crm.tickets.schemas import TicketCreate
from crm.tickets.service import create_ticket
from tests.console_app import SECRET

PASSWORD = "seven orange bicycles hum"


def test_the_demo_seeds_hours_and_policies_and_its_tickets_have_due_times(
    sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    with sessions() as session, session.begin():
        seed_demo(session, "US", PASSWORD)
    with sessions() as session:
        hours = session.scalar(select(BusinessHours))
        assert hours is not None and hours.is_default and len(hours.slots) == 6
        assert {p.priority for p in session.scalars(select(SLAPolicy))} == {
            str(p) for p in TicketPriority
        }
        tickets = list(session.scalars(select(Ticket)))
        assert len(tickets) == len(DEMO_TICKETS)
        assert all(t.first_response_due and t.resolution_due for t in tickets)


def test_a_demo_database_from_before_gets_its_due_times(
    sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    with sessions() as session, session.begin():
        old = create_ticket(session, TicketCreate(subject="From before", priority="high"), "admin")
        assert old.resolution_due is None  # no policies yet
    for _ in range(2):  # a second run changes nothing more
        with sessions() as session, session.begin():
            seed_demo(session, "US", PASSWORD)
    with sessions() as session:
        again = session.get(Ticket, old.id)
        assert again is not None and again.first_response_due and again.resolution_due
        assert len(list(session.scalars(select(BusinessHours)))) == 1
        assert len(list(session.scalars(select(SLAPolicy)))) == len(TicketPriority)


def test_the_desk_shows_the_demo_tickets_due_times(
    sessions: sessionmaker[Session], settings: Settings, fast_password_hashing: None
) -> None:
    with sessions() as session, session.begin():
        seed_demo(session, "US", PASSWORD)
        admin = session.scalar(select(User).where(User.username == "admin"))
        assert admin is not None
        cookie, _ = SessionSigner(SECRET).issue(admin.id, admin.session_generation)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        client.cookies.set(SESSION_COOKIE, cookie)
        page = client.get("/desk/tickets", params={"view": "all"}).text
    for _, subject, _ in DEMO_TICKETS:
        row = page[page.index(subject) :].split("</tr>")[0]
        assert " left)" in row or "(overdue by" in row, subject
