"""Pydantic shapes of the screen-pop card: who owns a number, their tickets and history."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from crm.enums import CustomerCategory, CustomerKind, TicketPriority, TicketStatus
from crm.interactions.schemas import InteractionOut
from crm.schemas import Output


class TicketBrief(Output):
    id: int
    number: str | None
    subject: str
    priority: TicketPriority
    status: TicketStatus
    assignee: str | None
    resolution_due: datetime | None
    escalation_level: int
    updated_at: datetime


class ContactCard(Output):
    id: int
    name: str
    title: str | None
    department: str | None
    importance: int
    email: str | None


class CustomerCard(Output):
    id: int
    name: str
    code: str | None
    kind: CustomerKind
    category: CustomerCategory
    blacklisted: bool
    preferred_agent: str | None
    value: float | None
    credit_rating: str | None


class LookupMatch(BaseModel):
    """One customer the number belongs to, directly or through some of its contacts."""

    customer: CustomerCard
    contacts: list[ContactCard]
    matched_numbers: list[str]
    open_tickets: list[TicketBrief]
    interactions: list[InteractionOut]


class LookupCard(BaseModel):
    """What a screen pop shows for a presented number: every match, or none."""

    number: str
    candidates: list[str]
    matches: list[LookupMatch]
