"""Full-text search over customers and KB articles: SQLite FTS5 or PostgreSQL tsvector."""

from __future__ import annotations

import re
from typing import Literal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from crm.models import Contact, Customer, KBArticle, PhoneNumber
from crm.phones import candidates

Index = Literal["customers", "kb"]

# Words are runs of letters and digits; everything else (quotes, operators, punctuation) is a
# separator, so no user input can reach the query syntax of either engine.
_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_WORDS = 8


def words(query: str) -> list[str]:
    """The search words of `query` (at most eight, lower-cased)."""
    return [w.lower() for w in _WORD.findall(query)][:_MAX_WORDS]


def search_ids(session: Session, index: Index, query: str, limit: int = 20) -> list[int]:
    """Ids of the best matches of `query` in `index`, best first; every word must match
    (as a prefix, so "acm" finds "Acme")."""
    terms = words(query)
    if not terms:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return _sqlite(session, index, terms, limit)
    if dialect == "postgresql":
        return _postgres(session, index, terms, limit)
    raise NotImplementedError(f"no full-text search for the {dialect} dialect")


def search_customers(session: Session, query: str, region: str, limit: int = 20) -> list[Customer]:
    """Customers matching `query` by name, code, e-mail or number, best first.

    A query that reads as a phone number also finds the customers owning it in any format.
    """
    ids: list[int] = []
    numbers = candidates(query, region) if any(ch.isdigit() for ch in query) else []
    if numbers:
        owners = session.execute(
            select(PhoneNumber.customer_id, PhoneNumber.contact_id).where(
                PhoneNumber.e164.in_(numbers)
            )
        ).all()
        contact_ids = [contact_id for _, contact_id in owners if contact_id is not None]
        ids.extend(customer_id for customer_id, _ in owners if customer_id is not None)
        if contact_ids:
            ids.extend(
                session.scalars(select(Contact.customer_id).where(Contact.id.in_(contact_ids)))
            )
    for found in search_ids(session, "customers", query, limit):
        ids.append(found)
    ordered = list(dict.fromkeys(ids))[:limit]
    if not ordered:
        return []
    rows = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ordered)))}
    return [rows[i] for i in ordered if i in rows]


def search_kb(session: Session, query: str, limit: int = 20) -> list[KBArticle]:
    """KB articles matching `query` in title, problem, solution or tags, best first."""
    ordered = search_ids(session, "kb", query, limit)
    if not ordered:
        return []
    rows = {a.id: a for a in session.scalars(select(KBArticle).where(KBArticle.id.in_(ordered)))}
    return [rows[i] for i in ordered if i in rows]


def _sqlite(session: Session, index: Index, terms: list[str], limit: int) -> list[int]:
    table = "crm_fts_customers" if index == "customers" else "crm_fts_kb"
    # Each word quoted (so FTS5 keywords such as NOT are plain words) and prefix-matched.
    match = " AND ".join('"' + term.replace('"', "") + '"*' for term in terms)
    # bm25 weights: name/title count most, then code/problem.
    weights = "10.0, 5.0, 2.0, 1.0"
    rows = session.execute(
        text(
            f"SELECT rowid FROM {table} WHERE {table} MATCH :match "
            f"ORDER BY bm25({table}, {weights}) LIMIT :limit"
        ),
        {"match": match, "limit": limit},
    )
    return [row[0] for row in rows]


def _postgres(session: Session, index: Index, terms: list[str], limit: int) -> list[int]:
    table, key = (
        ("crm_fts_customers", "customer_id")
        if index == "customers"
        else ("crm_fts_kb", "article_id")
    )
    # The words folded as the documents were (crm_fts_fold, migration 0002), each a prefix;
    # built in SQL so that no folded character can reach to_tsquery's syntax.
    rows = session.execute(
        text(
            f"SELECT {key} FROM {table}, (SELECT to_tsquery('simple', string_agg(w || ':*', ' & '))"
            " AS q FROM regexp_split_to_table(btrim(crm_fts_fold(:words)), ' +') AS w"
            " WHERE w <> '') AS query"
            f" WHERE document @@ q ORDER BY ts_rank(document, q) DESC, {key} LIMIT :limit"
        ),
        {"words": " ".join(terms), "limit": limit},
    )
    return [row[0] for row in rows]
