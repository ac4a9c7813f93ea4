"""HTTP routes for knowledge-base articles: list and search, create, read, change, remove."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from callcenter.deps import SUPERVISOR_OR_ADMIN, SessionDep
from crm.kb import service as kb
from crm.kb.schemas import KBArticleIn, KBArticleOut, KBArticleUpdate
from crm.routing import ERRORS, PagingDep, PathId
from crm.schemas import Page

router = APIRouter(responses=ERRORS)


@router.get("/kb", tags=["knowledge base"], response_model=Page[KBArticleOut])
def list_articles(
    session: SessionDep,
    page: PagingDep,
    q: Annotated[str | None, Query(min_length=1, max_length=200, description="search")] = None,
) -> Page[KBArticleOut]:
    """Articles, newest first; `q` searches title, problem, solution and tags (best first)."""
    if q is None:
        rows, total = kb.list_articles(session, limit=page.limit, offset=page.offset)
    else:
        found = kb.search_kb(session, q, limit=page.offset + page.limit)
        rows, total = found[page.offset :], len(found)
    items = [KBArticleOut.model_validate(a) for a in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/kb", tags=["knowledge base"], response_model=KBArticleOut, status_code=status.HTTP_201_CREATED
)
def create_article(session: SessionDep, body: KBArticleIn) -> KBArticleOut:
    """A new article."""
    return KBArticleOut.model_validate(kb.create_article(session, body))


@router.get("/kb/{article_id}", tags=["knowledge base"], response_model=KBArticleOut)
def get_article(session: SessionDep, article_id: PathId) -> KBArticleOut:
    """One article."""
    return KBArticleOut.model_validate(kb.get_article(session, article_id))


@router.patch("/kb/{article_id}", tags=["knowledge base"], response_model=KBArticleOut)
def update_article(session: SessionDep, article_id: PathId, body: KBArticleUpdate) -> KBArticleOut:
    """Change the fields sent."""
    return KBArticleOut.model_validate(kb.update_article(session, article_id, body))


@router.delete(
    "/kb/{article_id}",
    tags=["knowledge base"],
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def delete_article(session: SessionDep, article_id: PathId) -> None:
    """Remove an article."""
    kb.delete_article(session, article_id)
