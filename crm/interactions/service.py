"""Contact history: entries agents write, and calls from the PBX turned into history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from callcenter.calls.records import CallOutcome, CallRecord, Direction
from callcenter.db import utc_now
from crm.callbacks.campaign import CallbackRules
from crm.callbacks.service import close_reached, numbers_owed_a_callback, open_for_missed_call
from crm.customers.models import Contact
from crm.customers.service import get_customer
from crm.enums import InteractionKind
from crm.exceptions import InvalidInput
from crm.interactions.models import Interaction
from crm.interactions.schemas import InteractionCreate
from crm.lookup.service import Owner, owners
from crm.phones import candidates
from crm.tickets.models import Ticket

# Outcomes where the caller never reached anybody (a queue timeout counts: app_queue does too).
_MISSED = frozenset({CallOutcome.ABANDONED, CallOutcome.TIMEOUT})
# Keys per IN (...) query, well under SQLite's limit of bound parameters.
_CHUNK = 400


@dataclass
class HistoryPolicy:
    """The settings call history follows."""

    region: str
    short_abandon_s: float
    callback_due_minutes: int
    # The queue the callback campaign is created on, and the zone of numbers placed nowhere.
    callback_queue: str
    site_zone: str

    def callback_rules(self) -> CallbackRules:
        """Where and when this policy's callbacks are owed."""
        return CallbackRules(
            region=self.region,
            due_minutes=self.callback_due_minutes,
            queue=self.callback_queue,
            site_zone=self.site_zone,
        )


@dataclass
class HistoryResult:
    """What one batch of calls wrote."""

    interactions: int = 0
    callbacks_opened: int = 0
    callbacks_closed: int = 0


def add_interaction(
    session: Session,
    customer_id: int,
    data: InteractionCreate,
    agent: str,
    *,
    region: str | None = None,
) -> Interaction:
    """A history entry written by hand (a note, an e-mail, a visit, a call logged later).

    With `region`, a number is stored in E.164 so history by number finds it.
    """
    get_customer(session, customer_id)
    if data.contact_id is not None:
        contact = session.get(Contact, data.contact_id)
        if contact is None or contact.customer_id != customer_id:
            raise InvalidInput("contact_id", f"no contact {data.contact_id} at this customer")
    if data.ticket_id is not None and session.get(Ticket, data.ticket_id) is None:
        raise InvalidInput("ticket_id", f"no ticket with id {data.ticket_id}")
    interaction = Interaction(
        kind=str(data.kind),
        customer_id=customer_id,
        contact_id=data.contact_id,
        occurred_at=data.occurred_at or utc_now(),
        number=_stored_number(data.number, region),
        subject=data.subject,
        body=data.body,
        agent=agent,
        ticket_id=data.ticket_id,
    )
    session.add(interaction)
    session.flush()
    return interaction


def _stored_number(presented: str | None, region: str | None) -> str | None:
    if presented is None or region is None:
        return presented
    readings = candidates(presented, region)
    return readings[0] if readings else presented


def list_interactions(
    session: Session, customer_id: int, *, limit: int, offset: int
) -> tuple[list[Interaction], int]:
    """A page of a customer's history, newest first."""
    get_customer(session, customer_id)
    query = select(Interaction).where(Interaction.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def record_calls(
    session: Session, records: Sequence[CallRecord], policy: HistoryPolicy
) -> HistoryResult:
    """Turn ended calls into history, open callbacks for abandons, close reached ones.

    Replaying the same calls writes nothing twice (interactions and callbacks are keyed by
    the call's server and linkedid).
    """
    result = HistoryResult()
    # What the batch needs from the database, asked once per batch rather than per call
    # (the writer of a busy PBX's calls): whose each number is, which calls are already
    # history, which numbers have a callback open. Kept current as the batch writes.
    calls = []
    for record in sorted(records, key=lambda r: (r.started_at, r.linkedid)):
        presented = _external_number(record)
        if presented is None:
            continue
        readings = candidates(presented, policy.region)
        calls.append((record, readings, readings[0] if readings else presented))
    recorded = _recorded_calls(session, [record for record, _, _ in calls])
    owed = numbers_owed_a_callback(session, [number for _, readings, number in calls if readings])
    owners_of: dict[tuple[str, ...], list[Owner]] = {}
    for record, readings, number in calls:
        key = tuple(readings)
        matched = owners_of.get(key)
        if matched is None:
            matched = owners_of[key] = owners(session, readings)
        if (record.server, record.linkedid) not in recorded:
            result.interactions += _write_interactions(session, record, number, matched)
            recorded.add((record.server, record.linkedid))
        reached_at = record.answered_at
        if reached_at is not None and readings:
            if number in owed:  # else there is nothing to close
                result.callbacks_closed += close_reached(
                    session, number, reached_at, f"call {record.linkedid}"
                )
        elif record.direction == Direction.INBOUND and record.outcome in _MISSED and readings:
            opened = open_for_missed_call(
                session,
                record,
                number,
                matched,
                rules=policy.callback_rules(),
                short_abandon_s=policy.short_abandon_s,
            )
            if opened:
                owed.add(number)
            result.callbacks_opened += opened
    session.flush()
    return result


def _recorded_calls(session: Session, records: Sequence[CallRecord]) -> set[tuple[str, str]]:
    """(server, linkedid) of the calls among `records` already written as interactions."""
    found: set[tuple[str, str]] = set()
    keys = sorted({(r.server, r.linkedid) for r in records})
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        rows = session.execute(
            select(Interaction.server, Interaction.linkedid)
            .where(tuple_(Interaction.server, Interaction.linkedid).in_(chunk))
            .distinct()
        )
        found.update((server, linkedid) for server, linkedid in rows if server and linkedid)
    return found


def _external_number(record: CallRecord) -> str | None:
    if record.direction == Direction.INBOUND:
        return record.caller_number or None
    if record.direction == Direction.OUTBOUND:
        return record.dialed_number or None
    return None  # internal calls are not customer history


def _write_interactions(
    session: Session, record: CallRecord, number: str, matched: list[Owner]
) -> int:
    kind = (
        InteractionKind.CALL_IN
        if record.direction == Direction.INBOUND
        else InteractionKind.CALL_OUT
    )
    queue = record.queue_visits[-1].queue if record.queue_visits else None
    duration = record.talk_s
    if duration is None and record.answered_at is not None:
        duration = (record.ended_at - record.answered_at).total_seconds()
    # One entry per owner; a number nobody owns yet is still history (customer unknown).
    targets: list[tuple[int | None, int | None]] = [
        (o.customer_id, o.contact_ids[0] if o.contact_ids else None) for o in matched
    ]
    for customer_id, contact_id in targets or [(None, None)]:
        session.add(
            Interaction(
                kind=str(kind),
                customer_id=customer_id,
                contact_id=contact_id,
                occurred_at=record.started_at,
                number=number,
                subject=_subject(record, queue),
                agent=record.agent,
                server=record.server,
                linkedid=record.linkedid,
                queue=queue,
                outcome=str(record.outcome),
                answered=record.answered_at is not None,
                duration_s=duration,
            )
        )
    return len(targets) or 1


def _subject(record: CallRecord, queue: str | None) -> str:
    way = "Inbound" if record.direction == Direction.INBOUND else "Outbound"
    where = f" via {queue}" if queue else ""
    return f"{way} call{where}: {record.outcome}"
