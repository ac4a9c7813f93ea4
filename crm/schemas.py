"""Pydantic bases and field types every CRM shape shares: inputs, patches, outputs, pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

# Ids beyond 63 bits cannot be stored by any backend; refusing them keeps them out of SQL.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID, strict=True)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]
Text = Annotated[str, StringConstraints(max_length=20_000)]
RawNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
# JSON true or false only: "yes", 1 or "0" are not what the document promises.
Flag = Annotated[bool, Field(strict=True)]


def iso_text(value: Any) -> Any:
    """Dates and times come as ISO 8601 text, never as a number of seconds."""
    if isinstance(value, int | float):
        raise ValueError("give an ISO 8601 date or date-time as text")
    return value


Day = Annotated[date, BeforeValidator(iso_text)]

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
