"""HTTP routes for tickets: CRUD, workflow moves, comments, linked calls, timeline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from callcenter.deps import SessionDep, SettingsDep
from crm.enums import TicketPriority, TicketStatus
from crm.routing import ERRORS, EditorDep, PagingDep, PathId, QueryId
from crm.schemas import Page
from crm.tickets import service as tickets
from crm.tickets.schemas import (
    CallRef,
    TicketComment,
    TicketCreate,
    TicketDetail,
    TicketEventOut,
    TicketOut,
    TicketTransition,
    TicketUpdate,
)

router = APIRouter(prefix="/tickets", tags=["tickets"], responses=ERRORS)


@router.get("", response_model=Page[TicketOut])
def list_tickets(
    session: SessionDep,
    page: PagingDep,
    status: TicketStatus | None = None,
    priority: TicketPriority | None = None,
    assignee: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
    customer_id: QueryId = None,
    breached: bool | None = None,
) -> Page[TicketOut]:
    """Tickets, newest first, filtered."""
    rows, total = tickets.list_tickets(
        session,
        status=None if status is None else str(status),
        priority=None if priority is None else str(priority),
        assignee=assignee,
        customer_id=customer_id,
        breached=breached,
        limit=page.limit,
        offset=page.offset,
    )
    items = [TicketOut.model_validate(t) for t in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post("", response_model=TicketDetail, status_code=status.HTTP_201_CREATED)
def create_ticket(session: SessionDep, editor: EditorDep, body: TicketCreate) -> TicketDetail:
    """Open a ticket; its SLA due times follow its priority. A linked call must be stored."""
    if body.call is not None:
        tickets.require_stored_call(session, body.call)
    ticket = tickets.create_ticket(session, body, editor.username, editor=editor)
    return _detail(session, ticket.id)


@router.get("/{ticket_id}", response_model=TicketDetail)
def get_ticket(session: SessionDep, ticket_id: PathId) -> TicketDetail:
    """One ticket with its timeline."""
    return _detail(session, ticket_id)


@router.patch("/{ticket_id}", response_model=TicketDetail)
def update_ticket(
    session: SessionDep, editor: EditorDep, ticket_id: PathId, body: TicketUpdate
) -> TicketDetail:
    """Change fields (each change is a timeline entry)."""
    tickets.update_ticket(session, ticket_id, body, editor.username, editor=editor)
    return _detail(session, ticket_id)


@router.post(
    "/{ticket_id}/transitions",
    response_model=TicketDetail,
    responses={
        409: {**ERRORS[409], "description": "the workflow refuses this move; the detail says why"}
    },
)
def move_ticket(
    session: SessionDep,
    settings: SettingsDep,
    editor: EditorDep,
    ticket_id: PathId,
    body: TicketTransition,
) -> TicketDetail:
    """Move a ticket along the workflow (new, open, pending, resolved, closed)."""
    tickets.transition(
        session,
        ticket_id,
        body.status,
        editor.username,
        reopen_days=settings.ticket_reopen_days,
        note=body.note,
        editor=editor,
    )
    return _detail(session, ticket_id)


@router.post(
    "/{ticket_id}/comments", response_model=TicketEventOut, status_code=status.HTTP_201_CREATED
)
def comment(
    session: SessionDep, editor: EditorDep, ticket_id: PathId, body: TicketComment
) -> TicketEventOut:
    """A reply (public) or an internal note."""
    event = tickets.add_comment(
        session, ticket_id, editor.username, body.body, public=body.public, editor=editor
    )
    return TicketEventOut.model_validate(event)


@router.post("/{ticket_id}/calls", response_model=TicketDetail)
def link_call(
    session: SessionDep, editor: EditorDep, ticket_id: PathId, body: CallRef
) -> TicketDetail:
    """Attach a stored call (by server and linkedid) to a ticket."""
    tickets.require_stored_call(session, body)
    tickets.link_call(session, ticket_id, body, editor.username, editor=editor)
    return _detail(session, ticket_id)


@router.get("/{ticket_id}/events", response_model=list[TicketEventOut])
def ticket_timeline(session: SessionDep, ticket_id: PathId) -> list[TicketEventOut]:
    """A ticket's timeline, oldest first."""
    return [TicketEventOut.model_validate(e) for e in tickets.timeline(session, ticket_id)]


def _detail(session: SessionDep, ticket_id: int) -> TicketDetail:
    ticket = tickets.get_ticket(session, ticket_id)
    events = tickets.timeline(session, ticket_id)
    base = TicketOut.model_validate(ticket).model_dump()
    return TicketDetail(**base, events=[TicketEventOut.model_validate(e) for e in events])
