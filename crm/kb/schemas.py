"""Pydantic shapes of knowledge-base articles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from crm.schemas import Input, Name, Output, Patch

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
