"""Pick the leads a campaign dials next and reserve them, each with its attempt row stored
(and a unique ActionID) before any Originate is sent: a restart never dials one attempt twice."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callcenter.calls.records import CAMPAIGN_CALL_PREFIX
from callcenter.campaigns.dnc import blocked_reason
from callcenter.campaigns.enums import AttemptState, LeadState
from callcenter.campaigns.hours import may_call
from callcenter.campaigns.models import Campaign, DialAttempt, Lead

# Leads looked at per lead wanted: some are outside calling hours or blocked.
SCAN_FACTOR = 4
SCAN_MIN = 20


@dataclass(frozen=True, slots=True)
class Reservation:
    """One attempt stored and ready to dial: what the Originate needs."""

    attempt_id: int
    action_id: str
    campaign_id: int
    lead_id: int
    number: int  # the lead's attempt number
    dialed_number: str
    customer_id: int | None
    agent: str | None
    interface: str | None


@dataclass(frozen=True, slots=True)
class Seat:
    """An agent a lead is reserved for: their username and phone interface."""

    agent: str
    interface: str


def candidates(
    session: Session, campaign: Campaign, now: datetime, limit: int, *, owner: str | None = None
) -> Sequence[Lead]:
    """Open leads of the campaign's list whose time has come and whose local time is inside
    the calling hours, due callbacks first; on PostgreSQL locked rows (another dialer picking
    them) are skipped."""
    zones = callable_zones(session, campaign, now)
    if not zones:
        return []
    query = (
        select(Lead)
        .where(Lead.list_id == campaign.list_id, Lead.state == LeadState.OPEN)
        .where(Lead.time_zone.in_(zones))
        .where(or_(Lead.next_at.is_(None), Lead.next_at <= now))
        .where(
            Lead.owner.is_(None)
            if owner is None
            else or_(Lead.owner.is_(None), Lead.owner == owner)
        )
        .order_by(
            Lead.due_at.is_(None), Lead.due_at, Lead.next_at.is_not(None), Lead.next_at, Lead.id
        )
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Lead)
    return session.scalars(query).all()


def callable_zones(session: Session, campaign: Campaign, now: datetime) -> list[str]:
    """The time zones of the list's open leads where it is calling hours now: a list whose
    first leads live where it is night still gets its other leads dialled."""
    zones = session.scalars(
        select(Lead.time_zone)
        .where(Lead.list_id == campaign.list_id, Lead.state == LeadState.OPEN)
        .distinct()
    )
    return sorted(zone for zone in zones if may_call(campaign, zone, now))


def dialable(session: Session, campaign: Campaign, lead: Lead, now: datetime) -> bool:
    """Whether `lead` may be dialled now; a blocked one is marked so, for good."""
    if not may_call(campaign, lead.time_zone, now):
        return False
    if blocked_reason(session, lead.number, campaign.id, lead.customer_id) is not None:
        lead.state = LeadState.BLOCKED
        lead.closed_at = now
        return False
    if lead.attempts >= campaign.max_attempts:
        lead.state = LeadState.EXHAUSTED
        lead.closed_at = now
        return False
    return True


def reserve(
    session: Session,
    campaign: Campaign,
    seats: Sequence[Seat | None],
    now: datetime,
    *,
    server: str | None = None,
) -> list[Reservation]:
    """Reserve one lead for each of `seats` (a Seat: that agent's call; None: the queue's),
    on the PBX `server` that will dial them, commit, and return what was reserved (fewer
    when the list runs dry)."""
    if not seats:
        return []
    wanted = list(seats)
    found: list[Reservation] = []
    leads = candidates(session, campaign, now, max(SCAN_MIN, SCAN_FACTOR * len(wanted)))
    for lead in leads:
        if len(found) == len(wanted):
            break
        if not dialable(session, campaign, lead, now):
            continue
        reservation = _reserve_one(session, campaign, lead, wanted[len(found)], now, server=server)
        if reservation is not None:
            found.append(reservation)
    session.commit()
    return found


def reserve_lead(
    session: Session,
    campaign: Campaign,
    lead: Lead,
    seat: Seat | None,
    now: datetime,
    *,
    server: str | None = None,
) -> Reservation | None:
    """Reserve an attempt of one lead already chosen (a preview the agent calls); the caller
    commits. None when another process took it, or it may not be dialled now."""
    if not dialable(session, campaign, lead, now):
        return None
    return _reserve_one(session, campaign, lead, seat, now, expect=lead.state, server=server)


def _reserve_one(
    session: Session,
    campaign: Campaign,
    lead: Lead,
    seat: Seat | None,
    now: datetime,
    *,
    expect: str = LeadState.OPEN,
    server: str | None = None,
) -> Reservation | None:
    number = lead.attempts + 1
    # Compare and set: the lead moves only if nobody moved it since it was read.
    moved = session.execute(
        update(Lead)
        .where(and_(Lead.id == lead.id, Lead.state == expect, Lead.attempts == lead.attempts))
        .values(state=LeadState.DIALING, attempts=number, last_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.expire(lead)
        return None
    attempt = DialAttempt(
        campaign_id=campaign.id,
        lead_id=lead.id,
        number=number,
        mode=campaign.mode,
        state=AttemptState.RESERVED,
        agent=seat.agent if seat else None,
        dialed_number=lead.number,
        action_id=f"{CAMPAIGN_CALL_PREFIX}{uuid.uuid4().hex}",
        reserved_at=now,
        server=server,
    )
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError:  # another dialer stored this attempt number first
        session.expire(lead)
        return None
    session.refresh(lead)
    assert attempt.action_id is not None
    return Reservation(
        attempt_id=attempt.id,
        action_id=attempt.action_id,
        campaign_id=campaign.id,
        lead_id=lead.id,
        number=number,
        dialed_number=lead.number,
        customer_id=lead.customer_id,
        agent=seat.agent if seat else None,
        interface=seat.interface if seat else None,
    )
