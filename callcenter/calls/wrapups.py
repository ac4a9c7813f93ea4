"""Dispositions and notes agents record on calls; flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.calls.models import CallWrapUp
from callcenter.db import utc_now


@dataclass(frozen=True, slots=True)
class WrapUp:
    """One agent's disposition and notes for one call."""

    server: str
    linkedid: str
    agent: str
    disposition: str
    notes: str | None
    updated_at: datetime


def record_wrapup(
    session: Session,
    *,
    server: str,
    linkedid: str,
    agent: str,
    disposition: str,
    notes: str | None = None,
) -> WrapUp:
    """Set (or change) `agent`'s disposition and notes on the call (server, linkedid)."""
    row = session.scalar(
        select(CallWrapUp).where(
            CallWrapUp.server == server,
            CallWrapUp.linkedid == linkedid,
            CallWrapUp.agent == agent,
        )
    )
    if row is None:
        row = CallWrapUp(server=server, linkedid=linkedid, agent=agent)
        session.add(row)
    row.disposition = disposition
    row.notes = notes or None
    row.updated_at = utc_now()
    session.flush()
    return _wrapup(row)


def wrapups_of(session: Session, server: str, linkedid: str) -> list[WrapUp]:
    """Every agent's wrap-up of one call, oldest first."""
    rows = session.scalars(
        select(CallWrapUp)
        .where(CallWrapUp.server == server, CallWrapUp.linkedid == linkedid)
        .order_by(CallWrapUp.updated_at, CallWrapUp.id)
    )
    return [_wrapup(row) for row in rows]


def _wrapup(row: CallWrapUp) -> WrapUp:
    return WrapUp(
        server=row.server,
        linkedid=row.linkedid,
        agent=row.agent,
        disposition=row.disposition,
        notes=row.notes,
        updated_at=row.updated_at,
    )
