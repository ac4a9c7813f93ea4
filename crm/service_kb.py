"""Knowledge-base articles: known problems and their solutions; flushes, never commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm.exceptions import NotFound
from crm.models import KBArticle
from crm.schemas_service import KBArticleIn, KBArticleUpdate


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


def _tags(tags: list[str]) -> str:
    # Stored comma-separated: tags may contain spaces ("password reset") but never commas.
    return ", ".join(dict.fromkeys(tag.strip() for tag in tags))
