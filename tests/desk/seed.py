"""Tickets, customers and calls for the desk's tests, on the console app's staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.models import Call, QueueVisit
from callcenter.campaigns.enums import LeadOrigin
from crm.callbacks.campaign import CallbackRules
from crm.callbacks.service import add_callback
from crm.customers.schemas import CustomerCreate, PhoneIn
from crm.customers.service import create_customer
from crm.enums import TicketPriority
from crm.interactions.models import Interaction
from crm.tickets.models import Ticket
from crm.tickets.schemas import CallRef, TicketCreate
from crm.tickets.service import create_ticket

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Where the seeded callbacks land: the callback campaign on the support queue.
RULES = CallbackRules(region="US", due_minutes=30, queue="support", site_zone="UTC")


def seed_tickets(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Ticket ids by role: agent1's (red), agent3's (blue), an unassigned one, one of red's
    team with no assignee; the first has a customer and a stored call with a note."""
    ids: dict[str, int] = {}
    with sessions() as session, session.begin():
        customer = create_customer(
            session,
            CustomerCreate(name="Ann Customer", phones=[PhoneIn(number="+15551230001")]),
            "US",
        )
        ids["customer"] = customer.id
        _stored_call(session, customer.id)
        ids["mine"] = _ticket(
            session,
            "Printer on fire",
            assignee="agent1",
            team="red",
            customer_id=customer.id,
            call=CallRef(server="sim", linkedid="1700000000.1"),
        )
        # No SLA policy is seeded: the ticket's due times are set as a policy would.
        mine = session.get(Ticket, ids["mine"])
        assert mine is not None
        mine.first_response_due = datetime.now(UTC) + timedelta(hours=2)
        mine.resolution_due = datetime.now(UTC) + timedelta(days=1)
        ids["blue"] = _ticket(session, "Blue team's router", assignee="agent3", team="blue")
        ids["free"] = _ticket(session, "Nobody's modem", priority=TicketPriority.URGENT)
        ids["red"] = _ticket(session, "Red team's fax", team="red")
        callback = add_callback(
            session,
            RULES,
            number="+15551230001",
            customer_id=customer.id,
            due_at=datetime.now(UTC) + timedelta(minutes=30),
            origin=LeadOrigin.API,
            queue="support",
            note="Wants to hear when the printer is fixed",
        )
        ids["callback"] = callback.id
    return ids


def _ticket(session: Session, subject: str, **fields: object) -> int:
    data = TicketCreate.model_validate({"subject": subject, **fields})
    ticket = create_ticket(session, data, "tests", now=datetime.now(UTC) - timedelta(minutes=5))
    return ticket.id


def _stored_call(session: Session, customer_id: int) -> None:
    call = Call(
        server="sim",
        linkedid="1700000000.1",
        direction="inbound",
        caller_number="+15551230001",
        started_at=AT,
        answered_at=AT + timedelta(seconds=12),
        ended_at=AT + timedelta(seconds=137),
        talk_s=125.0,
        outcome="answered",
        agent="agent1",
    )
    call.queue_visits.append(
        QueueVisit(
            seq=1,
            queue="support",
            uniqueid="1700000000.1",
            entered_at=AT,
            ended_at=AT + timedelta(seconds=12),
            outcome="answered",
            agent="agent1",
        )
    )
    session.add(call)
    session.add(
        Interaction(
            kind="call_in",
            customer_id=customer_id,
            occurred_at=AT,
            number="+15551230001",
            body="Caller smells smoke near the printer",
            agent="agent1",
            server="sim",
            linkedid="1700000000.1",
            queue="support",
        )
    )
