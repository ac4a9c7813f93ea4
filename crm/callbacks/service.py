"""Callbacks the center owes, as leads of the callback campaign: opened for missed calls, on
request or from the web site, tried, closed; flushes only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from callcenter.calls.records import CallRecord
from callcenter.campaigns.enums import LeadOrigin, LeadState
from callcenter.campaigns.models import Lead
from callcenter.campaigns.timezones import lead_time_zone
from callcenter.db import utc_now
from crm.callbacks.campaign import (
    CallbackRules,
    callback_list_id,
    existing_callback_list_id,
)
from crm.callbacks.schemas import CallbackAttempt, CallbackCreate, CallbackUpdate
from crm.callbacks.states import LEAD_STATES, OPEN_STATES, status_of
from crm.customers.models import Contact, Customer
from crm.enums import CallbackStatus
from crm.exceptions import InvalidInput, NotFound
from crm.interactions.models import Interaction
from crm.lookup.service import Owner
from crm.phones import normalize
from crm.sla.service import default_calendar, planned

# Numbers per IN (...) query, well under SQLite's limit of bound parameters.
_CHUNK = 400


def get_callback(session: Session, callback_id: int) -> Lead:
    """The callback with `callback_id` (a lead of the callback list), or NotFound."""
    lead = session.get(Lead, callback_id)
    if lead is None or lead.list_id != existing_callback_list_id(session):
        raise NotFound("callback", callback_id)
    return lead


def list_callbacks(
    session: Session,
    *,
    status: str | None = None,
    number: str | None = None,
    customer_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Lead], int]:
    """A page of callbacks, soonest due first."""
    list_id = existing_callback_list_id(session)
    if list_id is None:
        return [], 0
    query = select(Lead).where(Lead.list_id == list_id)
    if status is not None:
        query = query.where(Lead.state.in_(LEAD_STATES[CallbackStatus(status)]))
    if number is not None:
        query = query.where(Lead.number == number)
    if customer_id is not None:
        query = query.where(Lead.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Lead.due_at, Lead.id).limit(limit).offset(offset))
    return list(rows), total


def add_callback(
    session: Session,
    rules: CallbackRules,
    *,
    number: str,
    due_at: datetime,
    origin: LeadOrigin,
    at: datetime | None = None,
    not_before: datetime | None = None,
    customer_id: int | None = None,
    contact_id: int | None = None,
    name: str | None = None,
    owner: str | None = None,
    queue: str | None = None,
    server: str | None = None,
    linkedid: str | None = None,
    note: str | None = None,
) -> Lead:
    """A callback owed to `number` (E.164) by `due_at` (the promise, its SLA), on the
    callback campaign's list; not dialled before `not_before` (the time the caller asked for),
    at once when that is None."""
    lead = Lead(
        list_id=callback_list_id(session, rules.queue),
        number=number,
        name=name,
        customer_id=customer_id,
        contact_id=contact_id,
        time_zone=lead_time_zone(number, site_zone=rules.site_zone).zone,
        state=str(LeadState.OPEN),
        attempts=0,
        next_at=not_before,
        due_at=due_at,
        owner=owner,
        origin=str(origin),
        server=server,
        linkedid=linkedid,
        queue=queue,
        note=note,
        created_at=at or utc_now(),
    )
    session.add(lead)
    session.flush()
    return lead


def request_callback(
    session: Session,
    data: CallbackCreate,
    rules: CallbackRules,
    now: datetime | None = None,
    *,
    owner: str | None = None,
) -> Lead:
    """A callback asked for by a person (due on business hours unless a time is given);
    `owner` is the agent who promised it."""
    now = now or utc_now()
    number = normalize(data.number, rules.region)
    if data.customer_id is not None and session.get(Customer, data.customer_id) is None:
        raise InvalidInput("customer_id", f"no customer with id {data.customer_id}")
    if data.contact_id is not None:
        contact = session.get(Contact, data.contact_id)
        if contact is None:
            raise InvalidInput("contact_id", f"no contact with id {data.contact_id}")
        if data.customer_id is not None and contact.customer_id != data.customer_id:
            raise InvalidInput("contact_id", f"contact {data.contact_id} is not at that customer")
    due = data.due_at or planned(default_calendar(session), now, rules.due_minutes, "a callback")
    return add_callback(
        session,
        rules,
        number=number,
        due_at=due,
        origin=LeadOrigin.AGENT if owner else LeadOrigin.API,
        at=now,
        not_before=data.due_at,
        customer_id=data.customer_id,
        contact_id=data.contact_id,
        owner=owner,
        note=data.note,
    )


def update_callback(session: Session, callback_id: int, data: CallbackUpdate) -> Lead:
    """Move the due time or change the note of an open callback."""
    lead = _open(session, callback_id)
    changes = data.changes()
    if "due_at" in changes and lead.next_at is not None:
        lead.next_at = changes["due_at"]  # a time the caller asked for moves with it
    for name, value in changes.items():
        setattr(lead, name, value)
    session.flush()
    return lead


def record_attempt(
    session: Session,
    callback_id: int,
    data: CallbackAttempt,
    actor: str,
    now: datetime | None = None,
) -> Lead:
    """Count one try; reaching the caller closes the callback."""
    now = now or utc_now()
    lead = _open(session, callback_id)
    lead.attempts += 1
    lead.last_attempt_at = now
    if data.note:
        lead.note = data.note
    if data.reached:
        lead.state = str(LeadState.DONE)
        lead.closed_at = now
        lead.closed_by = actor
    session.flush()
    return lead


def cancel_callback(
    session: Session, callback_id: int, actor: str, note: str | None, now: datetime | None = None
) -> Lead:
    """Drop a callback that is no longer owed."""
    lead = _open(session, callback_id)
    lead.state = str(LeadState.CANCELLED)
    lead.closed_at = now or utc_now()
    lead.closed_by = actor
    if note:
        lead.note = note
    session.flush()
    return lead


def close_reached(session: Session, number: str, reached_at: datetime, by: str) -> int:
    """Close the open callbacks of `number` owed since before `reached_at`; how many closed.

    Only those waiting to be dialled: one the dialer is calling right now ends with its call.
    """
    list_id = existing_callback_list_id(session)
    if list_id is None:
        return 0
    result = session.execute(
        update(Lead)
        .where(
            Lead.list_id == list_id,
            Lead.number == number,
            Lead.state == str(LeadState.OPEN),
            Lead.created_at <= reached_at,
        )
        .values(state=str(LeadState.DONE), closed_at=reached_at, closed_by=by)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def numbers_owed_a_callback(session: Session, numbers: Sequence[str]) -> set[str]:
    """Those of `numbers` with an open callback."""
    list_id = existing_callback_list_id(session)
    if list_id is None:
        return set()
    found: set[str] = set()
    wanted = sorted(set(numbers))
    for start in range(0, len(wanted), _CHUNK):
        rows = session.scalars(
            select(Lead.number)
            .where(
                Lead.list_id == list_id,
                Lead.number.in_(wanted[start : start + _CHUNK]),
                Lead.state.in_(OPEN_STATES),
            )
            .distinct()
        )
        found.update(rows)
    return found


def waiting_callback(session: Session, number: str) -> Lead | None:
    """The callback of `number` still waiting to be dialled (soonest due first), if any."""
    list_id = existing_callback_list_id(session)
    if list_id is None:
        return None
    return session.scalar(
        select(Lead)
        .where(Lead.list_id == list_id, Lead.number == number, Lead.state == str(LeadState.OPEN))
        .order_by(Lead.due_at, Lead.id)
        .limit(1)
    )


def open_for_missed_call(
    session: Session,
    record: CallRecord,
    number: str,
    matched: list[Owner],
    *,
    rules: CallbackRules,
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
        select(exists().where(Lead.server == record.server, Lead.linkedid == record.linkedid))
    ):
        return 0
    if _got_through_since(session, number, record):
        return 0
    if numbers_owed_a_callback(session, [number]):
        return 0  # one owed callback per number is enough; the queue sees the first
    owner = matched[0] if len(matched) == 1 else None
    add_callback(
        session,
        rules,
        number=number,
        due_at=planned(default_calendar(session), record.ended_at, rules.due_minutes, "a callback"),
        origin=LeadOrigin.ABANDONED,
        # Owed from the moment the caller gave up (a later answered call closes it).
        at=record.ended_at,
        customer_id=owner.customer_id if owner else None,
        contact_id=owner.contact_ids[0] if owner and owner.contact_ids else None,
        server=record.server,
        linkedid=record.linkedid,
        queue=record.queue_visits[-1].queue if record.queue_visits else None,
    )
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


def _open(session: Session, callback_id: int) -> Lead:
    lead = get_callback(session, callback_id)
    status = status_of(lead.state)
    if status != CallbackStatus.OPEN:
        raise InvalidInput("status", f"callback {callback_id} is already {status}")
    return lead
