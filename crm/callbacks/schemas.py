"""Pydantic shapes of callbacks: requests, changes, attempts, cancellations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, model_validator

from callcenter.campaigns.models import Lead
from crm.callbacks.states import origin_of, status_of
from crm.enums import CallbackOrigin, CallbackStatus
from crm.schemas import Flag, Id, Input, Output, Patch, RawNumber, Text, iso_text

# A callback is promised for the coming days or weeks; one already overdue rings first. Past a
# year either way the date is a typo (or an attack: year 1 or 9999 with an offset does not even
# exist in UTC), and it would sit at the top or bottom of every list for good.
DUE_WINDOW = timedelta(days=366)


def _plausible_due_time(value: datetime) -> datetime:
    """`value` in UTC when it lies within a year of now; ValueError with a sentence otherwise."""
    try:
        due = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("due time is out of range: give a date within a year of today") from None
    now = datetime.now(UTC)
    if not now - DUE_WINDOW <= due <= now + DUE_WINDOW:
        raise ValueError("due time must lie within a year of today")
    return value


DueTime = Annotated[AwareDatetime, BeforeValidator(iso_text), AfterValidator(_plausible_due_time)]


class CallbackCreate(Input):
    number: RawNumber
    customer_id: Id | None = None
    contact_id: Id | None = None
    due_at: DueTime | None = None
    note: Text | None = None


class CallbackUpdate(Patch):
    NOT_NULL = ("due_at",)

    due_at: DueTime | None = None
    note: Text | None = None


class CallbackAttempt(Input):
    """One try at calling back; `reached` closes the callback."""

    reached: Flag
    note: Text | None = None


class CallbackCancel(Input):
    note: Text | None = None


class CallbackOut(Output):
    """A callback as clients see it: a lead of the callback campaign, in a callback's words."""

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
    owner: str | None
    note: str | None
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None

    @model_validator(mode="before")
    @classmethod
    def _from_lead(cls, data: Any) -> Any:
        if not isinstance(data, Lead):
            return data
        return {
            **{name: getattr(data, name) for name in _LEAD_FIELDS},
            "status": status_of(data.state),
            "origin": origin_of(data.origin),
        }


# What a callback shows of its lead as it is (status and origin are read, not copied).
_LEAD_FIELDS = [
    "id",
    "number",
    "customer_id",
    "contact_id",
    "due_at",
    "attempts",
    "last_attempt_at",
    "server",
    "linkedid",
    "queue",
    "owner",
    "note",
    "created_at",
    "closed_at",
    "closed_by",
]
