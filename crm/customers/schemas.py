"""Pydantic shapes of customers, their contacts and their phone numbers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from crm.enums import CustomerCategory, CustomerKind
from crm.schemas import Day, Flag, Id, Input, Name, Output, Patch, RawNumber, Short, Text

Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=255, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Country = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2}$")]


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
    importance: Annotated[int, Field(ge=1, le=5, strict=True)] = 3
    email: Email | None = None
    birthday: Day | None = None
    notes: Text | None = None


class ContactCreate(ContactFields):
    name: Name
    phones: Annotated[list[PhoneIn], Field(max_length=20)] = []


class ContactUpdate(Patch):
    NOT_NULL = ("name", "importance")

    name: Name | None = None
    title: Short | None = None
    department: Short | None = None
    importance: Annotated[int, Field(ge=1, le=5, strict=True)] | None = None
    email: Email | None = None
    birthday: Day | None = None
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
    value: Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False, strict=True)] | None = None
    credit_rating: Annotated[str, StringConstraints(max_length=16)] | None = None
    industry: Short | None = None
    parent_id: Id | None = None
    street: Name | None = None
    postal_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    city: Short | None = None
    country: Country | None = None
    email: Email | None = None
    blacklisted: Flag = False
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
    value: Annotated[float, Field(ge=0, le=1e15, allow_inf_nan=False, strict=True)] | None = None
    credit_rating: Annotated[str, StringConstraints(max_length=16)] | None = None
    industry: Short | None = None
    parent_id: Id | None = None
    street: Name | None = None
    postal_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    city: Short | None = None
    country: Country | None = None
    email: Email | None = None
    blacklisted: Flag | None = None
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
