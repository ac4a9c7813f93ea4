"""Call lists from CSV (each bad row reported, duplicates and blocked numbers noted) and
from CRM queries built again without doubling."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.campaigns.dnc import add_number
from callcenter.campaigns.enums import ListSource
from callcenter.campaigns.lists import build_list, create_list, read_csv, store_leads
from callcenter.campaigns.models import Lead
from crm.exceptions import Conflict, InvalidInput
from crm.tickets.models import Ticket
from tests.campaigns.conftest import add_lead, add_list
from tests.crm.conftest import add_customer

GOOD = """number,name,time_zone,plan
(212) 555-0100,Ann Lee,,gold
+49 30 1234567,Bo Diaz,,silver
+1 800 555 0199,Toll Free,,
212 555 0101,,America/Chicago,
"""


def test_a_good_file_makes_leads_in_their_zones(session: Session) -> None:
    customer = add_customer(session, "Acme", "212 555 0101", code="ACME")
    report = read_csv(session, GOOD, "US", "UTC")
    assert (report.created, report.blocked, report.skipped, report.errors) == (4, 0, 0, [])
    call_list = create_list(session, "spring", ListSource.CSV)
    store_leads(session, call_list, report)
    leads = {lead.number: lead for lead in session.scalars(select(Lead))}
    assert leads["+12125550100"].time_zone == "America/New_York"
    assert leads["+12125550100"].fields == {"plan": "gold"}
    assert leads["+49301234567"].time_zone == "Europe/Berlin"
    assert leads["+18005550199"].time_zone == "America/New_York"  # several zones: New York
    assert (
        report.notes[0][0],
        report.notes[0][1].split(" (")[0],
    ) == (4, "number +18005550199 spans 15 time zones; using America/New_York")
    known = leads["+12125550101"]
    assert (known.customer_id, known.name, known.time_zone) == (
        customer.id,
        "Acme",
        "America/Chicago",
    )


def test_bad_rows_are_each_reported_and_nothing_is_stored(session: Session) -> None:
    text = (
        "number,customer_code,time_zone\n"
        "12,,\n"  # line 2
        "212 555 0100,NOPE,\n"
        "212 555 0101,,Mars/Olympus\n"
        ',,"open\n'
    )
    report = read_csv(session, text, "US", "UTC")
    assert report.errors == [
        (2, "number: '12' has the wrong length for a phone number"),
        (3, "customer_code: no customer with code 'NOPE'"),
        (
            4,
            "time_zone: 'Mars/Olympus' is not a time zone: use an IANA name such as Europe/Berlin",
        ),
        (5, "not valid CSV here (unexpected end of data): is a quote left open?"),
    ]
    with pytest.raises(InvalidInput, match="4 rows refused"):
        store_leads(session, add_list(session), report)
    assert session.scalars(select(Lead)).all() == []


def test_a_header_without_number_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="no number column"):
        read_csv(session, "phone,name\n1,2\n", "US", "UTC")


def test_duplicates_are_skipped_and_dnc_numbers_imported_blocked(session: Session) -> None:
    call_list = add_list(session)
    add_lead(session, call_list, "+12125550109")
    add_number(session, "+12125550102", "US")
    quiet = add_customer(session, "Quiet", "212 555 0103")
    quiet.do_not_call = True
    text = "number\n212 555 0100\n+1 212-555-0100\n212 555 0109\n212 555 0102\n212 555 0103\n"
    report = read_csv(session, text, "US", "UTC", call_list=call_list)
    assert (report.created, report.blocked, report.skipped) == (3, 2, 2)
    assert report.notes == [
        (3, "+12125550100 is on line 2 already"),
        (4, "+12125550109 is on this list already"),
        (5, "imported as blocked: it is on the global do-not-call list"),
        (6, "imported as blocked: customer Quiet asked not to be called"),
    ]
    store_leads(session, call_list, report)
    states = {n: s for n, s in session.execute(select(Lead.number, Lead.state))}
    assert states["+12125550102"] == "blocked" and states["+12125550100"] == "open"


def test_a_category_list_is_built_again_without_doubling(session: Session) -> None:
    add_customer(session, "Vip One", "212 555 0100", category="vip", country="DE")
    add_customer(session, "Regular", "212 555 0101")
    add_customer(session, "Vip No Phone", category="vip")
    call_list = create_list(
        session, "vips", ListSource.QUERY, query={"kind": "customers", "category": "vip"}
    )
    first = build_list(session, call_list, "UTC")
    assert (first.added, first.no_number) == (1, 1)
    lead = session.scalars(select(Lead)).one()
    assert (lead.name, lead.time_zone, lead.origin) == ("Vip One", "Europe/Berlin", "crm")
    add_customer(session, "Vip Two", "212 555 0102", category="vip")
    again = build_list(session, call_list, "UTC")
    assert (again.added, again.already) == (1, 1)
    with pytest.raises(InvalidInput, match="choose one of"):
        create_list(session, "bad", ListSource.QUERY, query={"kind": "customers"})
    with pytest.raises(Conflict, match="exists already"):
        create_list(session, "vips", ListSource.CSV)


def test_tickets_resolved_yesterday_make_a_satisfaction_list(session: Session) -> None:
    customer = add_customer(session, "Helped", "212 555 0100")
    now = datetime(2026, 6, 16, 9, tzinfo=UTC)
    for subject, resolved in (
        ("yesterday", datetime(2026, 6, 15, 12, tzinfo=UTC)),
        ("today", datetime(2026, 6, 16, 8, tzinfo=UTC)),
    ):
        session.add(
            Ticket(
                customer_id=customer.id,
                subject=subject,
                type="request",
                priority="normal",
                status="resolved",
                resolved_at=resolved,
            )
        )
    session.flush()
    call_list = create_list(
        session, "satisfaction", ListSource.QUERY, query={"kind": "tickets_resolved"}
    )
    assert build_list(session, call_list, "UTC", now).added == 1
    lead = session.scalars(select(Lead)).one()
    assert lead.fields is not None and lead.fields["subject"] == "yesterday"
    assert build_list(session, call_list, "UTC", now).added == 0


def test_open_callbacks_make_a_list_with_their_due_times(session: Session) -> None:
    owed = add_list(session, "owed", source="callbacks")
    due = datetime(2026, 6, 16, 15, tzinfo=UTC)
    add_lead(session, owed, "+12125550100", due_at=due, queue="support")
    add_lead(session, owed, "+12125550101", state="done")
    call_list = create_list(session, "to call", ListSource.QUERY, query={"kind": "open_callbacks"})
    assert build_list(session, call_list, "UTC").added == 1
    lead = session.scalars(select(Lead).where(Lead.list_id == call_list.id)).one()
    assert (lead.number, lead.due_at, lead.origin) == ("+12125550100", due, "crm")
    assert lead.fields is not None and lead.fields["queue"] == "support"
