"""Tickets: creation with SLA due times, workflow moves, timeline, comments, linked calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callcenter.calls.models import Call
from callcenter.db import utc_now
from crm.access import Editor, check_ticket_routing, check_ticket_write
from crm.customers.models import Contact, Customer
from crm.enums import TicketEventKind, TicketStatus
from crm.exceptions import InvalidInput, NotFound
from crm.sla.service import due_times
from crm.tickets.models import Ticket, TicketCall, TicketEvent
from crm.tickets.schemas import CallRef, TicketCreate, TicketUpdate
from crm.tickets.workflow import ACTIVE, RESOLVED, check_transition


def ticket_number(ticket_id: int) -> str:
    """The human-facing number of a ticket."""
    return f"T-{ticket_id:06d}"


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket with `ticket_id`, or NotFound."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound("ticket", ticket_id)
    return ticket


def create_ticket(
    session: Session,
    data: TicketCreate,
    actor: str,
    now: datetime | None = None,
    *,
    editor: Editor | None = None,
) -> Ticket:
    """Open a ticket; due times come from its priority's SLA policy and business hours.

    With `editor` (a person, not the system), who may be assignee and team is checked.
    """
    now = now or utc_now()
    if editor is not None:
        check_ticket_routing(editor, data.assignee, data.team)
    _check_owner(session, data.customer_id, data.contact_id)
    customer_id = data.customer_id
    if customer_id is None and data.contact_id is not None:
        contact = session.get(Contact, data.contact_id)
        customer_id = contact.customer_id if contact is not None else None
    first_due, resolution_due = due_times(session, str(data.priority), now)
    ticket = Ticket(
        subject=data.subject,
        description=data.description,
        type=str(data.type),
        priority=str(data.priority),
        status=str(TicketStatus.NEW),
        customer_id=customer_id,
        contact_id=data.contact_id,
        assignee=data.assignee,
        team=data.team,
        created_at=now,
        updated_at=now,
        first_response_due=first_due,
        resolution_due=resolution_due,
    )
    if data.call is not None:
        ticket.calls.append(TicketCall(server=data.call.server, linkedid=data.call.linkedid))
    session.add(ticket)
    session.flush()
    ticket.number = ticket_number(ticket.id)
    _event(session, ticket, actor, now, TicketEventKind.CREATED, new=str(TicketStatus.NEW))
    session.flush()
    return ticket


def list_tickets(
    session: Session,
    *,
    status: str | None = None,
    priority: str | None = None,
    assignee: str | None = None,
    customer_id: int | None = None,
    breached: bool | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> tuple[list[Ticket], int]:
    """A page of tickets, newest first, and how many match in all."""
    query = select(Ticket)
    if status is not None:
        query = query.where(Ticket.status == status)
    if priority is not None:
        query = query.where(Ticket.priority == priority)
    if assignee is not None:
        query = query.where(Ticket.assignee == assignee)
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    if breached is not None:
        condition = _breached(now or utc_now())
        query = query.where(condition if breached else ~condition)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Ticket.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def _breached(now: datetime) -> ColumnElement[bool]:
    """Tickets flagged by the SLA job, or past a due time the job has not swept yet."""
    active = Ticket.status.in_([str(s) for s in ACTIVE])
    return or_(
        Ticket.first_response_breached.is_(True),
        Ticket.resolution_breached.is_(True),
        and_(
            active,
            Ticket.first_responded_at.is_(None),
            Ticket.first_response_due.is_not(None),
            Ticket.first_response_due < now,
        ),
        and_(active, Ticket.resolution_due.is_not(None), Ticket.resolution_due < now),
    )


def update_ticket(
    session: Session,
    ticket_id: int,
    data: TicketUpdate,
    actor: str,
    now: datetime | None = None,
    *,
    editor: Editor | None = None,
) -> Ticket:
    """Change fields; each change is a timeline entry. A new priority re-plans the SLA."""
    now = now or utc_now()
    ticket = _writable(session, ticket_id, editor)
    changes: dict[str, Any] = {
        k: (str(v) if k in ("type", "priority") else v) for k, v in data.changes().items()
    }
    if editor is not None and ("assignee" in changes or "team" in changes):
        check_ticket_routing(
            editor, changes.get("assignee", ticket.assignee), changes.get("team", ticket.team)
        )
    if "customer_id" in changes or "contact_id" in changes:
        customer_id: int | None = changes.get("customer_id", ticket.customer_id)
        contact_id: int | None = changes.get("contact_id", ticket.contact_id)
        _check_owner(session, customer_id, contact_id)
    for name, value in changes.items():
        old = getattr(ticket, name)
        if old == value:
            continue
        setattr(ticket, name, value)
        _event(
            session,
            ticket,
            actor,
            now,
            TicketEventKind.UPDATED,
            field=name,
            old=None if old is None else str(old)[:255],
            new=None if value is None else str(value)[:255],
        )
        if name == "priority":
            ticket.first_response_due, ticket.resolution_due = due_times(
                session, value, ticket.created_at
            )
    ticket.updated_at = now
    session.flush()
    return ticket


def transition(
    session: Session,
    ticket_id: int,
    target: TicketStatus,
    actor: str,
    *,
    reopen_days: int,
    note: str | None = None,
    now: datetime | None = None,
    editor: Editor | None = None,
) -> Ticket:
    """Move a ticket to `target` or raise TransitionRefused with the reason."""
    now = now or utc_now()
    ticket = _writable(session, ticket_id, editor)
    current = TicketStatus(ticket.status)
    check_transition(
        current, target, resolved_at=ticket.resolved_at, now=now, reopen_days=reopen_days
    )
    reopening = current == RESOLVED and target == TicketStatus.OPEN
    ticket.status = str(target)
    if current == TicketStatus.NEW:
        _first_response(ticket, now)
    if target == TicketStatus.RESOLVED:
        ticket.resolved_at = now
        if ticket.resolution_due is not None and now > ticket.resolution_due:
            ticket.resolution_breached = True
    elif target == TicketStatus.CLOSED:
        ticket.closed_at = now
    elif reopening:
        ticket.resolved_at = None
    kind = TicketEventKind.REOPENED if reopening else TicketEventKind.STATUS_CHANGED
    _event(session, ticket, actor, now, kind, field="status", old=current, new=target, note=note)
    ticket.updated_at = now
    session.flush()
    return ticket


def add_comment(
    session: Session,
    ticket_id: int,
    actor: str,
    body: str,
    *,
    public: bool,
    now: datetime | None = None,
    editor: Editor | None = None,
) -> TicketEvent:
    """A reply (public, counts as first response) or an internal note on the timeline."""
    now = now or utc_now()
    ticket = _writable(session, ticket_id, editor)
    if ticket.status == str(TicketStatus.CLOSED):
        raise InvalidInput("ticket", "a closed ticket takes no more comments")
    if public:
        _first_response(ticket, now)
    event = _event(
        session,
        ticket,
        actor,
        now,
        TicketEventKind.COMMENTED,
        field="public" if public else "internal",
        note=body,
    )
    ticket.updated_at = now
    session.flush()
    return event


def link_call(
    session: Session,
    ticket_id: int,
    call: CallRef,
    actor: str,
    now: datetime | None = None,
    *,
    editor: Editor | None = None,
) -> Ticket:
    """Attach a call to a ticket (linking the same call twice changes nothing)."""
    now = now or utc_now()
    ticket = _writable(session, ticket_id, editor)
    if any(c.server == call.server and c.linkedid == call.linkedid for c in ticket.calls):
        return ticket
    ticket.calls.append(TicketCall(server=call.server, linkedid=call.linkedid))
    _event(
        session,
        ticket,
        actor,
        now,
        TicketEventKind.CALL_LINKED,
        field="call",
        new=f"{call.server}/{call.linkedid}",
    )
    session.flush()
    return ticket


def require_stored_call(session: Session, call: CallRef, field: str = "call") -> None:
    """InvalidInput unless a call record with that server and Linkedid is stored.

    Call records are written when a call ends; the console links the live call on the
    agent's screen, which its desk vouches for, so only API callers need this check.
    """
    found = session.scalar(
        select(Call.id).where(Call.server == call.server, Call.linkedid == call.linkedid)
    )
    if found is None:
        raise InvalidInput(field, f"no stored call {call.server}/{call.linkedid}")


def timeline(session: Session, ticket_id: int) -> list[TicketEvent]:
    """A ticket's events, oldest first."""
    get_ticket(session, ticket_id)
    query = (
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(TicketEvent.at, TicketEvent.id)
    )
    return list(session.scalars(query))


def _writable(session: Session, ticket_id: int, editor: Editor | None) -> Ticket:
    ticket = get_ticket(session, ticket_id)
    if editor is not None:
        check_ticket_write(editor, ticket.assignee, ticket.team)
    return ticket


def _first_response(ticket: Ticket, now: datetime) -> None:
    if ticket.first_responded_at is not None:
        return
    ticket.first_responded_at = now
    if ticket.first_response_due is not None and now > ticket.first_response_due:
        ticket.first_response_breached = True


def _check_owner(session: Session, customer_id: int | None, contact_id: int | None) -> None:
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise InvalidInput("customer_id", f"no customer with id {customer_id}")
    if contact_id is not None:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise InvalidInput("contact_id", f"no contact with id {contact_id}")
        if customer_id is not None and contact.customer_id != customer_id:
            raise InvalidInput("contact_id", f"contact {contact_id} is not at that customer")


def _event(
    session: Session,
    ticket: Ticket,
    actor: str,
    at: datetime,
    kind: TicketEventKind,
    *,
    field: str | None = None,
    old: str | None = None,
    new: str | None = None,
    note: str | None = None,
) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id,
        at=at,
        actor=actor,
        kind=str(kind),
        field=field,
        old_value=None if old is None else str(old),
        new_value=None if new is None else str(new),
        note=note,
    )
    session.add(event)
    return event


@dataclass(frozen=True, slots=True)
class TicketCallLink:
    """One call linked to a ticket (what the quality KPIs read of the CRM)."""

    ticket_id: int
    server: str
    linkedid: str
    opened_at: datetime
    type: str
    resolved_at: datetime | None


def call_links_of_tickets_opened(
    session: Session, start: datetime, end: datetime
) -> list[TicketCallLink]:
    """Every call linked to a ticket opened in [start, end)."""
    rows = session.execute(
        select(
            Ticket.id,
            TicketCall.server,
            TicketCall.linkedid,
            Ticket.created_at,
            Ticket.type,
            Ticket.resolved_at,
        )
        .join(TicketCall, TicketCall.ticket_id == Ticket.id)
        .where(Ticket.created_at >= start, Ticket.created_at < end)
    )
    return [TicketCallLink(*row) for row in rows]


def rename_team(session: Session, old: str, new: str) -> int:
    """Carry tickets from a team's old name to its new one; returns how many moved."""
    rows = list(session.scalars(select(Ticket).where(Ticket.team == old)))
    for ticket in rows:
        ticket.team = new
    session.flush()
    return len(rows)
