"""SLA policies, business hours, due times and the breach/escalation sweep; flushes only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crm.enums import TicketEventKind, TicketPriority
from crm.exceptions import Conflict, InvalidInput, NotFound
from crm.sla.business_hours import Calendar, calendar_from_rows, round_the_clock
from crm.sla.models import BusinessHours, BusinessHoursSlot, Holiday, SLAPolicy
from crm.sla.schemas import BusinessHoursIn, Escalation, SLAPolicyIn
from crm.tickets.models import Ticket, TicketEvent
from crm.tickets.workflow import ACTIVE

SYSTEM_ACTOR = "sla"


def calendar_of(hours: BusinessHours | None) -> Calendar:
    """The calendar of stored business hours (round the clock when there are none)."""
    if hours is None:
        return round_the_clock()
    return calendar_from_rows(
        hours.timezone,
        ((slot.weekday, slot.opens, slot.closes) for slot in hours.slots),
        (holiday.day for holiday in hours.holidays),
    )


def default_calendar(session: Session) -> Calendar:
    """The default business hours, or round the clock when none is marked default."""
    hours = session.scalar(select(BusinessHours).where(BusinessHours.is_default.is_(True)).limit(1))
    return calendar_of(hours)


def due_times(
    session: Session, priority: str, start: datetime
) -> tuple[datetime | None, datetime | None]:
    """First-response and resolution due times for a ticket opened at `start`."""
    policy = session.scalar(select(SLAPolicy).where(SLAPolicy.priority == priority))
    if policy is None:
        return None, None
    if policy.business_hours_id is not None:
        calendar = calendar_of(session.get(BusinessHours, policy.business_hours_id))
    else:
        calendar = default_calendar(session)
    return (
        calendar.add(start, policy.first_response_minutes),
        calendar.add(start, policy.resolution_minutes),
    )


def list_policies(session: Session) -> list[SLAPolicy]:
    """Every SLA policy."""
    return list(session.scalars(select(SLAPolicy).order_by(SLAPolicy.id)))


def put_policy(session: Session, priority: TicketPriority, data: SLAPolicyIn) -> SLAPolicy:
    """Create or replace the policy of one priority (existing tickets keep their due times)."""
    if data.resolution_minutes < data.first_response_minutes:
        raise InvalidInput(
            "resolution_minutes", "resolution cannot be due before the first response"
        )
    if data.business_hours_id is not None and not session.get(
        BusinessHours, data.business_hours_id
    ):
        raise InvalidInput("business_hours_id", f"no business hours {data.business_hours_id}")
    policy = session.scalar(select(SLAPolicy).where(SLAPolicy.priority == str(priority)))
    if policy is None:
        policy = SLAPolicy(priority=str(priority))
        session.add(policy)
    policy.first_response_minutes = data.first_response_minutes
    policy.resolution_minutes = data.resolution_minutes
    policy.business_hours_id = data.business_hours_id
    session.flush()
    return policy


def list_business_hours(session: Session) -> list[BusinessHours]:
    """Every business-hours calendar."""
    return list(session.scalars(select(BusinessHours).order_by(BusinessHours.id)))


def get_business_hours(session: Session, hours_id: int) -> BusinessHours:
    """One business-hours calendar, or NotFound."""
    hours = session.get(BusinessHours, hours_id)
    if hours is None:
        raise NotFound("business hours", hours_id)
    return hours


def save_business_hours(
    session: Session, data: BusinessHoursIn, hours_id: int | None = None
) -> BusinessHours:
    """Create (or replace, with `hours_id`) a calendar; one default at most."""
    hours = BusinessHours() if hours_id is None else get_business_hours(session, hours_id)
    hours.name = data.name
    hours.timezone = data.timezone
    hours.is_default = data.is_default
    hours.slots = [
        BusinessHoursSlot(weekday=s.weekday, opens=s.opens, closes=s.closes) for s in data.slots
    ]
    days = {h.day: h.name for h in data.holidays}
    hours.holidays = [Holiday(day=day, name=name) for day, name in sorted(days.items())]
    if hours_id is None:
        session.add(hours)
    if data.is_default:
        for other in session.scalars(
            select(BusinessHours).where(BusinessHours.is_default.is_(True))
        ):
            if other is not hours:
                other.is_default = False
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"business hours named {data.name!r} already exist") from exc
    return hours


def sweep_breaches(session: Session, now: datetime) -> list[Escalation]:
    """Flag tickets whose SLA targets passed, and escalate each once per missed target.

    Idempotent: a breach is flagged once, so a second sweep finds nothing more to do.
    """
    overdue = session.scalars(
        select(Ticket)
        .where(
            Ticket.status.in_([str(s) for s in ACTIVE]),
            or_(
                (Ticket.first_response_breached.is_(False))
                & Ticket.first_responded_at.is_(None)
                & (Ticket.first_response_due < now),
                (Ticket.resolution_breached.is_(False)) & (Ticket.resolution_due < now),
            ),
        )
        .order_by(Ticket.id)
        # Two web workers sweeping at once must not both escalate a ticket (PostgreSQL).
        .with_for_update(skip_locked=True)
    )
    escalations = [
        _escalate(session, ticket, target, now)
        for ticket in overdue
        for target in _flag_missed_targets(ticket, now)
    ]
    session.flush()
    return escalations


def _flag_missed_targets(ticket: Ticket, now: datetime) -> list[str]:
    """Mark the targets `ticket` has newly missed as breached; their names, in order."""
    missed: list[str] = []
    due = ticket.first_response_due
    unanswered = ticket.first_responded_at is None and not ticket.first_response_breached
    if unanswered and due is not None and due < now:
        ticket.first_response_breached = True
        missed.append("first response")
    due = ticket.resolution_due
    if due is not None and due < now and not ticket.resolution_breached:
        ticket.resolution_breached = True
        missed.append("resolution")
    return missed


def _escalate(session: Session, ticket: Ticket, target: str, now: datetime) -> Escalation:
    """One level up for a missed target, with its breach and escalation on the timeline."""
    level = ticket.escalation_level + 1
    ticket.escalation_level = level
    reason = f"{target} target missed"
    session.add_all(
        [
            TicketEvent(
                ticket_id=ticket.id,
                at=now,
                actor=SYSTEM_ACTOR,
                kind=str(TicketEventKind.BREACHED),
                field=target.replace(" ", "_"),
                note=reason,
            ),
            TicketEvent(
                ticket_id=ticket.id,
                at=now,
                actor=SYSTEM_ACTOR,
                kind=str(TicketEventKind.ESCALATED),
                field="escalation_level",
                old_value=str(level - 1),
                new_value=str(level),
                note=reason,
            ),
        ]
    )
    return Escalation(ticket_id=ticket.id, number=ticket.number, level=level, reason=reason)
