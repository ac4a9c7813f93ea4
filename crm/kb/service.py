"""Knowledge-base articles: known problems, their solutions, search; flushes, never commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.exceptions import NotFound
from crm.kb.models import KBArticle
from crm.kb.schemas import KBArticleIn, KBArticleUpdate
from crm.search import search_ids


def get_article(session: Session, article_id: int) -> KBArticle:
    """The article with `article_id`, or NotFound."""
    article = session.get(KBArticle, article_id)
    if article is None:
        raise NotFound("KB article", article_id)
    return article


def list_articles(session: Session, *, limit: int, offset: int) -> tuple[list[KBArticle], int]:
    """A page of articles, newest first."""
    total = session.scalar(select(func.count()).select_from(KBArticle)) or 0
    rows = session.scalars(
        select(KBArticle).order_by(KBArticle.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def create_article(session: Session, data: KBArticleIn) -> KBArticle:
    """A new article."""
    article = KBArticle(
        title=data.title, problem=data.problem, solution=data.solution, tags=_tags(data.tags)
    )
    session.add(article)
    session.flush()
    return article


def update_article(session: Session, article_id: int, data: KBArticleUpdate) -> KBArticle:
    """Apply the fields the client sent."""
    article = get_article(session, article_id)
    for name, value in data.changes().items():
        setattr(article, name, _tags(value) if name == "tags" else value)
    session.flush()
    return article


def delete_article(session: Session, article_id: int) -> None:
    """Remove an article."""
    session.delete(get_article(session, article_id))
    session.flush()


def search_kb(session: Session, query: str, limit: int = 20) -> list[KBArticle]:
    """KB articles matching `query` in title, problem, solution or tags, best first."""
    ordered = search_ids(session, "kb", query, limit)
    if not ordered:
        return []
    rows = {a.id: a for a in session.scalars(select(KBArticle).where(KBArticle.id.in_(ordered)))}
    return [rows[i] for i in ordered if i in rows]


def _tags(tags: list[str]) -> str:
    # Stored comma-separated: tags may contain spaces ("password reset") but never commas.
    return ", ".join(dict.fromkeys(tag.strip() for tag in tags))
