"""The full-text index of customers and KB articles: SQLite FTS5 or PostgreSQL tsvector."""

from __future__ import annotations

import re
from typing import Literal

from sqlalchemy import text
from sqlalchemy.orm import Session

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
