"""Pydantic shapes of tickets, their timeline, SLA policies, business hours, KB and callbacks."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, field_validator

from crm.business_hours import zone
from crm.enums import (
    CallbackOrigin,
    CallbackStatus,
    TicketEventKind,
    TicketPriority,
    TicketStatus,
    TicketType,
)
from crm.schemas import Id, Input, Name, Output, Patch, RawNumber, Short, Text

Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Minutes = Annotated[int, Field(ge=1, le=10 * 366 * 24 * 60)]


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
    public: bool = True


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


class SlotIn(Input):
    weekday: Annotated[int, Field(ge=0, le=6)]
    opens: time
    closes: time


class HolidayIn(Input):
    day: date
    name: Short | None = None


class BusinessHoursIn(Input):
    name: Short
    timezone: Key
    is_default: bool = False
    slots: Annotated[list[SlotIn], Field(min_length=1, max_length=70)]
    holidays: Annotated[list[HolidayIn], Field(max_length=1000)] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value


class SlotOut(Output):
    weekday: int
    opens: time
    closes: time


class HolidayOut(Output):
    day: date
    name: str | None


class BusinessHoursOut(Output):
    id: int
    name: str
    timezone: str
    is_default: bool
    slots: list[SlotOut]
    holidays: list[HolidayOut]


class SLAPolicyIn(Input):
    first_response_minutes: Minutes
    resolution_minutes: Minutes
    business_hours_id: Id | None = None


class SLAPolicyOut(Output):
    id: int
    priority: TicketPriority
    first_response_minutes: int
    resolution_minutes: int
    business_hours_id: int | None


Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^,]+$")
]


class KBArticleIn(Input):
    title: Name
    problem: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    solution: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    tags: Annotated[list[Tag], Field(max_length=20)] = []


class KBArticleUpdate(Patch):
    NOT_NULL = ("title", "problem", "solution", "tags")

    title: Name | None = None
    problem: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] | None = None
    solution: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None


class KBArticleOut(Output):
    id: int
    title: str
    problem: str
    solution: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime

    @field_validator("tags", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [tag.strip() for tag in value.split(",") if tag.strip()]
        return value


class CallbackCreate(Input):
    number: RawNumber
    customer_id: Id | None = None
    contact_id: Id | None = None
    due_at: AwareDatetime | None = None
    note: Text | None = None


class CallbackUpdate(Patch):
    NOT_NULL = ("due_at",)

    due_at: AwareDatetime | None = None
    note: Text | None = None


class CallbackAttempt(Input):
    """One try at calling back; `reached` closes the callback."""

    reached: bool
    note: Text | None = None


class CallbackCancel(Input):
    note: Text | None = None


class CallbackOut(Output):
    id: int
    number: str
    customer_id: int | None
    contact_id: int | None
    due_at: datetime
    attempts: int
    last_attempt_at: datetime | None
    status: CallbackStatus
    origin: CallbackOrigin
    server: str | None
    linkedid: str | None
    queue: str | None
    note: str | None
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None


class Escalation(BaseModel):
    """A ticket the SLA job escalated, and why."""

    ticket_id: int
    number: str | None
    level: int
    reason: str
