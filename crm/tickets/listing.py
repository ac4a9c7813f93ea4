"""The service desk's ticket lists: mine, my team's, unassigned, breaching soon; search, sort."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callcenter.db import utc_now
from crm.access import Editor
from crm.tickets.models import Ticket
from crm.tickets.workflow import ACTIVE

# "Breaching soon": an active ticket whose next due time falls within this window (or passed).
BREACH_WINDOW = timedelta(hours=4)


class TicketView(StrEnum):
    """Which tickets a desk list shows."""

    MINE = "mine"
    TEAM = "team"
    UNASSIGNED = "unassigned"
    BREACHING = "breaching"
    ALL = "all"


class TicketSort(StrEnum):
    """The columns a desk list sorts by."""

    NUMBER = "number"
    UPDATED = "updated"
    DUE = "due"
    PRIORITY = "priority"
    STATUS = "status"


@dataclass(frozen=True)
class TicketQuery:
    """What a desk list asks for; pages count from 1."""

    view: TicketView = TicketView.MINE
    status: str | None = None
    priority: str | None = None
    text: str = ""
    sort: TicketSort = TicketSort.UPDATED
    descending: bool = True
    page: int = 1
    per_page: int = 25


def next_due(ticket: Ticket) -> datetime | None:
    """The due time the ticket must meet next: first response until answered, then resolution."""
    if ticket.status not in {str(s) for s in ACTIVE}:
        return None
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        return ticket.first_response_due
    return ticket.resolution_due


def desk_tickets(
    session: Session, editor: Editor, query: TicketQuery, now: datetime | None = None
) -> tuple[list[Ticket], int]:
    """One page of the list `query` asks for, and how many tickets it holds in all."""
    now = now or utc_now()
    statement = _filtered(select(Ticket), editor, query, now)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    order = _order(query)
    rows = session.scalars(
        statement.order_by(*order)
        .limit(query.per_page)
        .offset((max(query.page, 1) - 1) * query.per_page)
    )
    return list(rows), total


def _filtered(
    statement: Select[Any], editor: Editor, query: TicketQuery, now: datetime
) -> Select[Any]:
    view = _view(editor, query.view, now)
    if view is not None:
        statement = statement.where(view)
    if query.status:
        statement = statement.where(Ticket.status == query.status)
    if query.priority:
        statement = statement.where(Ticket.priority == query.priority)
    text = query.text.strip()
    if text:
        pattern = f"%{text.lower()}%"
        statement = statement.where(
            or_(
                func.lower(Ticket.subject).like(pattern),
                func.lower(Ticket.number).like(pattern),
                func.lower(func.coalesce(Ticket.description, "")).like(pattern),
            )
        )
    return statement


def _view(editor: Editor, view: TicketView, now: datetime) -> ColumnElement[bool] | None:
    if view == TicketView.MINE:
        return Ticket.assignee == editor.username
    if view == TicketView.TEAM:
        mates = Ticket.assignee.in_(sorted(editor.teammates))
        return mates if editor.team is None else or_(Ticket.team == editor.team, mates)
    if view == TicketView.UNASSIGNED:
        return Ticket.assignee.is_(None)
    if view == TicketView.BREACHING:
        return Ticket.status.in_([str(s) for s in ACTIVE]) & (_due_column() < now + BREACH_WINDOW)
    return None


def _due_column() -> ColumnElement[datetime]:
    """The next due time in SQL, as `next_due` reads it in Python."""
    return case(
        (
            Ticket.first_responded_at.is_(None) & Ticket.first_response_due.is_not(None),
            Ticket.first_response_due,
        ),
        else_=Ticket.resolution_due,
    )


_PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def _order(query: TicketQuery) -> list[Any]:
    column: Any
    if query.sort == TicketSort.NUMBER:
        column = Ticket.id
    elif query.sort == TicketSort.DUE:
        column = _due_column()
    elif query.sort == TicketSort.PRIORITY:
        # Most urgent first when descending.
        column = case(_PRIORITY_RANK, value=Ticket.priority, else_=9) * -1
    elif query.sort == TicketSort.STATUS:
        column = Ticket.status
    else:
        column = Ticket.updated_at
    direction = column.desc() if query.descending else column.asc()
    if query.sort == TicketSort.DUE:
        # Tickets with no due time go last either way.
        return [column.is_(None), direction, Ticket.id.desc()]
    return [direction, Ticket.id.desc()]
