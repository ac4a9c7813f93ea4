"""Quality KPIs for a period (FCR, repeat callers, complaint rate): the calls read from the
call records, the tickets as the CRM links them to calls, the formulas of `kpi.quality`.

`kpi` does not read the CRM's tables: whoever asks (the supervisor API) hands over the
ticket links (`TicketLink`), and the calls they name are looked up here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from callcenter.calls.models import Call
from callcenter.calls.records import Direction
from callcenter.calls.service import chunks
from kpi.definitions import ANSWERED_CALL_OUTCOMES
from kpi.quality import (
    CallContact,
    CallTicket,
    complaint_rate,
    first_contact_resolution,
    repeat_caller_rate,
)


class TicketLink(Protocol):
    """One call linked to a ticket opened in the period, as the CRM knows it."""

    @property
    def ticket_id(self) -> int: ...

    @property
    def server(self) -> str: ...

    @property
    def linkedid(self) -> str: ...

    @property
    def opened_at(self) -> datetime: ...

    @property
    def type(self) -> str: ...

    @property
    def resolved_at(self) -> datetime | None: ...


def quality_report(
    session: Session,
    start: datetime,
    end: datetime,
    days: int,
    links: Iterable[TicketLink],
) -> dict[str, Any]:
    """FCR and complaint rate of the tickets opened from calls in [start, end) (`links`:
    every call linked to a ticket opened then); repeat-caller rate of the inbound calls in
    it. Repeats are looked for up to `days` after the period."""
    calls = inbound_calls(session, start, end + timedelta(days=days))
    in_period = [c for c in calls if c.started_at < end]
    first_per_ticket = opening_calls(session, links)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "repeat_days": days,
        "tickets_from_calls": len(first_per_ticket),
        "fcr": first_contact_resolution(first_per_ticket, calls, days),
        "repeat_caller_rate": repeat_caller_rate(in_period, days),
        "complaint_rate": complaint_rate(first_per_ticket, answered_inbound(session, start, end)),
    }


def inbound_calls(session: Session, start: datetime, end: datetime) -> list[CallContact]:
    """Inbound calls that started in [start, end): who called and when."""
    rows = session.execute(
        select(Call.linkedid, Call.caller_number, Call.started_at).where(
            Call.direction == Direction.INBOUND,
            Call.started_at >= start,
            Call.started_at < end,
        )
    )
    return [CallContact(linkedid, number, started) for linkedid, number, started in rows]


def answered_inbound(session: Session, start: datetime, end: datetime) -> int:
    """Inbound calls answered in [start, end): the complaint rate's denominator (outbound
    and internal calls cannot raise a complaint ticket of a caller)."""
    answered = session.scalar(
        select(func.count())
        .select_from(Call)
        .where(
            Call.direction == Direction.INBOUND,
            Call.outcome.in_(ANSWERED_CALL_OUTCOMES),
            Call.started_at >= start,
            Call.started_at < end,
        )
    )
    return answered or 0


def opening_calls(session: Session, links: Iterable[TicketLink]) -> list[CallTicket]:
    """Each ticket with the call that opened it: the earliest of its linked calls that is
    stored (FCR's clock starts there); a ticket with no stored call is left out."""
    links = list(links)
    stored: dict[tuple[str, str], tuple[str | None, datetime]] = {}
    for chunk in chunks(sorted({(link.server, link.linkedid) for link in links}), 400):
        rows = session.execute(
            select(Call.server, Call.linkedid, Call.caller_number, Call.started_at).where(
                tuple_(Call.server, Call.linkedid).in_(chunk)
            )
        )
        stored.update({(server, linkedid): (number, at) for server, linkedid, number, at in rows})
    found = [(link, stored[(link.server, link.linkedid)]) for link in links
             if (link.server, link.linkedid) in stored]  # fmt: skip
    found.sort(key=lambda pair: (pair[0].ticket_id, pair[1][1], pair[0].linkedid))
    first: dict[int, CallTicket] = {}
    for link, (number, _) in found:
        first.setdefault(
            link.ticket_id,
            CallTicket(
                link.ticket_id, link.linkedid, number, link.opened_at, link.type, link.resolved_at
            ),
        )
    return list(first.values())
