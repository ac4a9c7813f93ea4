"""Queues in the database: what each PBX last listed about them (flushes, never commits)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from callcenter.queues.models import PbxQueue


@dataclass(frozen=True, slots=True)
class PbxServiceLevel:
    """A queue's service-level threshold as a PBX (`server`) reported it at `seen_at`."""

    queue: str
    server: str
    seconds: float | None
    seen_at: datetime


def note_pbx_queues(session: Session, levels: Iterable[PbxServiceLevel]) -> None:
    """Store what PBXs reported about their queues, one row per (server, queue) refreshed in
    place (an upsert: two processes seeing one PBX never collide); flushes."""
    rows = [
        {"server": level.server, "queue": level.queue,
         "service_level_s": level.seconds, "seen_at": level.seen_at}
        for level in levels
    ]  # fmt: skip
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert: Any = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(PbxQueue)
    statement = insert.on_conflict_do_update(
        index_elements=["server", "queue"],
        set_={
            "service_level_s": insert.excluded.service_level_s,
            "seen_at": insert.excluded.seen_at,
        },
        # A slower writer never puts back what an earlier resync said.
        where=PbxQueue.seen_at <= insert.excluded.seen_at,
    )
    session.execute(statement, rows)
    session.flush()


def pbx_service_levels(session: Session) -> dict[str, PbxServiceLevel]:
    """Each queue's threshold as its PBX last reported it (queues with none left out); a
    queue two PBXs list takes the one seen last."""
    rows = session.scalars(select(PbxQueue).order_by(PbxQueue.seen_at, PbxQueue.id))
    return latest(
        PbxServiceLevel(row.queue, row.server, row.service_level_s, row.seen_at) for row in rows
    )


def latest(levels: Iterable[PbxServiceLevel]) -> dict[str, PbxServiceLevel]:
    """By queue, the last level seen that names a threshold; a later report without one
    from the same PBX (the queue's `servicelevel` removed) drops it."""
    found: dict[str, PbxServiceLevel] = {}
    for level in levels:
        known = found.get(level.queue)
        if known is not None and known.seen_at > level.seen_at:
            continue
        if level.seconds is not None:
            found[level.queue] = level
        elif known is not None and known.server == level.server:
            del found[level.queue]
    return found
