"""One lead at a time: put on a list (number read as E.164, its zone, do-not-call checked),
found, or dropped by a person. Flushes, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from callcenter.campaigns.dnc import blocked_reason
from callcenter.campaigns.enums import LeadOrigin, LeadState
from callcenter.campaigns.models import CallList, Campaign, Lead
from callcenter.campaigns.timezones import is_zone, lead_time_zone
from callcenter.db import utc_now
from crm.customers.models import Customer
from crm.exceptions import Conflict, InvalidInput, NotFound
from crm.lookup.service import owners
from crm.phones import normalize


def create_lead(
    session: Session,
    call_list: CallList,
    raw_number: str,
    *,
    region: str,
    site_zone: str,
    origin: LeadOrigin,
    name: str | None = None,
    customer_id: int | None = None,
    time_zone: str | None = None,
    next_at: datetime | None = None,
    due_at: datetime | None = None,
    owner: str | None = None,
    queue: str | None = None,
    server: str | None = None,
    linkedid: str | None = None,
    fields: dict[str, Any] | None = None,
    note: str | None = None,
) -> Lead:
    """A new lead on `call_list`: the number read as E.164 (InvalidInput "number" when it
    cannot be), the customer who owns it when one does and none is named, its zone from
    the customer's country or the number (or `time_zone`), and `blocked` when a do-not-call
    list of a campaign on that list, the global list or the customer forbids calling."""
    number = normalize(raw_number, region, field="number")
    if time_zone is not None and not is_zone(time_zone):
        raise InvalidInput("time_zone", f"{time_zone!r} is not a time zone")
    customer = session.get(Customer, customer_id) if customer_id is not None else None
    if customer_id is not None and customer is None:
        raise InvalidInput("customer_id", f"no customer with id {customer_id}")
    if customer is None:
        found = owners(session, [number])
        if len(found) == 1:
            customer = session.get(Customer, found[0].customer_id)
    choice = lead_time_zone(
        number,
        customer_country=customer.country if customer else None,
        override=time_zone,
        site_zone=site_zone,
    )
    lead = Lead(
        list_id=call_list.id,
        number=number,
        name=name or (customer.name if customer else None),
        customer_id=customer.id if customer else None,
        time_zone=choice.zone,
        state=LeadState.OPEN,
        attempts=0,
        next_at=next_at,
        due_at=due_at,
        owner=owner,
        origin=str(origin),
        queue=queue,
        server=server,
        linkedid=linkedid,
        fields=fields,
        note=note,
    )
    campaigns = session.scalars(select(Campaign.id).where(Campaign.list_id == call_list.id))
    for campaign_id in [*campaigns] or [None]:
        if blocked_reason(session, number, campaign_id, lead.customer_id) is not None:
            lead.state = LeadState.BLOCKED
            break
    session.add(lead)
    session.flush()
    return lead


def get_lead(session: Session, lead_id: int) -> Lead:
    """One lead; NotFound."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("lead", lead_id)
    return lead


def list_leads(
    session: Session,
    list_id: int,
    *,
    state: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Lead], int]:
    """A list's leads (of one state; whose number or name contains `search`), oldest
    first, and how many match in all."""
    if session.get(CallList, list_id) is None:
        raise NotFound("call list", list_id)
    query = select(Lead).where(Lead.list_id == list_id)
    if state is not None:
        query = query.where(Lead.state == state)
    if search:
        text = search.strip()
        digits = "".join(c for c in text if c.isdigit())
        clauses = [Lead.name.icontains(text, autoescape=True)]
        if digits:
            clauses.append(Lead.number.contains(digits, autoescape=True))
        query = query.where(or_(*clauses))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Lead.id).limit(limit).offset(offset)).all()
    return list(rows), total


def cancel_lead(session: Session, lead_id: int, actor: str) -> Lead:
    """Drop a lead from the work (a person decided it): refused while it is being called."""
    lead = get_lead(session, lead_id)
    if lead.state not in (LeadState.OPEN, LeadState.EXHAUSTED, LeadState.BLOCKED):
        raise Conflict(f"lead {lead_id} is {lead.state}: wait until its call has ended")
    lead.state = LeadState.CANCELLED
    lead.closed_at = utc_now()
    lead.closed_by = actor
    lead.next_at = None
    lead.owner = None
    session.flush()
    return lead
