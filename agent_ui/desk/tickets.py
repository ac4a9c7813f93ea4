"""The desk's ticket pages: the lists, one ticket, and its forms (comment, move, edit)."""

from __future__ import annotations

from enum import StrEnum
from math import ceil
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from agent_ui.desk.forms import check_csrf
from agent_ui.desk.render import templates
from agent_ui.desk.ticket_view import allowed_moves, customer_of, ticket_timeline
from callcenter.db import utc_now
from callcenter.deps import PageUser, SessionDep, SettingsDep, SignedInUser
from crm.access import editor_of, may_change_ticket
from crm.enums import TicketPriority, TicketStatus
from crm.exceptions import CrmError, InvalidInput
from crm.tickets.listing import TicketQuery, TicketSort, TicketView, desk_tickets, next_due
from crm.tickets.schemas import TicketComment, TicketUpdate
from crm.tickets.service import add_comment, get_ticket, transition, update_ticket

router = APIRouter(prefix="/desk", include_in_schema=False)

Token = Annotated[str, Form(max_length=128)]
PER_PAGE = 25


@router.get("/tickets", response_class=HTMLResponse)
def ticket_list(
    request: Request,
    user: PageUser,
    session: SessionDep,
    view: TicketView = TicketView.MINE,
    status_: Annotated[str, Query(alias="status", max_length=16)] = "",
    priority: Annotated[str, Query(max_length=16)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    sort: TicketSort = TicketSort.UPDATED,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Mine, my team's, unassigned or breaching soon; filtered, searched, sorted, paged."""
    query = TicketQuery(
        view=view,
        status=_choice(status_, TicketStatus, "status"),
        priority=_choice(priority, TicketPriority, "priority"),
        text=q,
        sort=sort,
        descending=order == "desc",
        page=page,
        per_page=PER_PAGE,
    )
    rows, total = desk_tickets(session, editor_of(session, user), query)
    context: dict[str, Any] = {
        "user": user,
        "query": query,
        "rows": [(t, next_due(t)) for t in rows],
        "total": total,
        "pages": max(ceil(total / PER_PAGE), 1),
        "views": list(TicketView),
        "statuses": [str(s) for s in TicketStatus],
        "priorities": [str(p) for p in TicketPriority],
        "sorts": list(TicketSort),
        "params": dict(request.query_params),
    }
    return templates.TemplateResponse(request, "desk_tickets.html", context)


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(
    request: Request, ticket_id: int, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """One ticket: its timeline with calls, comments, workflow moves, assignee, priority, SLA."""
    return _render(request, user, session, settings, ticket_id)


@router.post("/tickets/{ticket_id}/comments", response_class=HTMLResponse)
def comment(
    request: Request,
    ticket_id: int,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
    body: Annotated[str, Form(max_length=20_000)] = "",
    internal: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Add a reply (or an internal note with the box ticked) to the timeline."""
    check_csrf(user, csrf_token)
    try:
        data = TicketComment(body=body, public=not internal)
        add_comment(
            session,
            ticket_id,
            user.username,
            data.body,
            public=data.public,
            editor=editor_of(session, user),
        )
    except ValidationError:
        error = {"field": "body", "message": "write something to add a comment"}
        return _render(request, user, session, settings, ticket_id, error, 422)
    except CrmError as exc:
        session.rollback()
        return _refused(request, user, session, settings, ticket_id, exc, "body")
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}/status", response_class=HTMLResponse)
def move(
    request: Request,
    ticket_id: int,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
    target: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Move the ticket along the workflow."""
    check_csrf(user, csrf_token)
    try:
        goal = TicketStatus(target)
        transition(
            session,
            ticket_id,
            goal,
            user.username,
            reopen_days=settings.ticket_reopen_days,
            editor=editor_of(session, user),
        )
    except ValueError:
        error = {"field": "status", "message": f"{target!r} is not a status"}
        return _render(request, user, session, settings, ticket_id, error, 422)
    except CrmError as exc:
        session.rollback()
        return _refused(request, user, session, settings, ticket_id, exc, "status")
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}", response_class=HTMLResponse)
def edit(
    request: Request,
    ticket_id: int,
    user: PageUser,
    session: SessionDep,
    settings: SettingsDep,
    csrf_token: Token = "",
    assignee: Annotated[str, Form(max_length=200)] = "",
    priority: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Change the assignee and priority (an empty assignee gives the ticket up)."""
    check_csrf(user, csrf_token)
    ticket = get_ticket(session, ticket_id)
    changes: dict[str, Any] = {}
    if (assignee.strip() or None) != ticket.assignee:
        changes["assignee"] = assignee.strip() or None
    if priority and priority != ticket.priority:
        changes["priority"] = priority
    if not changes:
        return _back(ticket_id)
    try:
        data = TicketUpdate.model_validate(changes)
        update_ticket(session, ticket_id, data, user.username, editor=editor_of(session, user))
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else "priority"
        error = {"field": field, "message": f"{field}: {exc.errors()[0]['msg']}"}
        return _render(request, user, session, settings, ticket_id, error, 422)
    except CrmError as exc:
        session.rollback()
        return _refused(request, user, session, settings, ticket_id, exc, "assignee")
    return _back(ticket_id)


def _choice(value: str, allowed: type[StrEnum], name: str) -> str | None:
    """A filter's value: '' for any, else one of `allowed` (a 422 names the others)."""
    if not value:
        return None
    if value not in {str(a) for a in allowed}:
        choices = ", ".join(str(a) for a in allowed)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{name}: one of {choices}")
    return value


def _back(ticket_id: int) -> RedirectResponse:
    return RedirectResponse(f"/desk/tickets/{ticket_id}", status_code=status.HTTP_303_SEE_OTHER)


def _refused(
    request: Request,
    user: SignedInUser,
    session: SessionDep,
    settings: SettingsDep,
    ticket_id: int,
    exc: CrmError,
    field: str,
) -> Response:
    if exc.status_code == status.HTTP_404_NOT_FOUND:
        raise exc
    named = exc.field if isinstance(exc, InvalidInput) else field
    error = {"field": named, "message": str(exc)}
    return _render(request, user, session, settings, ticket_id, error, exc.status_code)


def _render(
    request: Request,
    user: SignedInUser,
    session: SessionDep,
    settings: SettingsDep,
    ticket_id: int,
    error: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    ticket = get_ticket(session, ticket_id)
    editor = editor_of(session, user)
    now = utc_now()
    context: dict[str, Any] = {
        "user": user,
        "ticket": ticket,
        "customer": customer_of(session, ticket),
        "timeline": ticket_timeline(session, ticket),
        "moves": allowed_moves(ticket, now, settings.ticket_reopen_days),
        "may_edit": may_change_ticket(editor, ticket.assignee, ticket.team),
        "teammates": sorted(editor.teammates) if not editor.is_admin else [],
        "priorities": [str(p) for p in TicketPriority],
        "due": next_due(ticket),
        "now": now,
        "error": error or {},
    }
    return templates.TemplateResponse(request, "desk_ticket.html", context, status_code=status_code)
