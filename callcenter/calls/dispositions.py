"""Dispositions and notes agents record on calls; flushes, never commits.

(The time an agent spends in wrap-up after a call is `calls.wrap_up_seconds`.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.calls.models import CallDisposition
from callcenter.db import utc_now


@dataclass(frozen=True, slots=True)
class Disposition:
    """One agent's disposition and notes for one call."""

    server: str
    linkedid: str
    agent: str
    disposition: str
    notes: str | None
    updated_at: datetime


def record_disposition(
    session: Session,
    *,
    server: str,
    linkedid: str,
    agent: str,
    disposition: str,
    notes: str | None = None,
) -> Disposition:
    """Set (or change) `agent`'s disposition and notes on the call (server, linkedid)."""
    row = session.scalar(
        select(CallDisposition).where(
            CallDisposition.server == server,
            CallDisposition.linkedid == linkedid,
            CallDisposition.agent == agent,
        )
    )
    if row is None:
        row = CallDisposition(server=server, linkedid=linkedid, agent=agent)
        session.add(row)
    row.disposition = disposition
    row.notes = notes or None
    row.updated_at = utc_now()
    session.flush()
    return _disposition(row)


def dispositions_of(session: Session, server: str, linkedid: str) -> list[Disposition]:
    """Every agent's disposition of one call, oldest first."""
    rows = session.scalars(
        select(CallDisposition)
        .where(CallDisposition.server == server, CallDisposition.linkedid == linkedid)
        .order_by(CallDisposition.updated_at, CallDisposition.id)
    )
    return [_disposition(row) for row in rows]


def _disposition(row: CallDisposition) -> Disposition:
    return Disposition(
        server=row.server,
        linkedid=row.linkedid,
        agent=row.agent,
        disposition=row.disposition,
        notes=row.notes,
        updated_at=row.updated_at,
    )
