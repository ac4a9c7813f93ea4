"""SLA policies, business hours, due times and the breach/escalation sweep; flushes only."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from callcenter.db import utc_now
from crm.enums import TicketEventKind, TicketPriority
from crm.exceptions import Conflict, InvalidInput, NotFound
from crm.sla.business_hours import (
    HORIZON,
    Calendar,
    Unreachable,
    calendar_from_rows,
    round_the_clock,
)
from crm.sla.models import BusinessHours, BusinessHoursSlot, Holiday, SLAPolicy
from crm.sla.schemas import BusinessHoursIn, Escalation, SLAPolicyIn
from crm.tickets.models import Ticket, TicketEvent
from crm.tickets.workflow import ACTIVE

SYSTEM_ACTOR = "sla"

log = logging.getLogger(__name__)


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
    calendar = _calendar_of_policy(session, policy.business_hours_id)
    return (
        planned(calendar, start, policy.first_response_minutes, f"{priority} tickets"),
        planned(calendar, start, policy.resolution_minutes, f"{priority} tickets"),
    )


def _calendar_of_policy(session: Session, business_hours_id: int | None) -> Calendar:
    if business_hours_id is not None:
        return calendar_of(session.get(BusinessHours, business_hours_id))
    return default_calendar(session)


def planned(calendar: Calendar, start: datetime, minutes: int, what: str) -> datetime:
    """`calendar.add`, capped at the planning horizon: business hours never stop a ticket or
    a callback from being opened.

    Saving a policy or calendar checks its targets fit, but a start further on (past holidays
    or a sparse week) can still push one past the horizon; then it is due at the horizon.
    """
    try:
        return calendar.add(start, minutes)
    except Unreachable as exc:
        log.warning("due time of %s capped at %s after the start: %s", what, HORIZON, exc)
        return start + HORIZON


def _check_reachable(calendar: Calendar, minutes: dict[str, int], now: datetime) -> None:
    """InvalidInput naming the first target the calendar cannot reach from `now`."""
    for field, value in minutes.items():
        try:
            calendar.add(now, value)
        except Unreachable as exc:
            raise InvalidInput(field, f"{exc}; shorten the target or widen the hours") from None


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
    _check_reachable(
        _calendar_of_policy(session, data.business_hours_id),
        {
            "first_response_minutes": data.first_response_minutes,
            "resolution_minutes": data.resolution_minutes,
        },
        utc_now(),
    )
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
    """Create (or replace, with `hours_id`) a calendar; one default at most.

    InvalidInput when a policy that would use the calendar needs more open time than it has.
    """
    hours = BusinessHours() if hours_id is None else get_business_hours(session, hours_id)
    _check_policies_fit(session, data, hours_id)
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
    # No flush before the one below: a taken name must be its Conflict, not an error here.
    with session.no_autoflush:
        others = (
            session.scalars(select(BusinessHours).where(BusinessHours.is_default.is_(True)))
            if data.is_default
            else ()
        )
        for other in others:
            if other is not hours:
                other.is_default = False
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"business hours named {data.name!r} already exist") from exc
    return hours


def _check_policies_fit(session: Session, data: BusinessHoursIn, hours_id: int | None) -> None:
    # The policies that would plan on this calendar: its own, and the default's if it is one.
    users: list[ColumnElement[bool]] = []
    if data.is_default:
        users.append(SLAPolicy.business_hours_id.is_(None))
    if hours_id is not None:
        users.append(SLAPolicy.business_hours_id == hours_id)
    if not users:
        return
    calendar = calendar_from_rows(
        data.timezone,
        ((s.weekday, s.opens, s.closes) for s in data.slots),
        (h.day for h in data.holidays),
    )
    now = utc_now()
    for policy in session.scalars(select(SLAPolicy).where(or_(*users)).order_by(SLAPolicy.id)):
        try:
            calendar.add(now, policy.resolution_minutes)  # the longer of its two targets
        except Unreachable as exc:
            raise InvalidInput(
                "slots", f"the {policy.priority} SLA policy cannot be met: {exc}"
            ) from None


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
