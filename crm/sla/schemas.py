"""Pydantic shapes of SLA policies, business hours and escalations."""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from crm.enums import TicketPriority
from crm.schemas import Day, Flag, Id, Input, Key, Output, Short
from crm.sla.business_hours import zone

Minutes = Annotated[int, Field(strict=True, ge=1, le=10 * 366 * 24 * 60)]


class SlotIn(Input):
    weekday: Annotated[int, Field(ge=0, le=6, strict=True)]
    opens: time
    closes: time


class HolidayIn(Input):
    day: Day
    name: Short | None = None


class BusinessHoursIn(Input):
    name: Short
    timezone: Key
    is_default: Flag = False
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


class Escalation(BaseModel):
    """A ticket the SLA job escalated, and why."""

    ticket_id: int
    number: str | None
    level: int
    reason: str
