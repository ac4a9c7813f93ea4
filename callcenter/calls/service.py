"""Writing call records idempotently and reading them back; flushes, never commits.

What is derived from the visits (kpi's queue interval rollups) is kept by the listeners the
caller passes, in the same transaction; wrap-up seconds that arrive later are stored by
`callcenter.calls.wrap_up_seconds`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import String, delete, insert, inspect, select, tuple_
from sqlalchemy.exc import IntegrityError
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
from callcenter.calls.store_listeners import StoredVisits, StoreListener, VisitPlace
from callcenter.campaigns.dial_records import stamp_calls


def _text_limits(model: type[Any], *keys: str) -> dict[str, int]:
    """The bounded text columns of `model` but its `keys`, and their lengths."""
    return {
        column.key: column.type.length
        for column in inspect(model).columns
        if isinstance(column.type, String) and column.type.length and column.key not in keys
    }


# Text a caller controls (a display name, a dialed number) can be longer than its column;
# PostgreSQL would refuse the whole batch, and every batch retried behind it. Clipped.
_CALL_LIMITS = _text_limits(Call, "server", "linkedid")
_VISIT_LIMITS = _text_limits(QueueVisit)
_STATE_LIMITS = _text_limits(AgentStateInterval)

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
    "wrap_up_s",
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
    "wrap_up_s",
)


def store_calls(
    session: Session,
    records: Sequence[CallRecord],
    *,
    after_store: Sequence[StoreListener],
) -> int:
    """Write `records`, replacing any earlier row with the same (server, linkedid).

    Replaying a stream twice leaves the same rows; within one batch the last record of a key
    wins. A record flagged data_gap (a stream that ended or dropped mid-call) never replaces
    one stored complete, nor one before it in the batch: a replay of a cut capture cannot
    degrade calls it knows only in part, while a complete record replaces a gap one. A visit
    stored again without wrap-up seconds keeps those it had: they arrive after the call (see
    `store_wrap_ups`), and a record written at hang-up never carries them. Each listener of
    `after_store` is told what was written, in this transaction (kpi's rollups count each
    stored visit once). Returns how many calls were written.
    """
    latest: dict[tuple[str, str], CallRecord] = {}
    for record in records:
        key = (record.server, record.linkedid)
        earlier = latest.get(key)
        if earlier is None or not record.data_gap or earlier.data_gap:
            latest[key] = record
    if not latest:
        return 0
    stored, complete = _stored_ids(session, list(latest))
    for key in complete:
        if latest[key].data_gap:
            del latest[key]
    stored = {call_id: key for call_id, key in stored.items() if key in latest}
    if not latest:
        return 0
    replaced, kept_wrap_ups = _stored_visits(session, stored)
    # By key, not by the ids just read: a row of these keys stored since (the dialer's own
    # record of an attempt, written as its outcome came) goes too. The statement also opens
    # the write transaction on SQLite before the savepoint below (a savepoint that opened it
    # would commit the calls on its release, before their visits).
    _delete_keys(session, list(latest))
    try:
        with session.begin_nested():
            visits = _insert_calls(session, latest, kept_wrap_ups)
    except IntegrityError:
        # Stored between the delete and the insert (PostgreSQL lets another transaction do
        # that; SQLite's write lock does not): replaced as any stored row is.
        meanwhile, _ = _stored_ids(session, list(latest))
        late_places, late_wrap_ups = _stored_visits(session, meanwhile)
        replaced += late_places
        kept_wrap_ups |= late_wrap_ups
        _delete_keys(session, list(latest))
        visits = _insert_calls(session, latest, kept_wrap_ups)
    # A dial attempt's call: outbound, with its campaign and lead (known from the attempt).
    stamp_calls(session, list(latest))
    if visits:
        session.execute(insert(QueueVisit), visits)
    written = StoredVisits(
        call_ids=sorted({v["call_id"] for v in visits}),
        written=[(v["queue"], v["entered_at"]) for v in visits],
        replaced=replaced,
    )
    for listener in after_store:
        listener.calls_stored(session, written)
    session.flush()
    return len(latest)


def _delete_keys(session: Session, keys: list[tuple[str, str]]) -> None:
    for chunk in chunks(keys, 400):
        session.execute(delete(Call).where(tuple_(Call.server, Call.linkedid).in_(chunk)))


def _insert_calls(
    session: Session,
    latest: dict[tuple[str, str], CallRecord],
    kept_wrap_ups: dict[tuple[str, str, int, str], float],
) -> list[dict[str, Any]]:
    """Insert the call rows of `latest`; returns their visit rows, with their call ids."""
    visit_rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
    rows = []
    for key, record in latest.items():
        visit_rows[key] = _visit_rows(record, kept_wrap_ups)
        row = _fit({name: _column(getattr(record, name)) for name in _CALL_COLUMNS}, _CALL_LIMITS)
        wrap_ups = [v["wrap_up_s"] for v in visit_rows[key] if v["wrap_up_s"] is not None]
        if wrap_ups:
            row["wrap_up_s"] = round(sum(wrap_ups), 3)
        rows.append(row)
    session.execute(insert(Call), rows)
    ids: dict[tuple[str, str], int] = {}
    for chunk in chunks(list(latest), 400):
        found = session.execute(
            select(Call.server, Call.linkedid, Call.id).where(
                tuple_(Call.server, Call.linkedid).in_(chunk)
            )
        )
        ids.update({(server, linkedid): call_id for server, linkedid, call_id in found})
    visits: list[dict[str, Any]] = []
    for key, key_rows in visit_rows.items():
        for row in key_rows:
            row["call_id"] = ids[key]
            visits.append(row)
    return visits


def _stored_ids(
    session: Session, keys: Sequence[tuple[str, str]]
) -> tuple[dict[int, tuple[str, str]], set[tuple[str, str]]]:
    """The ids of the calls among `keys` (server, linkedid) already stored, and the keys of
    those stored complete (without data_gap)."""
    stored: dict[int, tuple[str, str]] = {}
    complete: set[tuple[str, str]] = set()
    for chunk in chunks(keys, 400):
        found = session.execute(
            select(Call.id, Call.server, Call.linkedid, Call.data_gap).where(
                tuple_(Call.server, Call.linkedid).in_(chunk)
            )
        )
        for call_id, server, linkedid, data_gap in found:
            stored[call_id] = (server, linkedid)
            if not data_gap:
                complete.add((server, linkedid))
    return stored, complete


def _stored_visits(
    session: Session, stored: dict[int, tuple[str, str]]
) -> tuple[list[VisitPlace], dict[tuple[str, str, int, str], float]]:
    """Of calls about to be written again (by id): where their stored visits are, and the
    wrap-up seconds those visits carry, by (server, linkedid, seq, uniqueid)."""
    places: list[VisitPlace] = []
    wrap_ups: dict[tuple[str, str, int, str], float] = {}
    for chunk in chunks(list(stored), 400):
        found = session.execute(
            select(
                QueueVisit.call_id,
                QueueVisit.seq,
                QueueVisit.uniqueid,
                QueueVisit.queue,
                QueueVisit.entered_at,
                QueueVisit.wrap_up_s,
            ).where(QueueVisit.call_id.in_(chunk))
        )
        for call_id, seq, uniqueid, queue, entered_at, wrap_up in found:
            places.append((queue, entered_at))
            if wrap_up is not None:
                server, linkedid = stored[call_id]
                wrap_ups[(server, linkedid, seq, uniqueid)] = wrap_up
    return places, wrap_ups


def _visit_rows(
    record: CallRecord, kept_wrap_ups: dict[tuple[str, str, int, str], float]
) -> list[dict[str, Any]]:
    rows = []
    for seq, visit in enumerate(record.queue_visits, start=1):
        row = _fit({name: _column(getattr(visit, name)) for name in _VISIT_COLUMNS}, _VISIT_LIMITS)
        row["seq"] = seq
        if row["wrap_up_s"] is None:
            row["wrap_up_s"] = kept_wrap_ups.get(
                (record.server, record.linkedid, seq, visit.uniqueid)
            )
        rows.append(row)
    return rows


def store_agent_states(session: Session, records: Sequence[AgentStateRecord]) -> int:
    """Write agent-state intervals, skipping any already stored (same agent, state, start)."""
    if not records:
        return 0
    records = [_fitted_state(r) for r in records]
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
        wrap_up_s=call.wrap_up_s,
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
                wrap_up_s=v.wrap_up_s,
            )
            for v in call.queue_visits
        ),
    )


def _fit(row: dict[str, Any], limits: dict[str, int]) -> dict[str, Any]:
    """`row` with every text longer than its column clipped to it."""
    for name, limit in limits.items():
        value = row.get(name)
        if isinstance(value, str) and len(value) > limit:
            row[name] = value[:limit]
    return row


def _fitted_state(record: AgentStateRecord) -> AgentStateRecord:
    fields = {name: getattr(record, name) for name in _STATE_LIMITS if hasattr(record, name)}
    fitted = _fit(dict(fields), _STATE_LIMITS)
    return record if fitted == fields else replace(record, **fitted)


def _column(value: Any) -> Any:
    return value.value if isinstance(value, (Direction, CallOutcome, VisitOutcome)) else value


def chunks(items: Sequence[Any] | Iterable[Any], size: int) -> Iterable[list[Any]]:
    """`items` in lists of at most `size`: IN lists a database takes in one statement."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
