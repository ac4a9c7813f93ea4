"""Pydantic shapes of callbacks: requests, changes, attempts, cancellations."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime

from crm.enums import CallbackOrigin, CallbackStatus
from crm.schemas import Id, Input, Output, Patch, RawNumber, Text


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
