"""The CRM's facts for call routing: the caller by the CRM's number lookup, and the queues.

Per call two indexed statements: the customers owning any reading of the presented number
(crm.phones.candidates, as the screen pop reads it) and their most recently updated open
ticket. A number two customers share is ambiguous: no customer, no customer rule.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from callcenter.queues.directory import all_queues, queue_members
from callcenter.queues.models import AgentSkill
from callcenter.queues.routing.facts import UNKNOWN_CALLER, CallerFacts, Directory, TicketFact
from callcenter.users.models import User
from crm.customers.models import Contact, Customer, PhoneNumber
from crm.phones import candidates
from crm.sla.business_hours import Calendar, calendar_from_rows
from crm.sla.models import BusinessHours
from crm.tickets.models import Ticket
from crm.tickets.workflow import ACTIVE

# The customer's plain fields admin rules may test (`field = "country"`).
RULE_FIELDS = ("kind", "code", "industry", "country", "city", "credit_rating", "postal_code")

_OwnerContact = aliased(Contact)
_owner_id = func.coalesce(PhoneNumber.customer_id, _OwnerContact.customer_id)
_CUSTOMERS: Select[Any] = (
    select(
        Customer.id,
        Customer.blacklisted,
        Customer.category,
        Customer.preferred_agent,
        *(getattr(Customer, name) for name in RULE_FIELDS),
    )
    .select_from(PhoneNumber)
    .outerjoin(_OwnerContact, _OwnerContact.id == PhoneNumber.contact_id)
    .join(Customer, Customer.id == _owner_id)
    .where(PhoneNumber.e164.in_(bindparam("numbers", expanding=True)))
    .distinct()
    .limit(2)
)
# The (customer_id, status) index finds the customer's few active tickets.
_LATEST_OPEN_TICKET = (
    select(Ticket.id, Ticket.number, Ticket.priority, Ticket.assignee)
    .where(
        Ticket.customer_id == bindparam("customer"),
        Ticket.status.in_([str(s) for s in ACTIVE]),
    )
    .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    .limit(1)
)


@lru_cache(maxsize=20_000)
def _readings(presented: str, region: str) -> tuple[str, ...]:
    """The E.164 readings of a presented number (parsing is the costly part of a lookup;
    callers call again)."""
    return tuple(candidates(presented, region))


class OpenCalendar:
    """A business-hours calendar answering "open now?"."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar

    def is_open(self, at: datetime) -> bool:
        first = next(self.calendar.open_intervals(at), None)
        return first is not None and first[0] <= at


class CrmCallerFacts:
    """callcenter.queues.routing.facts.CrmFacts on the CRM's database."""

    def __init__(self, sessions: sessionmaker[Session], region: str) -> None:
        self.sessions = sessions
        self.region = region
        bind = sessions.kw["bind"]
        self.engine: Engine = bind

    def caller(self, number: str) -> CallerFacts:
        numbers = _readings(number, self.region)
        if not numbers:
            return UNKNOWN_CALLER
        # A plain connection: two read-only Core statements need no ORM session.
        with self.engine.connect() as connection:
            rows = connection.execute(_CUSTOMERS, {"numbers": list(numbers)}).all()
            if len(rows) != 1:
                return CallerFacts(ambiguous=len(rows) > 1)
            customer = rows[0]
            ticket = connection.execute(_LATEST_OPEN_TICKET, {"customer": customer.id}).first()
        fields = {name: str(value) for name in RULE_FIELDS if (value := getattr(customer, name))}
        return CallerFacts(
            customer_id=customer.id,
            blacklisted=bool(customer.blacklisted),
            category=customer.category,
            preferred_agent=customer.preferred_agent,
            open_ticket=TicketFact(ticket.id, ticket.number, ticket.priority, ticket.assignee)
            if ticket
            else None,
            fields=fields,
        )

    def directory(self) -> Directory:
        with self.sessions() as session:
            return read_directory(session)


def read_directory(session: Session) -> Directory:
    """Queue records, their members, the agents' skills and the calendars, as stored now:
    a statement per queue (a handful) and one each for skills and calendars."""
    queues = {queue.name: queue for queue in all_queues(session)}
    members = {name: queue_members(session, name) for name in queues}
    skills: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(User.username, AgentSkill.skill, AgentSkill.level).join(
            AgentSkill, AgentSkill.user_id == User.id
        )
    )
    for username, skill, level in rows:
        skills.setdefault(username, {})[skill] = level
    hours = {
        row.id: OpenCalendar(
            calendar_from_rows(
                row.timezone,
                [(s.weekday, s.opens, s.closes) for s in row.slots],
                [h.day for h in row.holidays],
            )
        )
        for row in session.scalars(select(BusinessHours))
        if row.slots
    }
    return Directory(queues=queues, members=members, skills=skills, hours=hours)
