"""Pieces every CRM router shares: paging, id parameters, error documentation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Query

from callcenter.deps import CurrentUser, SessionDep
from callcenter.errors import HTTP_ERRORS, ErrorOut
from crm.access import Editor, editor_of
from crm.schemas import MAX_ID

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@dataclass
class Paging:
    """`limit` and `offset` of a list request."""

    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9, description="rows to skip")] = 0,
) -> Paging:
    """The page asked for."""
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(paging)]


def editor(session: SessionDep, user: CurrentUser) -> Editor:
    """The signed-in user as the CRM's write rules see them."""
    return editor_of(session, user)


EditorDep = Annotated[Editor, Depends(editor)]


ERRORS: dict[int | str, dict[str, Any]] = {
    **HTTP_ERRORS,
    404: {"model": ErrorOut, "description": "unknown id"},
    403: {"model": ErrorOut, "description": "not yours to change (docs/security.md)"},
    409: {"model": ErrorOut, "description": "conflicts with stored data"},
}
