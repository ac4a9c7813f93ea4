"""The admin's knowledge-base pages: the articles agents find from the console, written,
changed and removed here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from agent_ui.admin.access import AdminPage
from agent_ui.admin.forms import FieldError, Token, check_csrf, redirect
from agent_ui.admin.render import templates
from callcenter.deps import SessionDep, SignedInUser
from crm.exceptions import NotFound
from crm.kb.models import KBArticle
from crm.kb.schemas import KBArticleIn, KBArticleUpdate
from crm.kb.service import (
    create_article,
    delete_article,
    get_article,
    list_articles,
    search_kb,
    update_article,
)

router = APIRouter(prefix="/admin", include_in_schema=False)

Body = Annotated[str, Form(max_length=25_000)]
LISTED = 200


@router.get("/kb", response_class=HTMLResponse)
def article_list(
    request: Request,
    user: AdminPage,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The articles, newest first, or those matching a search (best first)."""
    text = q.strip()
    if text:
        articles, total = search_kb(session, text, limit=LISTED), None
    else:
        articles, total = list_articles(session, limit=LISTED, offset=0)
    context = {"user": user, "articles": articles, "q": text, "total": total}
    return templates.TemplateResponse(request, "admin_kb.html", context)


@router.get("/kb/new", response_class=HTMLResponse)
def new_article_page(request: Request, user: AdminPage) -> Response:
    """An empty article to write."""
    return _render_article(request, user, None)


@router.post("/kb", response_class=HTMLResponse)
def add_article(
    request: Request,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    title: Body = "",
    problem: Body = "",
    solution: Body = "",
    tags: Body = "",
) -> Response:
    """A new article; agents find it from the console's search at once."""
    check_csrf(user, csrf_token)
    typed = {"title": title, "problem": problem, "solution": solution, "tags": tags}
    try:
        data = KBArticleIn.model_validate({**typed, "tags": _tags(tags)})
    except ValidationError as exc:
        return _render_article(request, user, None, _field_error(exc), typed)
    article = create_article(session, data)
    return redirect(f"/admin/kb/{article.id}")


@router.get("/kb/{article_id}", response_class=HTMLResponse)
def article_page(
    request: Request, article_id: int, user: AdminPage, session: SessionDep
) -> Response:
    """One article to change or remove."""
    return _render_article(request, user, _find(session, article_id))


@router.post("/kb/{article_id}", response_class=HTMLResponse)
def edit_article(
    request: Request,
    article_id: int,
    user: AdminPage,
    session: SessionDep,
    csrf_token: Token = "",
    title: Body = "",
    problem: Body = "",
    solution: Body = "",
    tags: Body = "",
) -> Response:
    """Change the article's text and tags."""
    check_csrf(user, csrf_token)
    article = _find(session, article_id)
    typed = {"title": title, "problem": problem, "solution": solution, "tags": tags}
    try:
        data = KBArticleUpdate.model_validate({**typed, "tags": _tags(tags)})
    except ValidationError as exc:
        return _render_article(request, user, article, _field_error(exc), typed)
    update_article(session, article_id, data)
    return redirect(f"/admin/kb/{article_id}")


@router.post("/kb/{article_id}/delete", response_class=HTMLResponse)
def remove_article(
    article_id: int, user: AdminPage, session: SessionDep, csrf_token: Token = ""
) -> Response:
    """Remove the article."""
    check_csrf(user, csrf_token)
    _find(session, article_id)
    delete_article(session, article_id)
    return redirect("/admin/kb")


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def _field_error(exc: ValidationError) -> FieldError:
    first = exc.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "title"
    return FieldError(field, f"{field}: {first['msg']}")


def _find(session: Session, article_id: int) -> KBArticle:
    try:
        return get_article(session, article_id)
    except NotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


def _render_article(
    request: Request,
    user: SignedInUser,
    article: KBArticle | None,
    error: FieldError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    shown = typed or {
        "title": article.title if article else "",
        "problem": article.problem if article else "",
        "solution": article.solution if article else "",
        "tags": article.tags if article else "",
    }
    context: dict[str, Any] = {
        "user": user,
        "article": article,
        "shown": shown,
        "error": error.as_context() if error else {},
    }
    code = status.HTTP_422_UNPROCESSABLE_CONTENT if error else status.HTTP_200_OK
    return templates.TemplateResponse(request, "admin_article.html", context, status_code=code)
