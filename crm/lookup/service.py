"""The screen-pop lookup: who owns a presented number, with their open tickets and history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from crm.customers.models import Contact, Customer, PhoneNumber
from crm.interactions.models import Interaction
from crm.interactions.schemas import InteractionOut
from crm.lookup.schemas import ContactCard, CustomerCard, LookupCard, LookupMatch, TicketBrief
from crm.phones import candidates
from crm.tickets.models import Ticket
from crm.tickets.workflow import ACTIVE

HISTORY_LENGTH = 10

# The screen pop sits between the PBX ringing an agent and the agent saying hello, so the
# lookup is three prepared Core statements run on the session's connection (no ORM identity
# map, no ORM compilation, no per-call statement building): owners with their card fields,
# open tickets, and the latest history.

_OwnerContact = aliased(Contact)
_owner_id = func.coalesce(PhoneNumber.customer_id, _OwnerContact.customer_id)
_CARD_COLUMNS: tuple[ColumnElement[Any], ...] = tuple(
    getattr(Customer, name).label(f"customer_{name}") for name in CustomerCard.model_fields
)
_CONTACT_COLUMNS: tuple[ColumnElement[Any], ...] = tuple(
    getattr(_OwnerContact, name).label(f"contact_{name}") for name in ContactCard.model_fields
)
_OWNERS: Select[Any] = (
    select(PhoneNumber.e164, *_CARD_COLUMNS, *_CONTACT_COLUMNS)
    .outerjoin(_OwnerContact, _OwnerContact.id == PhoneNumber.contact_id)
    .join(Customer, Customer.id == _owner_id)
    .where(PhoneNumber.e164.in_(bindparam("numbers", expanding=True)))
    .order_by(Customer.name, Customer.id, PhoneNumber.id)
)
_OPEN_TICKETS: Select[Any] = (
    select(Ticket.customer_id, *(getattr(Ticket, name) for name in TicketBrief.model_fields))
    .where(
        Ticket.customer_id.in_(bindparam("customers", expanding=True)),
        Ticket.status.in_([str(s) for s in ACTIVE]),
    )
    .order_by(Ticket.resolution_due.is_(None), Ticket.resolution_due, Ticket.id)
)
_HISTORY_FIELDS = tuple(getattr(Interaction, name) for name in InteractionOut.model_fields)
# One customer's latest entries, newest first: read backwards along the (customer_id,
# occurred_at) index, so a customer with years of calls costs no more than a new one.
_HISTORY: Select[Any] = (
    select(*_HISTORY_FIELDS)
    .where(Interaction.customer_id == bindparam("customer"))
    .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
    .limit(HISTORY_LENGTH)
)


def lookup(session: Session, presented: str, region: str) -> LookupCard:
    """The card for `presented`: every matching customer, or none when nobody has it."""
    numbers = candidates(presented, region)
    if not numbers:
        return LookupCard(number=presented, candidates=numbers, matches=[])
    if session.autoflush:
        session.flush()  # what the session changed is seen, as an ORM query would
    connection = session.connection()
    matches: dict[int, LookupMatch] = {}
    for row in connection.execute(_OWNERS, {"numbers": numbers}).mappings():
        customer_id = row["customer_id"]
        match = matches.get(customer_id)
        if match is None:
            customer = {name: row[f"customer_{name}"] for name in CustomerCard.model_fields}
            match = LookupMatch(
                customer=CustomerCard.model_validate(customer),
                contacts=[],
                matched_numbers=[],
                open_tickets=[],
                interactions=[],
            )
            matches[customer_id] = match
        if row["contact_id"] is not None and all(c.id != row["contact_id"] for c in match.contacts):
            contact = {name: row[f"contact_{name}"] for name in ContactCard.model_fields}
            match.contacts.append(ContactCard.model_validate(contact))
        if row["e164"] not in match.matched_numbers:
            match.matched_numbers.append(row["e164"])
    if matches:
        ids = list(matches)
        for row in connection.execute(_OPEN_TICKETS, {"customers": ids}).mappings():
            matches[row["customer_id"]].open_tickets.append(TicketBrief.model_validate(dict(row)))
        for customer_id, match in matches.items():
            for row in connection.execute(_HISTORY, {"customer": customer_id}).mappings():
                match.interactions.append(InteractionOut.model_validate(dict(row)))
    return LookupCard(number=presented, candidates=numbers, matches=list(matches.values()))


def owners(session: Session, numbers: Sequence[str]) -> list[Owner]:
    """Every customer owning one of `numbers` (E.164), with the contacts that matched."""
    if not numbers:
        return []
    rows = session.execute(
        select(PhoneNumber.e164, _owner_id, PhoneNumber.contact_id)
        .outerjoin(_OwnerContact, _OwnerContact.id == PhoneNumber.contact_id)
        .where(PhoneNumber.e164.in_(numbers))
        .order_by(PhoneNumber.id)
    )
    found: dict[int, Owner] = {}
    for e164, owner_id, contact_id in rows:
        owner = found.setdefault(owner_id, Owner(owner_id))
        if contact_id is not None and contact_id not in owner.contact_ids:
            owner.contact_ids.append(contact_id)
        if e164 not in owner.numbers:
            owner.numbers.append(e164)
    return list(found.values())


class Owner:
    """A customer owning a number, directly or through some of its contacts."""

    def __init__(self, customer_id: int) -> None:
        self.customer_id = customer_id
        self.contact_ids: list[int] = []
        self.numbers: list[str] = []
