"""The open ticket a caller's pop offers first, and the tickets a call is linked to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm.lookup.schemas import LookupCard
from crm.tickets.models import TicketCall


@dataclass(frozen=True, slots=True)
class TicketOffer:
    """What the card says about the offered ticket: which one, whether the call is linked to
    it when answered (or was), and which tickets the call is linked to already."""

    ticket_id: int | None
    linked: frozenset[int]
    on_answer: bool
    answered: bool


def offered_ticket(card: LookupCard, customer_id: int | None) -> int | None:
    """The caller's most recently updated open ticket: of the customer the agent chose, or of
    the only customer with the number; None when several match and none is chosen."""
    matches = card.matches
    if customer_id is not None:
        matches = [m for m in matches if m.customer.id == customer_id]
    if len(matches) != 1 or not matches[0].open_tickets:
        return None
    latest = max(matches[0].open_tickets, key=lambda ticket: (ticket.updated_at, ticket.id))
    return latest.id


def linked_tickets(session: Session, server: str, linkedid: str) -> frozenset[int]:
    """The tickets the call (`server`, `linkedid`) is linked to."""
    rows = session.scalars(
        select(TicketCall.ticket_id).where(
            TicketCall.server == server, TicketCall.linkedid == linkedid
        )
    )
    return frozenset(rows)
