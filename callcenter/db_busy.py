"""A database too busy to take a write answers 503 "try again", never a bare 500.

SQLite lets one writer at a time: a request whose write waited the whole busy timeout
(`PRAGMA busy_timeout`) behind another writer gets "database is locked". PostgreSQL refuses a
transaction that deadlocked, lost a serialization race or could not take a lock in time.
Either way the transaction was rolled back and nothing of the request was saved, so the
answer says that, and that sending the same request again is safe.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

RETRY_AFTER_S = 2
BUSY_MESSAGE = (
    "The database was busy with other work and saved nothing of this request; "
    "please try again in a moment."
)
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
# serialization_failure, deadlock_detected, lock_not_available
_POSTGRES_BUSY = frozenset({"40001", "40P01", "55P03"})


def is_busy(error: DBAPIError) -> bool:
    """Whether `error` means "another transaction was in the way", not a fault of ours."""
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in _POSTGRES_BUSY:
        return True
    message = str(error.orig).lower()
    return any(text in message for text in _SQLITE_BUSY)
