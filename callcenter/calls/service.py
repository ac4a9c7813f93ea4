"""Writing call records idempotently and reading them back; flushes, never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, tuple_
from sqlalchemy.orm import Session

from callcenter.calls.models import AgentStateInterval, Call, QueueVisit
from callcenter.calls.records import (
    AgentState,
    AgentStateRecord,
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)

_CALL_COLUMNS = (
    "server",
    "linkedid",
    "direction",
    "caller_number",
    "caller_name",
    "dialed_number",
    "started_at",
    "answered_at",
    "ended_at",
    "talk_s",
    "hold_s",
    "outcome",
    "agent",
    "transfer_target",
    "data_gap",
)
_VISIT_COLUMNS = (
    "queue",
    "uniqueid",
    "entered_at",
    "ended_at",
    "position",
    "exit_position",
    "outcome",
    "agent",
    "wait_s",
    "ring_s",
    "talk_s",
    "hold_s",
    "ring_no_answer",
    "transfer_target",
    "hangup_by",
)


def store_calls(session: Session, records: Sequence[CallRecord]) -> int:
    """Write `records`, replacing any earlier row with the same (server, linkedid).

    Replaying a stream twice leaves the same rows; within one batch the last record of a key
    wins. Returns how many calls were written.
    """
    if not records:
        return 0
    latest: dict[tuple[str, str], CallRecord] = {}
    for record in records:
        latest[(record.server, record.linkedid)] = record
    keys = list(latest)
    for chunk in _chunks(keys, 400):
        session.execute(delete(Call).where(tuple_(Call.server, Call.linkedid).in_(chunk)))
    rows = [{name: _column(getattr(r, name)) for name in _CALL_COLUMNS} for r in latest.values()]
    session.execute(insert(Call), rows)
    ids: dict[tuple[str, str], int] = {}
    for chunk in _chunks(keys, 400):
        found = session.execute(
            select(Call.server, Call.linkedid, Call.id).where(
                tuple_(Call.server, Call.linkedid).in_(chunk)
            )
        )
        ids.update({(server, linkedid): call_id for server, linkedid, call_id in found})
    visits: list[dict[str, Any]] = []
    for key, record in latest.items():
        for seq, visit in enumerate(record.queue_visits, start=1):
            row = {name: _column(getattr(visit, name)) for name in _VISIT_COLUMNS}
            row["call_id"] = ids[key]
            row["seq"] = seq
            visits.append(row)
    if visits:
        session.execute(insert(QueueVisit), visits)
    session.flush()
    return len(latest)


def store_agent_states(session: Session, records: Sequence[AgentStateRecord]) -> int:
    """Write agent-state intervals, skipping any already stored (same agent, state, start)."""
    if not records:
        return 0
    wanted = {
        (r.server, r.interface, r.queue or "", r.state.value, r.started_at): r for r in records
    }
    columns = (
        AgentStateInterval.server,
        AgentStateInterval.interface,
        AgentStateInterval.queue,
        AgentStateInterval.state,
        AgentStateInterval.started_at,
    )
    starts = [r.started_at for r in records]
    found = session.execute(
        select(*columns).where(
            AgentStateInterval.server.in_({r.server for r in records}),
            AgentStateInterval.interface.in_({r.interface for r in records}),
            AgentStateInterval.started_at >= min(starts),
            AgentStateInterval.started_at <= max(starts),
        )
    )
    existing = {tuple(row) for row in found}
    rows = [
        {
            "server": r.server,
            "agent": r.agent,
            "interface": r.interface,
            "queue": r.queue or "",
            "state": r.state.value,
            "reason": r.reason,
            "started_at": r.started_at,
            "ended_at": r.ended_at,
            "data_gap": r.data_gap,
        }
        for k, r in wanted.items()
        if k not in existing
    ]
    if rows:
        session.execute(insert(AgentStateInterval), rows)
    session.flush()
    return len(rows)


def list_calls(
    session: Session,
    *,
    server: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[CallRecord]:
    """Stored calls, oldest first, as immutable records."""
    query = select(Call).order_by(Call.started_at, Call.id)
    if server is not None:
        query = query.where(Call.server == server)
    if since is not None:
        query = query.where(Call.started_at >= since)
    if until is not None:
        query = query.where(Call.started_at < until)
    if limit is not None:
        query = query.limit(limit)
    return [to_record(call) for call in session.scalars(query)]


def list_agent_states(session: Session, *, agent: str | None = None) -> list[AgentStateRecord]:
    """Stored agent-state intervals, oldest first."""
    query = select(AgentStateInterval).order_by(
        AgentStateInterval.started_at, AgentStateInterval.id
    )
    if agent is not None:
        query = query.where(AgentStateInterval.agent == agent)
    return [
        AgentStateRecord(
            server=row.server,
            agent=row.agent,
            interface=row.interface,
            state=AgentState(row.state),
            started_at=row.started_at,
            ended_at=row.ended_at,
            reason=row.reason,
            queue=row.queue or None,
            data_gap=row.data_gap,
        )
        for row in session.scalars(query)
    ]


def to_record(call: Call) -> CallRecord:
    """The immutable record of a stored call (its visits must be loaded)."""
    return CallRecord(
        server=call.server,
        linkedid=call.linkedid,
        direction=Direction(call.direction),
        started_at=call.started_at,
        ended_at=call.ended_at,
        outcome=CallOutcome(call.outcome),
        caller_number=call.caller_number,
        caller_name=call.caller_name,
        dialed_number=call.dialed_number,
        answered_at=call.answered_at,
        talk_s=call.talk_s,
        hold_s=call.hold_s,
        agent=call.agent,
        transfer_target=call.transfer_target,
        data_gap=call.data_gap,
        queue_visits=tuple(
            QueueVisitRecord(
                queue=v.queue,
                uniqueid=v.uniqueid,
                entered_at=v.entered_at,
                outcome=VisitOutcome(v.outcome),
                position=v.position,
                ended_at=v.ended_at,
                agent=v.agent,
                wait_s=v.wait_s,
                ring_s=v.ring_s,
                talk_s=v.talk_s,
                hold_s=v.hold_s,
                ring_no_answer=v.ring_no_answer,
                transfer_target=v.transfer_target,
                exit_position=v.exit_position,
                hangup_by=v.hangup_by,
            )
            for v in call.queue_visits
        ),
    )


def _column(value: Any) -> Any:
    return value.value if isinstance(value, (Direction, CallOutcome, VisitOutcome)) else value


def _chunks(items: Sequence[Any] | Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
