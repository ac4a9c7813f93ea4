"""Pydantic shapes of tickets, their workflow moves, comments, linked calls and timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from crm.enums import TicketEventKind, TicketPriority, TicketStatus, TicketType
from crm.schemas import Flag, Id, Input, Key, Name, Output, Patch, Short, Text


class CallRef(Input):
    """A call record's key: the PBX's name and the call's Linkedid."""

    server: Key
    linkedid: Key


class TicketCreate(Input):
    subject: Name
    description: Text | None = None
    type: TicketType = TicketType.INCIDENT
    priority: TicketPriority = TicketPriority.NORMAL
    customer_id: Id | None = None
    contact_id: Id | None = None
    assignee: Short | None = None
    team: Short | None = None
    call: CallRef | None = None


class TicketUpdate(Patch):
    NOT_NULL = ("subject", "type", "priority")

    subject: Name | None = None
    description: Text | None = None
    type: TicketType | None = None
    priority: TicketPriority | None = None
    customer_id: Id | None = None
    contact_id: Id | None = None
    assignee: Short | None = None
    team: Short | None = None


class TicketTransition(Input):
    status: TicketStatus
    note: Text | None = None


class TicketComment(Input):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    # A reply the customer sees counts as the first response; an internal note does not.
    public: Flag = True


class TicketCallOut(Output):
    server: str
    linkedid: str


class TicketOut(Output):
    id: int
    number: str | None
    subject: str
    description: str | None
    type: TicketType
    priority: TicketPriority
    status: TicketStatus
    customer_id: int | None
    contact_id: int | None
    assignee: str | None
    team: str | None
    created_at: datetime
    updated_at: datetime
    first_response_due: datetime | None
    first_responded_at: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    first_response_breached: bool
    resolution_breached: bool
    escalation_level: int
    calls: list[TicketCallOut]


class TicketEventOut(Output):
    id: int
    at: datetime
    actor: str
    kind: TicketEventKind
    field: str | None
    old_value: str | None
    new_value: str | None
    note: str | None


class TicketDetail(TicketOut):
    events: list[TicketEventOut]
