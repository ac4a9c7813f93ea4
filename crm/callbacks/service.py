"""Callbacks the center owes: opened for missed calls or on request, tried, closed; flushes only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from callcenter.calls.records import CallRecord
from callcenter.db import utc_now
from crm.callbacks.models import Callback
from crm.callbacks.schemas import CallbackAttempt, CallbackCreate, CallbackUpdate
from crm.customers.models import Contact, Customer
from crm.enums import CallbackOrigin, CallbackStatus
from crm.exceptions import InvalidInput, NotFound
from crm.interactions.models import Interaction
from crm.lookup.service import Owner
from crm.phones import normalize
from crm.sla.service import default_calendar, planned

# Numbers per IN (...) query, well under SQLite's limit of bound parameters.
_CHUNK = 400


def get_callback(session: Session, callback_id: int) -> Callback:
    """The callback with `callback_id`, or NotFound."""
    callback = session.get(Callback, callback_id)
    if callback is None:
        raise NotFound("callback", callback_id)
    return callback


def list_callbacks(
    session: Session,
    *,
    status: str | None = None,
    number: str | None = None,
    customer_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Callback], int]:
    """A page of callbacks, soonest due first."""
    query = select(Callback)
    if status is not None:
        query = query.where(Callback.status == status)
    if number is not None:
        query = query.where(Callback.number == number)
    if customer_id is not None:
        query = query.where(Callback.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Callback.due_at, Callback.id).limit(limit).offset(offset))
    return list(rows), total


def request_callback(
    session: Session,
    data: CallbackCreate,
    region: str,
    due_minutes: int,
    now: datetime | None = None,
    *,
    owner: str | None = None,
) -> Callback:
    """A callback asked for by a person (due on business hours unless a time is given);
    `owner` is the agent who promised it."""
    now = now or utc_now()
    number = normalize(data.number, region)
    if data.customer_id is not None and session.get(Customer, data.customer_id) is None:
        raise InvalidInput("customer_id", f"no customer with id {data.customer_id}")
    if data.contact_id is not None:
        contact = session.get(Contact, data.contact_id)
        if contact is None:
            raise InvalidInput("contact_id", f"no contact with id {data.contact_id}")
        if data.customer_id is not None and contact.customer_id != data.customer_id:
            raise InvalidInput("contact_id", f"contact {data.contact_id} is not at that customer")
    due = data.due_at or planned(default_calendar(session), now, due_minutes, "a callback")
    callback = Callback(
        number=number,
        customer_id=data.customer_id,
        contact_id=data.contact_id,
        due_at=due,
        status=str(CallbackStatus.OPEN),
        origin=str(CallbackOrigin.REQUESTED),
        note=data.note,
        owner=owner,
        created_at=now,
    )
    session.add(callback)
    session.flush()
    return callback


def update_callback(session: Session, callback_id: int, data: CallbackUpdate) -> Callback:
    """Move the due time or change the note of an open callback."""
    callback = _open(session, callback_id)
    for name, value in data.changes().items():
        setattr(callback, name, value)
    session.flush()
    return callback


def record_attempt(
    session: Session,
    callback_id: int,
    data: CallbackAttempt,
    actor: str,
    now: datetime | None = None,
) -> Callback:
    """Count one try; reaching the caller closes the callback."""
    now = now or utc_now()
    callback = _open(session, callback_id)
    callback.attempts += 1
    callback.last_attempt_at = now
    if data.note:
        callback.note = data.note
    if data.reached:
        callback.status = str(CallbackStatus.DONE)
        callback.closed_at = now
        callback.closed_by = actor
    session.flush()
    return callback


def cancel_callback(
    session: Session, callback_id: int, actor: str, note: str | None, now: datetime | None = None
) -> Callback:
    """Drop a callback that is no longer owed."""
    callback = _open(session, callback_id)
    callback.status = str(CallbackStatus.CANCELLED)
    callback.closed_at = now or utc_now()
    callback.closed_by = actor
    if note:
        callback.note = note
    session.flush()
    return callback


def close_reached(session: Session, number: str, reached_at: datetime, by: str) -> int:
    """Close the open callbacks of `number` owed since before `reached_at`; how many closed."""
    result = session.execute(
        update(Callback)
        .where(
            Callback.number == number,
            Callback.status == str(CallbackStatus.OPEN),
            Callback.created_at <= reached_at,
        )
        .values(status=str(CallbackStatus.DONE), closed_at=reached_at, closed_by=by)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def numbers_owed_a_callback(session: Session, numbers: Sequence[str]) -> set[str]:
    """Those of `numbers` with an open callback."""
    found: set[str] = set()
    wanted = sorted(set(numbers))
    for start in range(0, len(wanted), _CHUNK):
        rows = session.scalars(
            select(Callback.number)
            .where(
                Callback.number.in_(wanted[start : start + _CHUNK]),
                Callback.status == str(CallbackStatus.OPEN),
            )
            .distinct()
        )
        found.update(rows)
    return found


def open_for_missed_call(
    session: Session,
    record: CallRecord,
    number: str,
    matched: list[Owner],
    *,
    due_minutes: int,
    short_abandon_s: float,
) -> int:
    """Open a callback for a caller who gave up waiting: 1 when opened, else 0.

    None is owed after a short abandon, twice for one call, when the caller got through on a
    later call, or while the number already has one open. The owner is filled in only when
    exactly one customer has the number.
    """
    wait = record.queue_visits[-1].wait_s if record.queue_visits else None
    if wait is None:
        wait = (record.ended_at - record.started_at).total_seconds()
    if wait < short_abandon_s:
        return 0
    if session.scalar(
        select(
            exists().where(Callback.server == record.server, Callback.linkedid == record.linkedid)
        )
    ):
        return 0
    if _got_through_since(session, number, record):
        return 0
    if session.scalar(
        select(
            exists().where(Callback.number == number, Callback.status == str(CallbackStatus.OPEN))
        )
    ):
        return 0  # one owed callback per number is enough; the queue sees the first
    owner = matched[0] if len(matched) == 1 else None
    session.add(
        Callback(
            number=number,
            customer_id=owner.customer_id if owner else None,
            contact_id=owner.contact_ids[0] if owner and owner.contact_ids else None,
            due_at=planned(default_calendar(session), record.ended_at, due_minutes, "a callback"),
            status=str(CallbackStatus.OPEN),
            origin=str(CallbackOrigin.ABANDONED_CALL),
            server=record.server,
            linkedid=record.linkedid,
            queue=record.queue_visits[-1].queue if record.queue_visits else None,
            # Owed from the moment the caller gave up (a later answered call closes it).
            created_at=record.ended_at,
        )
    )
    session.flush()
    return 1


def _got_through_since(session: Session, number: str, record: CallRecord) -> bool:
    since: datetime = record.started_at
    return bool(
        session.scalar(
            select(
                exists().where(
                    Interaction.number == number,
                    Interaction.answered.is_(True),
                    Interaction.occurred_at >= since,
                    Interaction.linkedid != record.linkedid,
                )
            )
        )
    )


def _open(session: Session, callback_id: int) -> Callback:
    callback = get_callback(session, callback_id)
    if callback.status != str(CallbackStatus.OPEN):
        raise InvalidInput("status", f"callback {callback_id} is already {callback.status}")
    return callback
