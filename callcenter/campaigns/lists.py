"""Call lists: leads from a CSV file (each bad row reported, as `crm import` does) or from a
CRM query (customers of a category, open callbacks, tickets resolved yesterday) that can be
built again to add new matches. Flushes, never commits."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from callcenter.campaigns.dnc import blocked_reason
from callcenter.campaigns.enums import LeadOrigin, LeadState, ListSource
from callcenter.campaigns.models import CallList, Campaign, Lead
from callcenter.campaigns.timezones import is_zone, lead_time_zone
from callcenter.csv_safety import spreadsheet_value
from callcenter.db import utc_now
from crm.customers.csv_io import numbered_rows
from crm.customers.models import Contact, Customer, PhoneNumber
from crm.enums import CustomerCategory
from crm.exceptions import Conflict, CrmError, InvalidInput, NotFound
from crm.lookup.service import owners
from crm.phones import normalize
from crm.tickets.models import Ticket

REQUIRED = ("number",)
KNOWN = ("number", "name", "customer_code", "customer_id", "time_zone")
# A lead still being worked: a second one for the same number on the list would double it.
ACTIVE = (LeadState.OPEN, LeadState.RESERVED, LeadState.DIALING, LeadState.IN_CALL)
QUERY_KINDS = ("customers", "open_callbacks", "tickets_resolved")


@dataclass
class ListImport:
    """What an import did or would do: leads, and each row refused or noted (numbered as
    in a spreadsheet). Nothing is stored while any row is refused."""

    created: int = 0
    blocked: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list, repr=False)


def check_header(header: Iterable[str]) -> list[str]:
    """The header's column names; ValueError naming a missing or repeated column."""
    names = [name.strip().lower() for name in header]
    if "number" not in names:
        raise ValueError(
            "the header has no number column (known columns: "
            + ", ".join(KNOWN)
            + "; any other column is kept on the lead)"
        )
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        raise ValueError(f"column(s) {', '.join(repeated)} appear more than once")
    if "customer_code" in names and "customer_id" in names:
        raise ValueError("give customer_code or customer_id, not both")
    return names


def get_list(session: Session, list_id: int) -> CallList:
    """One call list; NotFound."""
    call_list = session.get(CallList, list_id)
    if call_list is None:
        raise NotFound("call list", list_id)
    return call_list


def list_lists(session: Session) -> list[CallList]:
    """Every call list, by name."""
    return list(session.scalars(select(CallList).order_by(CallList.name)))


def list_by_name(session: Session, name: str) -> CallList | None:
    """The call list of that name, or None."""
    return session.scalar(select(CallList).where(CallList.name == name))


def create_list(
    session: Session,
    name: str,
    source: ListSource,
    *,
    query: dict[str, Any] | None = None,
    created_by: str | None = None,
) -> CallList:
    """A new, empty call list; Conflict when the name is taken."""
    name = name.strip()
    if not name:
        raise InvalidInput("name", "a list needs a name")
    if list_by_name(session, name) is not None:
        raise Conflict(f"a call list named {name!r} exists already")
    if source == ListSource.QUERY:
        query = check_query(query or {})
    call_list = CallList(name=name, source=str(source), query=query, created_by=created_by)
    session.add(call_list)
    session.flush()
    return call_list


def read_csv(
    session: Session,
    text: str,
    region: str,
    site_zone: str,
    *,
    call_list: CallList | None = None,
) -> ListImport:
    """Check every row of a CSV file and prepare its leads (not yet stored).

    Columns: `number` (required; read as E.164 with `region` for national numbers),
    `name`, `customer_code` or `customer_id`, `time_zone` (an IANA name overriding the one
    taken from the customer or the number); any other column is kept in `lead.fields`.
    A number owned by one known customer names that customer. A number twice in the file,
    or already on the list, is skipped and reported; a number nobody may call is imported
    as `blocked` and reported. ValueError for a file that is not a call-list CSV at all.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = check_header(next(reader, []))
    except csv.Error as exc:
        raise ValueError(f"not valid CSV ({exc})") from exc
    report = ListImport()
    on_list = _numbers_on(session, call_list.id) if call_list is not None else set()
    campaigns = _campaigns_of(session, call_list.id) if call_list is not None else []
    seen: dict[str, int] = {}
    for line, raw in numbered_rows(reader, header):
        if isinstance(raw, str):
            report.errors.append((line, raw))
            continue
        row = {k: spreadsheet_value(v.strip()) for k, v in raw.items() if k and v and v.strip()}
        try:
            lead, notes = _lead_of(session, row, region, site_zone)
        except CrmError as exc:
            report.errors.append((line, str(exc)))
            continue
        if lead.number in seen:
            report.skipped += 1
            report.notes.append((line, f"{lead.number} is on line {seen[lead.number]} already"))
            continue
        seen[lead.number] = line
        if lead.number in on_list:
            report.skipped += 1
            report.notes.append((line, f"{lead.number} is on this list already"))
            continue
        report.notes.extend((line, note) for note in notes)
        reason = _blocked(session, lead, campaigns)
        if reason is not None:
            lead.state = LeadState.BLOCKED
            report.blocked += 1
            report.notes.append((line, f"imported as blocked: {reason}"))
        report.created += 1
        report.leads.append(lead)
    return report


def store_leads(session: Session, call_list: CallList, report: ListImport) -> None:
    """Put the prepared leads of an import on the list; refused while rows were refused."""
    if report.errors:
        raise InvalidInput("file", f"{len(report.errors)} rows refused: nothing imported")
    for lead in report.leads:
        lead.list_id = call_list.id
        session.add(lead)
    session.flush()


def _lead_of(
    session: Session, row: dict[str, str], region: str, site_zone: str
) -> tuple[Lead, list[str]]:
    number = normalize(row.get("number", ""), region, field="number")
    customer: Customer | None = None
    contact_id: int | None = None
    if "customer_code" in row:
        customer = session.scalar(select(Customer).where(Customer.code == row["customer_code"]))
        if customer is None:
            raise InvalidInput("customer_code", f"no customer with code {row['customer_code']!r}")
    elif "customer_id" in row:
        text = row["customer_id"]
        customer = session.get(Customer, int(text)) if text.isdigit() and len(text) < 19 else None
        if customer is None:
            raise InvalidInput("customer_id", f"no customer with id {text!r}")
    matches = owners(session, [number])
    if customer is None and len(matches) == 1:
        customer = session.get(Customer, matches[0].customer_id)
    if customer is not None:
        mine = next((m for m in matches if m.customer_id == customer.id), None)
        if mine is not None and len(mine.contact_ids) == 1:
            contact_id = mine.contact_ids[0]
    override = row.get("time_zone")
    if override is not None and not is_zone(override):
        raise InvalidInput(
            "time_zone",
            f"{override!r} is not a time zone: use an IANA name such as Europe/Berlin",
        )
    choice = lead_time_zone(
        number,
        customer_country=customer.country if customer else None,
        override=override,
        site_zone=site_zone,
    )
    extra = {k: v for k, v in row.items() if k not in KNOWN}
    lead = Lead(
        number=number,
        name=row.get("name") or (customer.name if customer else None),
        customer_id=customer.id if customer else None,
        contact_id=contact_id,
        time_zone=choice.zone,
        state=LeadState.OPEN,
        attempts=0,
        origin=LeadOrigin.CSV,
        fields=extra or None,
    )
    notes = [choice.note] if choice.note else []
    if customer is None and len(matches) > 1:
        notes.append(f"{number} belongs to {len(matches)} customers; none chosen")
    return lead, notes


def _numbers_on(session: Session, list_id: int) -> set[str]:
    return set(session.scalars(select(Lead.number).where(Lead.list_id == list_id)))


def _active_numbers_on(session: Session, list_id: int) -> set[str]:
    query = select(Lead.number).where(Lead.list_id == list_id, Lead.state.in_(ACTIVE))
    return set(session.scalars(query))


def _campaigns_of(session: Session, list_id: int) -> list[int]:
    return list(session.scalars(select(Campaign.id).where(Campaign.list_id == list_id)))


def _blocked(session: Session, lead: Lead, campaigns: Sequence[int]) -> str | None:
    scopes: list[int | None] = [*campaigns] if campaigns else [None]
    for campaign_id in scopes:
        reason = blocked_reason(session, lead.number, campaign_id, lead.customer_id)
        if reason is not None:
            return reason
    return None


# --- lists built from a CRM query -------------------------------------------------------


def check_query(query: dict[str, Any]) -> dict[str, Any]:
    """A list's CRM query, cleaned; InvalidInput naming what is wrong.

    `{"kind": "customers", "category": "vip"}`, `{"kind": "open_callbacks"}` (the open
    leads of the callback lists), `{"kind": "tickets_resolved", "days_ago": 1}` (tickets
    resolved that many days ago in the site's zone: 1 is yesterday, for a satisfaction call).
    """
    kind = query.get("kind")
    if kind not in QUERY_KINDS:
        raise InvalidInput("query.kind", f"choose one of {', '.join(QUERY_KINDS)}")
    if kind == "customers":
        category = query.get("category")
        known = [str(c) for c in CustomerCategory]
        if category not in known:
            raise InvalidInput("query.category", f"choose one of {', '.join(known)}")
        return {"kind": kind, "category": category}
    if kind == "tickets_resolved":
        days = query.get("days_ago", 1)
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 365:
            raise InvalidInput("query.days_ago", "a whole number of days, 0 (today) to 365")
        return {"kind": kind, "days_ago": days}
    return {"kind": kind}


@dataclass
class ListBuild:
    """What building a list from its query added."""

    added: int = 0
    blocked: int = 0
    already: int = 0
    no_number: int = 0


@dataclass
class _Match:
    key: str
    number: str
    customer: Customer | None
    contact_id: int | None
    name: str | None
    fields: dict[str, Any]
    due_at: datetime | None = None


def build_list(
    session: Session, call_list: CallList, site_zone: str, now: datetime | None = None
) -> ListBuild:
    """Add the query's current matches to the list: each match once (a customer, a ticket,
    a callback is never added twice, and a number being worked on the list is not added
    again), on the do-not-call list as `blocked`."""
    if call_list.source != ListSource.QUERY or not call_list.query:
        raise Conflict(f"call list {call_list.name!r} is not built from a CRM query")
    query = check_query(call_list.query)
    now = now or utc_now()
    result = ListBuild()
    existing = session.scalars(select(Lead).where(Lead.list_id == call_list.id)).all()
    keys = {str((lead.fields or {}).get("source_key")) for lead in existing}
    active = _active_numbers_on(session, call_list.id)
    campaigns = _campaigns_of(session, call_list.id)
    for match in _matches(session, query, site_zone, now, result):
        if match.key in keys or match.number in active:
            result.already += 1
            continue
        keys.add(match.key)
        active.add(match.number)
        choice = lead_time_zone(
            match.number,
            customer_country=match.customer.country if match.customer else None,
            site_zone=site_zone,
        )
        lead = Lead(
            list_id=call_list.id,
            number=match.number,
            name=match.name,
            customer_id=match.customer.id if match.customer else None,
            contact_id=match.contact_id,
            time_zone=choice.zone,
            state=LeadState.OPEN,
            attempts=0,
            origin=LeadOrigin.CRM,
            due_at=match.due_at,
            fields={**match.fields, "source_key": match.key},
        )
        if _blocked(session, lead, campaigns) is not None:
            lead.state = LeadState.BLOCKED
            result.blocked += 1
        session.add(lead)
        result.added += 1
    session.flush()
    return result


def _matches(
    session: Session, query: dict[str, Any], site_zone: str, now: datetime, result: ListBuild
) -> Iterable[_Match]:
    kind = query["kind"]
    if kind == "customers":
        customers = session.scalars(
            select(Customer).where(Customer.category == query["category"]).order_by(Customer.id)
        )
        for customer in customers:
            found = _number_of(session, customer.id, None)
            if found is None:
                result.no_number += 1
                continue
            number, contact_id = found
            fields = {"customer_code": customer.code} if customer.code else {}
            yield _Match(
                f"customer:{customer.id}", number, customer, contact_id, customer.name, fields
            )
    elif kind == "tickets_resolved":
        zone = ZoneInfo(site_zone)
        day: date = now.astimezone(zone).date() - timedelta(days=query["days_ago"])
        start = datetime.combine(day, time(), zone)
        end = datetime.combine(day + timedelta(days=1), time(), zone)
        tickets = session.scalars(
            select(Ticket)
            .where(Ticket.resolved_at >= start, Ticket.resolved_at < end)
            .where(Ticket.customer_id.is_not(None))
            .order_by(Ticket.resolved_at, Ticket.id)
        )
        for ticket in tickets:
            assert ticket.customer_id is not None
            found = _number_of(session, ticket.customer_id, ticket.contact_id)
            if found is None:
                result.no_number += 1
                continue
            number, contact_id = found
            owner = session.get(Customer, ticket.customer_id)
            about: dict[str, Any] = {"ticket": ticket.number, "subject": ticket.subject}
            name = owner.name if owner else None
            yield _Match(f"ticket:{ticket.id}", number, owner, contact_id, name, about)
    else:  # open_callbacks: the open leads of the callback lists
        leads = session.scalars(
            select(Lead)
            .join(CallList, CallList.id == Lead.list_id)
            .where(CallList.source == ListSource.CALLBACKS, Lead.state == LeadState.OPEN)
            .order_by(Lead.due_at, Lead.id)
        )
        for lead in leads:
            known = session.get(Customer, lead.customer_id) if lead.customer_id else None
            owed: dict[str, Any] = {"callback": lead.id}
            if lead.queue:
                owed["queue"] = lead.queue
            yield _Match(
                f"callback:{lead.id}",
                lead.number,
                known,
                lead.contact_id,
                lead.name,
                owed,
                lead.due_at,
            )


def _number_of(
    session: Session, customer_id: int, contact_id: int | None
) -> tuple[str, int | None] | None:
    """The number to call a customer on: the contact's first when one is named, else the
    customer's own first, else any contact's first."""
    if contact_id is not None:
        number = session.scalar(
            select(PhoneNumber.e164)
            .where(PhoneNumber.contact_id == contact_id)
            .order_by(PhoneNumber.id)
            .limit(1)
        )
        if number is not None:
            return number, contact_id
    number = session.scalar(
        select(PhoneNumber.e164)
        .where(PhoneNumber.customer_id == customer_id)
        .order_by(PhoneNumber.id)
        .limit(1)
    )
    if number is not None:
        return number, None
    row = session.execute(
        select(PhoneNumber.e164, PhoneNumber.contact_id)
        .join(Contact, Contact.id == PhoneNumber.contact_id)
        .where(Contact.customer_id == customer_id)
        .order_by(PhoneNumber.id)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def lead_counts(session: Session, list_id: int) -> tuple[dict[str, int], int]:
    """The list's leads by state, and how many have been tried at least once."""
    by_state = {
        str(state): count
        for state, count in session.execute(
            select(Lead.state, func.count()).where(Lead.list_id == list_id).group_by(Lead.state)
        )
    }
    tried = session.scalar(select(func.count()).where(Lead.list_id == list_id, Lead.attempts > 0))
    return by_state, tried or 0
