"""What the ticket page shows: the ticket, its calls with their facts and notes, its moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.calls.models import Call
from crm.customers.models import Customer
from crm.enums import TicketStatus
from crm.interactions.models import Interaction
from crm.tickets.exceptions import TransitionRefused
from crm.tickets.models import Ticket, TicketEvent
from crm.tickets.service import timeline
from crm.tickets.workflow import TRANSITIONS, check_transition


@dataclass(frozen=True)
class CallFacts:
    """One call of a ticket as the timeline shows it."""

    server: str
    linkedid: str
    at: datetime | None
    direction: str
    queue: str
    agent: str
    duration_s: float | None
    outcome: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TimelineEntry:
    """A ticket event or a call, in time order."""

    at: datetime | None
    event: TicketEvent | None = None
    call: CallFacts | None = None


def allowed_moves(ticket: Ticket, now: datetime, reopen_days: int) -> list[str]:
    """The statuses the workflow lets this ticket move to now."""
    current = TicketStatus(ticket.status)
    moves = []
    for target in sorted(TRANSITIONS[current]):
        try:
            check_transition(
                current, target, resolved_at=ticket.resolved_at, now=now, reopen_days=reopen_days
            )
        except TransitionRefused:
            continue
        moves.append(str(target))
    return moves


def call_facts(session: Session, ticket: Ticket) -> list[CallFacts]:
    """The ticket's linked calls: the call record's facts when stored, the notes written."""
    facts = []
    for link in ticket.calls:
        record = session.scalar(
            select(Call).where(Call.server == link.server, Call.linkedid == link.linkedid)
        )
        notes = [
            note
            for note in session.scalars(
                select(Interaction.body).where(
                    Interaction.server == link.server,
                    Interaction.linkedid == link.linkedid,
                    Interaction.body.is_not(None),
                )
            )
            if note
        ]
        if record is None:
            facts.append(CallFacts(link.server, link.linkedid, None, "", "", "", None, "", notes))
            continue
        queues = ", ".join(v.queue for v in record.queue_visits)
        duration = record.talk_s
        facts.append(
            CallFacts(
                link.server,
                link.linkedid,
                record.started_at,
                record.direction,
                queues,
                record.agent or "",
                duration,
                record.outcome,
                notes,
            )
        )
    return facts


def ticket_timeline(session: Session, ticket: Ticket) -> list[TimelineEntry]:
    """Events and calls together, oldest first."""
    entries = [TimelineEntry(e.at, event=e) for e in timeline(session, ticket.id)]
    entries += [TimelineEntry(c.at, call=c) for c in call_facts(session, ticket)]
    return sorted(entries, key=lambda e: (e.at is None, e.at.timestamp() if e.at else 0.0))


def customer_of(session: Session, ticket: Ticket) -> Customer | None:
    """The ticket's customer, if it has one."""
    return None if ticket.customer_id is None else session.get(Customer, ticket.customer_id)
