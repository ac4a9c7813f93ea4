"""Tickets: SLA due times on business hours, timeline entries, breaches and escalation."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.events import TicketEscalated
from crm.enums import TicketPriority, TicketStatus
from crm.exceptions import InvalidInput
from crm.sla.schemas import BusinessHoursIn, SLAPolicyIn
from crm.sla.service import put_policy, save_business_hours, sweep_breaches
from crm.sla.tasks import escalate_overdue
from crm.tickets.exceptions import TransitionRefused
from crm.tickets.schemas import CallRef, TicketCreate, TicketUpdate
from crm.tickets.service import (
    add_comment,
    create_ticket,
    get_ticket,
    link_call,
    list_tickets,
    timeline,
    transition,
    update_ticket,
)
from tests.crm.conftest import add_customer

MONDAY_10 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
FRIDAY_16 = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # 16:00 in Berlin


def berlin_office(session: Session) -> None:
    save_business_hours(
        session,
        BusinessHoursIn.model_validate(
            {
                "name": "Berlin office",
                "timezone": "Europe/Berlin",
                "is_default": True,
                "slots": [{"weekday": d, "opens": "09:00", "closes": "17:00"} for d in range(5)],
            }
        ),
    )
    put_policy(
        session,
        TicketPriority.HIGH,
        SLAPolicyIn(first_response_minutes=60, resolution_minutes=8 * 60),
    )


def high(session: Session, at: datetime, **fields: object) -> int:
    data = TicketCreate.model_validate({"subject": "Line down", "priority": "high", **fields})
    return create_ticket(session, data, "alice", now=at).id


def test_due_times_follow_the_policy_on_business_hours(session: Session) -> None:
    berlin_office(session)
    ticket = get_ticket(session, high(session, FRIDAY_16))
    assert ticket.number == f"T-{ticket.id:06d}"
    assert ticket.first_response_due == FRIDAY_16 + timedelta(hours=1)
    # 1 h left on Friday, 7 h on Monday from 09:00 Berlin (08:00 UTC).
    assert ticket.resolution_due == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)


def test_no_policy_means_no_due_times(session: Session) -> None:
    data = TicketCreate(subject="Question", priority=TicketPriority.LOW)
    ticket = create_ticket(session, data, "alice", now=MONDAY_10)
    assert (ticket.first_response_due, ticket.resolution_due) == (None, None)


def test_every_change_is_a_timeline_entry_with_actor_and_time(session: Session) -> None:
    ticket_id = high(session, MONDAY_10)
    later = MONDAY_10 + timedelta(minutes=5)
    transition(session, ticket_id, TicketStatus.OPEN, "bob", reopen_days=7, now=later)
    update_ticket(session, ticket_id, TicketUpdate(assignee="carol"), "bob", now=later)
    add_comment(session, ticket_id, "carol", "Looking", public=False, now=later)
    link_call(session, ticket_id, CallRef(server="pbx", linkedid="1.0"), "carol", now=later)
    entries = [
        (e.actor, e.kind, e.field, e.old_value, e.new_value, e.at)
        for e in timeline(session, ticket_id)
    ]
    assert entries == [
        ("alice", "created", None, None, "new", MONDAY_10),
        ("bob", "status_changed", "status", "new", "open", later),
        ("bob", "updated", "assignee", None, "carol", later),
        ("carol", "commented", "internal", None, None, later),
        ("carol", "call_linked", "call", None, "pbx/1.0", later),
    ]


def test_linking_the_same_call_twice_adds_one_entry(session: Session) -> None:
    ticket_id = high(session, MONDAY_10)
    for _ in range(2):
        link_call(session, ticket_id, CallRef(server="pbx", linkedid="1.0"), "bob")
    assert len(get_ticket(session, ticket_id).calls) == 1


def test_leaving_new_is_the_first_response(session: Session) -> None:
    berlin_office(session)
    ticket_id = high(session, MONDAY_10)
    answered = MONDAY_10 + timedelta(minutes=20)
    transition(session, ticket_id, TicketStatus.OPEN, "bob", reopen_days=7, now=answered)
    ticket = get_ticket(session, ticket_id)
    assert ticket.first_responded_at == answered
    assert not ticket.first_response_breached


def test_a_public_reply_is_the_first_response_and_a_late_one_is_breached(
    session: Session,
) -> None:
    berlin_office(session)
    ticket_id = high(session, MONDAY_10)
    late = MONDAY_10 + timedelta(hours=2)
    add_comment(session, ticket_id, "bob", "internal only", public=False, now=late)
    assert get_ticket(session, ticket_id).first_responded_at is None
    add_comment(session, ticket_id, "bob", "We are on it", public=True, now=late)
    ticket = get_ticket(session, ticket_id)
    assert ticket.first_responded_at == late
    assert ticket.first_response_breached


def test_resolving_late_flags_the_resolution_breach(session: Session) -> None:
    berlin_office(session)
    ticket_id = high(session, MONDAY_10)
    transition(session, ticket_id, TicketStatus.RESOLVED, "bob", reopen_days=7, now=FRIDAY_16)
    ticket = get_ticket(session, ticket_id)
    assert ticket.resolved_at == FRIDAY_16
    assert ticket.resolution_breached


def test_reopen_clears_the_resolution_and_is_its_own_entry(session: Session) -> None:
    ticket_id = high(session, MONDAY_10)
    transition(session, ticket_id, TicketStatus.RESOLVED, "bob", reopen_days=7, now=MONDAY_10)
    reopened = MONDAY_10 + timedelta(days=2)
    transition(session, ticket_id, TicketStatus.OPEN, "ann", reopen_days=7, now=reopened)
    ticket = get_ticket(session, ticket_id)
    assert (ticket.status, ticket.resolved_at) == ("open", None)
    assert timeline(session, ticket_id)[-1].kind == "reopened"


def test_reopen_after_the_window_is_refused(session: Session) -> None:
    ticket_id = high(session, MONDAY_10)
    transition(session, ticket_id, TicketStatus.RESOLVED, "bob", reopen_days=7, now=MONDAY_10)
    with pytest.raises(TransitionRefused, match="open a new ticket"):
        transition(
            session,
            ticket_id,
            TicketStatus.OPEN,
            "ann",
            reopen_days=7,
            now=MONDAY_10 + timedelta(days=8),
        )
    assert get_ticket(session, ticket_id).status == "resolved"


def test_closed_ticket_takes_no_comment(session: Session) -> None:
    ticket_id = high(session, MONDAY_10)
    transition(session, ticket_id, TicketStatus.RESOLVED, "bob", reopen_days=7)
    transition(session, ticket_id, TicketStatus.CLOSED, "bob", reopen_days=7)
    with pytest.raises(InvalidInput):
        add_comment(session, ticket_id, "bob", "hello", public=True)


def test_a_new_priority_replans_the_sla(session: Session) -> None:
    berlin_office(session)
    data = TicketCreate(subject="Slow", priority=TicketPriority.LOW)
    ticket = create_ticket(session, data, "alice", now=MONDAY_10)
    assert ticket.resolution_due is None
    update_ticket(session, ticket.id, TicketUpdate(priority=TicketPriority.HIGH), "bob")
    assert ticket.first_response_due == MONDAY_10 + timedelta(hours=1)


def test_contact_must_belong_to_the_customer(session: Session) -> None:
    one = add_customer(session, "One", contacts={"Ann": []})
    other = add_customer(session, "Other")
    with pytest.raises(InvalidInput, match="not at that customer"):
        high(session, MONDAY_10, customer_id=other.id, contact_id=one.contacts[0].id)


def test_sweep_escalates_once_per_missed_target(session: Session) -> None:
    berlin_office(session)
    ticket_id = high(session, MONDAY_10)
    after_first_response = MONDAY_10 + timedelta(hours=2)
    first = sweep_breaches(session, after_first_response)
    again = sweep_breaches(session, after_first_response + timedelta(minutes=1))
    assert [(e.ticket_id, e.level, e.reason) for e in first] == [
        (ticket_id, 1, "first response target missed")
    ]
    assert again == []
    next_day = MONDAY_10 + timedelta(days=2)
    assert [e.level for e in sweep_breaches(session, next_day)] == [2]
    ticket = get_ticket(session, ticket_id)
    assert (
        ticket.escalation_level,
        ticket.first_response_breached,
        ticket.resolution_breached,
    ) == (
        2,
        True,
        True,
    )
    kinds = [e.kind for e in timeline(session, ticket_id)]
    assert kinds.count("escalated") == 2 and kinds.count("breached") == 2


def test_resolved_tickets_are_not_escalated(session: Session) -> None:
    berlin_office(session)
    ticket_id = high(session, MONDAY_10)
    transition(session, ticket_id, TicketStatus.RESOLVED, "bob", reopen_days=7, now=MONDAY_10)
    assert sweep_breaches(session, MONDAY_10 + timedelta(days=3)) == []


def test_breached_filter_includes_overdue_tickets_not_yet_swept(session: Session) -> None:
    berlin_office(session)
    late = high(session, MONDAY_10)
    on_time = high(session, MONDAY_10 + timedelta(hours=3))
    now = MONDAY_10 + timedelta(hours=2)
    rows, total = list_tickets(session, breached=True, now=now)
    assert ([t.id for t in rows], total) == ([late], 1)
    rows, _ = list_tickets(session, breached=False, now=now)
    assert [t.id for t in rows] == [on_time]


def test_the_job_escalates_twice_run_once_and_publishes(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session, session.begin():
        berlin_office(session)
        ticket_id = high(session, MONDAY_10)
    bus = Bus()
    seen: list[TicketEscalated] = []
    bus.subscribe(TicketEscalated, seen.append)
    clock = lambda: MONDAY_10 + timedelta(hours=2)  # noqa: E731
    escalate_overdue(sessions, bus, "pbx", clock)
    escalate_overdue(sessions, bus, "pbx", clock)
    assert [(e.ticket_id, e.level, e.server) for e in seen] == [(ticket_id, 1, "pbx")]
    with sessions() as session:
        assert get_ticket(session, ticket_id).escalation_level == 1


def test_overnight_policy_uses_the_default_calendar(session: Session) -> None:
    save_business_hours(
        session,
        BusinessHoursIn.model_validate(
            {
                "name": "Night desk",
                "timezone": "UTC",
                "is_default": True,
                "slots": [{"weekday": d, "opens": time(22), "closes": time(6)} for d in range(7)],
            }
        ),
    )
    put_policy(
        session,
        TicketPriority.URGENT,
        SLAPolicyIn(first_response_minutes=30, resolution_minutes=60),
    )
    data = TicketCreate(subject="Outage", priority=TicketPriority.URGENT)
    ticket = create_ticket(session, data, "alice", now=datetime(2026, 3, 2, 12, 0, tzinfo=UTC))
    assert ticket.first_response_due == datetime(2026, 3, 2, 22, 30, tzinfo=UTC)


def test_a_ticket_for_a_contact_belongs_to_its_customer(session: Session) -> None:
    customer = add_customer(session, "Acme", contacts={"Ann": []})
    ticket_id = high(session, MONDAY_10, contact_id=customer.contacts[0].id)
    assert get_ticket(session, ticket_id).customer_id == customer.id
