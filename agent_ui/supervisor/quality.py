"""Quality KPIs over the CRM (FCR, repeat callers, complaint rate): reads tickets linked to
calls and inbound calls, then applies the pure definitions of `kpi.quality`.

It lives here, not in `kpi/`, because `kpi` must not depend on the CRM package."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.calls.models import Call
from callcenter.deps import SessionDep
from crm.tickets.models import Ticket, TicketCall
from kpi.cli import QUERY_NAMES, report_query
from kpi.quality import (
    DEFAULT_REPEAT_DAYS,
    CallContact,
    CallTicket,
    complaint_rate,
    first_contact_resolution,
    repeat_caller_rate,
)
from kpi.router import SupervisorDep

router = APIRouter(prefix="/api/kpi", tags=["kpi"])


def quality(session: Session, start: datetime, end: datetime, days: int) -> dict[str, Any]:
    """FCR and complaint rate of tickets opened from calls in [start, end); repeat-caller
    rate of inbound calls in it. Repeats are looked for up to `days` after the period."""
    calls = [
        CallContact(linkedid, number, started)
        for linkedid, number, started in session.execute(
            select(Call.linkedid, Call.caller_number, Call.started_at).where(
                Call.direction == "inbound",
                Call.started_at >= start,
                Call.started_at < end + timedelta(days=days),
            )
        )
    ]
    in_period = [c for c in calls if c.started_at < end]
    tickets = [
        CallTicket(ticket_id, linkedid, number, opened, kind, resolved)
        for ticket_id, linkedid, number, opened, kind, resolved in session.execute(
            select(
                Ticket.id,
                TicketCall.linkedid,
                Call.caller_number,
                Ticket.created_at,
                Ticket.type,
                Ticket.resolved_at,
            )
            .join(TicketCall, TicketCall.ticket_id == Ticket.id)
            .join(Call, (Call.linkedid == TicketCall.linkedid) & (Call.server == TicketCall.server))
            .where(Ticket.created_at >= start, Ticket.created_at < end)
            .order_by(Ticket.id, Call.started_at, Call.linkedid)
        )
    ]
    # The complaint rate's denominator: inbound calls answered in the period (outbound and
    # internal calls cannot raise a complaint ticket of a caller).
    answered = session.scalar(
        select(func.count())
        .select_from(Call)
        .where(
            Call.direction == "inbound",
            Call.outcome.in_(("answered", "transferred")),
            Call.started_at >= start,
            Call.started_at < end,
        )
    )
    # A ticket linked to several calls was opened by the earliest: FCR's clock starts there.
    first_by_ticket: dict[int, CallTicket] = {}
    for ticket in tickets:
        first_by_ticket.setdefault(ticket.ticket_id, ticket)
    first_per_ticket = list(first_by_ticket.values())
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "repeat_days": days,
        "tickets_from_calls": len(first_per_ticket),
        "fcr": first_contact_resolution(first_per_ticket, calls, days),
        "repeat_caller_rate": repeat_caller_rate(in_period, days),
        "complaint_rate": complaint_rate(first_per_ticket, answered or 0),
    }


@router.get("/quality")
def get_quality(
    _user: SupervisorDep,
    session: SessionDep,
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
    days: Annotated[int, Query(ge=1, le=90)] = DEFAULT_REPEAT_DAYS,
) -> dict[str, Any]:
    """First-contact resolution, repeat-caller rate and complaint rate for [from, to)."""
    try:
        query = report_query(start, end, None, "day", names=QUERY_NAMES)
    except ValueError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    return quality(session, query.start, query.end, days)
