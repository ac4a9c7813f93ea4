"""Pydantic shapes of the contact history."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime

from crm.enums import InteractionKind
from crm.schemas import Id, Input, Name, Output, RawNumber, Text


class InteractionCreate(Input):
    """A history entry an agent writes by hand (calls are written from the PBX's records)."""

    kind: InteractionKind
    occurred_at: AwareDatetime | None = None
    contact_id: Id | None = None
    ticket_id: Id | None = None
    subject: Name | None = None
    body: Text | None = None
    number: RawNumber | None = None


class InteractionOut(Output):
    id: int
    kind: InteractionKind
    customer_id: int | None
    contact_id: int | None
    occurred_at: datetime
    number: str | None
    subject: str | None
    body: str | None
    agent: str | None
    server: str | None
    linkedid: str | None
    queue: str | None
    outcome: str | None
    answered: bool
    duration_s: float | None
    ticket_id: int | None
