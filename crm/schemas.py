"""Pydantic shapes of customers, contacts, numbers, history and the screen-pop card."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from crm.enums import CustomerCategory, CustomerKind, InteractionKind, TicketPriority, TicketStatus

# Ids beyond 63 bits cannot be stored by any backend; refusing them keeps them out of SQL.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Text = Annotated[str, StringConstraints(max_length=20_000)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Country = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2}$")]
RawNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

T = TypeVar("T")


class Input(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Patch(Input):
    """Base of partial updates: fields left out stay as they are; some may not be null."""

    NOT_NULL: ClassVar[tuple[str, ...]] = ()

    @field_validator("*")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        # Runs only for fields the client sent, so leaving one out is still allowed.
        if value is None and info.field_name in cls.NOT_NULL:
            raise ValueError("may be left out, but cannot be null")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the client actually sent."""
        return self.model_dump(exclude_unset=True)


class Output(BaseModel):
    """Base of responses, read from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total for pagination."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PhoneIn(Input):
    number: RawNumber
    label: Annotated[str, StringConstraints(max_length=32)] | None = None


class PhoneOut(Output):
    id: int
    e164: str
    raw: str
    label: str | None


class ContactFields(Input):
    title: Short | None = None
    department: Short | None = None
    importance: Annotated[int, Field(ge=1, le=5)] = 3
    email: Email | None = None
    birthday: date | None = None
    notes: Text | None = None


class ContactCreate(ContactFields):
    name: Name
    phones: Annotated[list[PhoneIn], Field(max_length=20)] = []


class ContactUpdate(Patch):
    NOT_NULL = ("name", "importance")

    name: Name | None = None
    title: Short | None = None
    department: Short | None = None
    importance: Annotated[int, Field(ge=1, le=5)] | None = None
    email: Email | None = None
    birthday: date | None = None
    notes: Text | None = None


class ContactOut(Output):
    id: int
    customer_id: int
    name: str
    title: str | None
    department: str | None
    importance: int
    email: str | None
    birthday: date | None
    notes: str | None
    phones: list[PhoneOut]


class CustomerFields(Input):
    kind: CustomerKind = CustomerKind.COMPANY
    code: Short | None = None
    category: CustomerCategory = CustomerCategory.REGULAR
    value: Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False)] | None = None
    credit_rating: Annotated[str, StringConstraints(max_length=16)] | None = None
    industry: Short | None = None
    parent_id: Id | None = None
    street: Name | None = None
    postal_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    city: Short | None = None
    country: Country | None = None
    email: Email | None = None
    blacklisted: bool = False
    preferred_agent: Short | None = None
    notes: Text | None = None


class CustomerCreate(CustomerFields):
    name: Name
    phones: Annotated[list[PhoneIn], Field(max_length=20)] = []
    contacts: Annotated[list[ContactCreate], Field(max_length=50)] = []


class CustomerUpdate(Patch):
    NOT_NULL = ("name", "kind", "category", "blacklisted")

    name: Name | None = None
    kind: CustomerKind | None = None
    code: Short | None = None
    category: CustomerCategory | None = None
    value: Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False)] | None = None
    credit_rating: Annotated[str, StringConstraints(max_length=16)] | None = None
    industry: Short | None = None
    parent_id: Id | None = None
    street: Name | None = None
    postal_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    city: Short | None = None
    country: Country | None = None
    email: Email | None = None
    blacklisted: bool | None = None
    preferred_agent: Short | None = None
    notes: Text | None = None


class CustomerOut(Output):
    id: int
    kind: CustomerKind
    code: str | None
    name: str
    category: CustomerCategory
    value: float | None
    credit_rating: str | None
    industry: str | None
    parent_id: int | None
    street: str | None
    postal_code: str | None
    city: str | None
    country: str | None
    email: str | None
    blacklisted: bool
    preferred_agent: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime
    phones: list[PhoneOut]
    contacts: list[ContactOut]


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


class TicketBrief(Output):
    id: int
    number: str | None
    subject: str
    priority: TicketPriority
    status: TicketStatus
    assignee: str | None
    resolution_due: datetime | None
    escalation_level: int


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
